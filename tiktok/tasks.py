"""Housekeeping jobs (thin: each calls one service)."""

"""Housekeeping jobs (thin: each calls one service)."""

from tiktok.retention import events_roll_up


def roll_up_events() -> int:
    return events_roll_up()

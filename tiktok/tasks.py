"""Housekeeping jobs (thin: each calls one service)."""

from tiktok.maintenance import media_orphans_remove


def cleanup_media() -> int:
    return len(media_orphans_remove().removed)

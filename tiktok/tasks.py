"""Housekeeping jobs (thin: each calls one service)."""

from tiktok.maintenance import media_orphans_remove
from tiktok.retention import events_roll_up


def cleanup_media() -> int:
    return len(media_orphans_remove().removed)


def roll_up_events() -> int:
    return events_roll_up()

"""The moderation admin."""

from moderation import admin_videos  # noqa: F401  (video review queue and report queue)

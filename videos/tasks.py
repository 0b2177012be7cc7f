"""Background jobs for videos (thin: load ids, call one service)."""

from videos import transcoding
from videos.maintenance import media_orphans_remove
from videos.retention import events_roll_up


def transcode_video(video_id: int) -> None:
    transcoding.video_transcode(video_id=video_id)


def sweep_stuck_work() -> dict:
    return transcoding.encodings_sweep_stuck()


def cleanup_media() -> int:
    return len(media_orphans_remove().removed)


def roll_up_events() -> int:
    return events_roll_up()

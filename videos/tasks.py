"""Background jobs for videos (thin: load ids, call one service)."""

from videos import services


def transcode_video(video_id: int) -> None:
    services.video_transcode(video_id=video_id)


def sweep_stuck_work() -> dict:
    return services.encodings_sweep_stuck()

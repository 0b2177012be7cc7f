"""Background jobs of the moderation app (thin: load ids, call one service)."""

from videos.models import Video


def moderate_video(video_id: int) -> str | None:
    from moderation.video_pipeline import video_moderation_run

    video = Video.objects.filter(pk=video_id, deleted_at__isnull=True).first()
    if video is None or video.processing != Video.Processing.READY:
        return None
    return video_moderation_run(video=video)


def sweep_stuck_moderation() -> int:
    from moderation.video_pipeline import moderation_sweep

    return moderation_sweep()

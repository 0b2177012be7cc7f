"""Background jobs of the moderation app (thin: load ids, call one service)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from moderation.services import comment_model_retrain, comments_rescore
from moderation.video_jobs import moderation_sweep, video_moderation_run
from videos.models import Comment, Video


def moderate_video(video_id: int) -> str | None:
    video = Video.objects.filter(pk=video_id, deleted_at__isnull=True).first()
    # Also before the renditions are ready: the stages then read the source, beside the encode.
    if video is None or video.processing == Video.Processing.FAILED:
        return None
    return video_moderation_run(video=video)


def sweep_stuck_moderation() -> int:
    return moderation_sweep()


RESCORE_BATCH = 64


def rescore_held_comments(limit: int = 2000) -> int:
    """Re-score held comments (oldest first) in batches with the classifier in use."""
    ids = list(Comment.objects.filter(state=Comment.State.HELD).order_by("created_at").values_list("pk", flat=True))
    changed = 0
    for start in range(0, min(len(ids), limit), RESCORE_BATCH):
        batch = Comment.objects.filter(pk__in=ids[start : start + RESCORE_BATCH]).select_related("author")
        changed += comments_rescore(comments=list(batch))
    return changed


def rescore_recent_comments(version: str = "", days: int | None = None) -> int:
    """After a classifier version is activated: re-check the comments of the last few days."""
    days = days if days is not None else settings.COMMENT_RESCORE_DAYS
    since = timezone.now() - timedelta(days=days)
    ids = list(
        Comment.objects.filter(created_at__gte=since)
        .exclude(state=Comment.State.REJECTED)
        .order_by("-created_at")
        .values_list("pk", flat=True)
    )
    changed = 0
    for start in range(0, len(ids), RESCORE_BATCH):
        batch = Comment.objects.filter(pk__in=ids[start : start + RESCORE_BATCH]).select_related("author")
        changed += comments_rescore(comments=list(batch))
    return changed


def retrain_comment_heads(limit: int | None = None, heldout_limit: int | None = None) -> str:
    """Weekly: fold moderators' decisions into the classifier's heads (activated only if not worse)."""
    return comment_model_retrain(limit=limit, heldout_limit=heldout_limit)

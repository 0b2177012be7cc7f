"""Video writes."""

from django.utils import timezone

from videos.models import Video


def video_apply_moderation(*, video: Video, outcome: str, reason: str) -> Video:
    """Set the video's moderation state from the newest decision (called by moderation.services)."""
    video.moderation = outcome
    video.moderation_reason = reason[:500]
    fields = ["moderation", "moderation_reason", "updated_at"]
    if outcome == Video.Moderation.APPROVED and video.published_at is None:
        video.published_at = timezone.now()
        fields.append("published_at")
    video.save(update_fields=fields)
    return video

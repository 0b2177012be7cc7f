"""When a video is published: it needs both an approving moderation decision and its renditions.
Moderation reads the source while transcoding runs, so either may come last; each side calls
`video_publish_if_complete` after its own write, and whichever finds both publishes (fail closed:
neither alone publishes anything)."""

from django.utils import timezone

from videos import search_index
from videos.models import Video
from videos.signals import video_published


def video_publish_if_complete(*, video: Video) -> bool:
    """Publish `video` if it is ready and approved: the first publication time, its search
    tokens, and the `video_published` signal (recommendations refresh their content terms).
    Returns whether it is published now. Safe to call from both sides at once: the writes
    serialize on the row, so the later of the two sees both."""
    complete = Video.objects.filter(
        pk=video.pk, processing=Video.Processing.READY, moderation=Video.Moderation.APPROVED, deleted_at__isnull=True
    )
    if not complete.exists():
        search_index.video_tokens_refresh(video=video)  # gone while it is not listable
        return False
    now = timezone.now()
    if complete.filter(published_at__isnull=True).update(published_at=now):
        video.published_at = now
    search_index.video_tokens_refresh(video=video)
    video_published.send(sender=Video, video=video)
    return True

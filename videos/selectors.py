"""Reads about videos. `listable_videos` and `watchable_videos` are the only definitions of
what others may see; every read path starts from one of them."""

from django.db.models import Q, QuerySet

from videos.models import Video

LISTABLE = Q(
    processing=Video.Processing.READY,
    moderation=Video.Moderation.APPROVED,
    visibility=Video.Visibility.PUBLIC,
    hidden=False,
    deleted_at__isnull=True,
    creator__banned_at__isnull=True,
)
WATCHABLE = Q(
    processing=Video.Processing.READY,
    moderation=Video.Moderation.APPROVED,
    visibility__in=[Video.Visibility.PUBLIC, Video.Visibility.UNLISTED],
    hidden=False,
    deleted_at__isnull=True,
    creator__banned_at__isnull=True,
)


def listable_videos() -> QuerySet[Video]:
    return Video.objects.filter(LISTABLE)


def watchable_videos() -> QuerySet[Video]:
    return Video.objects.filter(WATCHABLE)


def video_for_viewer(*, public_id: str, user) -> Video | None:
    """The video if this viewer may watch it: watchable by link, or the creator's own, or staff."""
    video = Video.objects.select_related("creator").filter(public_id=public_id, deleted_at__isnull=True).first()
    if video is None:
        return None
    if video.is_watchable and video.creator.banned_at is None:
        return video
    if user is not None and user.is_authenticated and (user.pk == video.creator_id or user.is_staff):
        return video
    return None

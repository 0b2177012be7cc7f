"""Videos' part of a person's data (registered in accounts.registry by VideosConfig.ready()):
their videos with texts and renditions, comments, likes, favourites, "not interested" marks,
watch history and engagement events; and the files to remove when the account is deleted.

The rows themselves go with the account (every foreign key to the user cascades)."""

from pathlib import Path

from django.conf import settings

from accounts.registry import admin_log_erase
from videos.models import Comment, EngagementEvent, Favourite, Like, NotInterested, Video, VideoView


def _rows(queryset, *fields) -> list[dict]:
    return list(queryset.values(*fields))


def _own_videos(user):
    return Video.objects.filter(creator=user, deleted_at__isnull=True).prefetch_related("categories", "hashtags")


def export(user) -> dict:
    return {
        "videos.json": [
            {
                "id": v.public_id,
                "title": v.title,
                "description": v.description,
                # An edit waiting for moderation (tiktok.staging): null when none waits.
                "edit_under_review": (
                    {"title": v.staged_title, "description": v.staged_description, "since": v.staged_at}
                    if v.staged_at
                    else None
                ),
                "categories": [c.name for c in v.categories.all()],
                "hashtags": [h.name for h in v.hashtags.all()],
                "visibility": v.visibility,
                "allow_comments": v.allow_comments,
                "processing": v.processing,
                "moderation": v.moderation,
                "moderation_reason": v.moderation_reason,
                "appealed_at": v.appealed_at,
                "appeal_reason": v.appeal_reason,
                "created_at": v.created_at,
                "published_at": v.published_at,
                "duration": v.duration,
                "views": v.view_count,
                "likes": v.like_count,
                "comments": v.comment_count,
                "shares": v.share_count,
                "favourites": v.favourite_count,
                "captions_vtt": v.captions_vtt,
                "transcript": v.transcript,
            }
            for v in _own_videos(user).order_by("created_at")
        ],
        "comments.json": _rows(
            Comment.objects.filter(author=user).order_by("created_at"),
            "id",
            "video__public_id",
            "parent_id",
            "text",
            "state",
            "created_at",
        ),
        "likes.json": _rows(Like.objects.filter(user=user).order_by("created_at"), "video__public_id", "created_at"),
        "favourites.json": _rows(
            Favourite.objects.filter(user=user).order_by("created_at"), "video__public_id", "created_at"
        ),
        "not_interested.json": _rows(
            NotInterested.objects.filter(user=user).order_by("created_at"), "video__public_id", "created_at"
        ),
        "watch_history.json": _rows(
            VideoView.objects.filter(user=user).order_by("-last_seen_at"), "video__public_id", "last_seen_at"
        ),
        "engagement_events.json": _rows(
            EngagementEvent.objects.filter(user=user).order_by("created_at"),
            "video__public_id",
            "kind",
            "watch_seconds",
            "completion",
            "slot",
            "created_at",
        ),
    }


def export_media(user) -> list[tuple[Path | str, str]]:
    """Each video's best rendition, as media/videos/<id>.mp4 (a stored name: fetched from the
    media store, wherever it keeps it, when the zip is written)."""
    return [
        (f"videos/{public_id}/720p.mp4", f"media/videos/{public_id}.mp4")
        for public_id in _own_videos(user).values_list("public_id", flat=True)
    ]


def erase(user) -> None:
    """The rows cascade with the account; the admin log's titles and comment texts do not."""
    admin_log_erase(Video, Video.objects.filter(creator=user).values_list("pk", flat=True))
    admin_log_erase(Comment, Comment.objects.filter(author=user).values_list("pk", flat=True))


def media(user) -> list[Path | str]:
    """Renditions, posters and previews, kept originals and uploads still in flight."""
    paths: list[Path | str] = []
    for public_id, source in Video.objects.filter(creator=user).values_list("public_id", "source_path"):
        paths.append(f"videos/{public_id}/")
        if source and not Path(source).is_absolute():  # in the store: incoming/ or originals/
            paths.append(source)
        if settings.ORIGINALS_ROOT:
            paths += list(Path(settings.ORIGINALS_ROOT).glob(f"{public_id}*"))
        if source:
            source_path = Path(source)
            if Path(settings.UPLOAD_TMP_ROOT) in source_path.parents:
                paths.append(source_path)
    return paths

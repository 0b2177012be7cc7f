"""A person's data: export everything as a zip of JSON and media; delete the account for good.

Deletion removes personal rows, media and events. Moderation decisions about the person's
content stay as tombstones (no actor, no text) so the moderation history stays consistent, and
tombstoned texts never enter a training set again."""

import io
import json
import logging
import shutil
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from accounts.models import Block, Follow, Notification, User
from moderation.models import ModerationDecision, Report
from videos.models import Comment, EngagementEvent, Favourite, Like, NotInterested, Video

logger = logging.getLogger(__name__)


def _rows(queryset, *fields):
    return list(queryset.values(*fields))


def user_export(*, user: User) -> bytes:
    """A zip with one JSON file per kind of data, plus the person's avatar and videos."""
    videos = Video.objects.filter(creator=user, deleted_at__isnull=True).prefetch_related("categories", "hashtags")
    data = {
        "profile.json": {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "bio": user.bio,
            "date_joined": user.date_joined,
            "age_confirmed_at": user.age_confirmed_at,
        },
        "videos.json": [
            {
                "id": v.public_id,
                "title": v.title,
                "description": v.description,
                "categories": [c.name for c in v.categories.all()],
                "hashtags": [h.name for h in v.hashtags.all()],
                "visibility": v.visibility,
                "processing": v.processing,
                "moderation": v.moderation,
                "created_at": v.created_at,
                "views": v.view_count,
                "likes": v.like_count,
                "captions_vtt": v.captions_vtt,
            }
            for v in videos
        ],
        "comments.json": _rows(
            Comment.objects.filter(author=user), "id", "video__public_id", "parent_id", "text", "state", "created_at"
        ),
        "likes.json": _rows(Like.objects.filter(user=user), "video__public_id", "created_at"),
        "favourites.json": _rows(Favourite.objects.filter(user=user), "video__public_id", "created_at"),
        "not_interested.json": _rows(NotInterested.objects.filter(user=user), "video__public_id", "created_at"),
        "following.json": _rows(Follow.objects.filter(follower=user), "followee__username", "created_at"),
        "followers.json": _rows(Follow.objects.filter(followee=user), "follower__username", "created_at"),
        "blocks.json": _rows(Block.objects.filter(blocker=user), "blocked__username", "created_at"),
        "reports.json": _rows(Report.objects.filter(reporter=user), "category", "note", "status", "created_at"),
        "notifications.json": _rows(Notification.objects.filter(recipient=user), "kind", "text", "created_at"),
        "engagement_events.json": _rows(
            EngagementEvent.objects.filter(user=user).order_by("created_at"),
            "video__public_id",
            "kind",
            "watch_seconds",
            "completion",
            "created_at",
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, payload in data.items():
            archive.writestr(name, json.dumps(payload, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        if user.avatar:
            avatar_path = Path(settings.MEDIA_ROOT) / user.avatar.name
            if avatar_path.is_file():
                archive.write(avatar_path, f"media/avatar{avatar_path.suffix}")
        for video in videos:
            rendition = Path(settings.MEDIA_ROOT) / "videos" / video.public_id / "720p.mp4"
            if rendition.is_file():
                archive.write(rendition, f"media/videos/{video.public_id}.mp4", compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _media_paths(user: User) -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    paths = []
    for public_id in Video.objects.filter(creator=user).values_list("public_id", flat=True):
        paths += [media / "videos" / public_id, media / "moderation" / public_id]
        if settings.ORIGINALS_ROOT:
            paths += list(Path(settings.ORIGINALS_ROOT).glob(f"{public_id}*"))
    if user.avatar:
        paths.append(media / user.avatar.name)
    return paths


def user_delete(*, user: User) -> None:
    """Delete the account and everything personal; keep decisions about it as tombstones."""
    paths = _media_paths(user)
    with transaction.atomic():
        ModerationDecision.objects.filter(subject_user=user).update(
            text_snapshot="", subject_user=None, actor=None, tombstoned=True
        )
        # Decisions the person made as a moderator stay, without naming them.
        ModerationDecision.objects.filter(actor=user).update(actor=None)
        user.delete()  # cascades: videos, comments, likes, follows, events, notifications, reports

    def _remove_files():
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink(missing_ok=True)
        logger.info("removed %d media paths of a deleted account", len(paths))

    transaction.on_commit(_remove_files)

"""Video writes other than uploads (videos/uploads.py) and transcoding (videos/transcoding.py):
the state that moderation's decisions set, and creators' edits, posters and deletion. Every
state change of a video row goes through videos' services; moderation calls these with its
decisions and never assigns the fields itself."""

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tiktok import gate
from videos import ffmpeg, search_index
from videos.commenting import comment_count_refresh
from videos.models import Category, Comment, Encoding, Video
from videos.signals import video_published
from videos.transcoding import make_poster, media_dir, media_relative, unlink
from videos.uploads import set_hashtags

logger = logging.getLogger(__name__)


# --- Moderation outcome ---------------------------------------------------------------------


def video_apply_moderation(*, video: Video, outcome: str, reason: str) -> Video:
    """Set the video's moderation state from the newest decision (called by moderation.services)."""
    video.moderation = outcome
    video.moderation_reason = reason[:500]
    fields = ["moderation", "moderation_reason", "updated_at"]
    if outcome == Video.Moderation.APPROVED and video.published_at is None:
        video.published_at = timezone.now()
        fields.append("published_at")
    video.save(update_fields=fields)
    search_index.video_tokens_refresh(video=video)  # searchable while listable, gone otherwise
    if outcome == Video.Moderation.APPROVED:
        # Published or re-approved after an edit (recommendations refreshes its content terms).
        video_published.send(sender=Video, video=video)
    return video


def video_attach_speech(*, video: Video, transcript: str, captions_vtt: str | None) -> None:
    """Store what speech recognition heard; `captions_vtt=None` keeps the current captions (the
    creator edited them, and they are theirs)."""
    video.transcript = transcript
    fields = ["transcript", "updated_at"]
    if captions_vtt is not None:
        video.captions_vtt = captions_vtt
        fields.append("captions_vtt")
    video.save(update_fields=fields)


def video_set_captions(*, video: Video, captions_vtt: str) -> None:
    """The creator's edited captions (already parsed and re-written, so no markup survives)."""
    video.captions_vtt = captions_vtt
    video.save(update_fields=["captions_vtt", "updated_at"])


def video_suggest_categories(*, video: Video, names: Iterable[str]) -> None:
    """Categories suggested by moderation's analysis, used only when the creator chose none."""
    if not video.categories.exists():
        video.categories.set(Category.objects.filter(name__in=list(names), active=True))


def video_record_appeal(*, video: Video, reason: str) -> None:
    video.appealed_at = timezone.now()
    video.appeal_reason = reason
    video.save(update_fields=["appealed_at", "appeal_reason", "updated_at"])


def content_set_hidden(*, item, hidden: bool) -> bool:
    """Hide a video or a comment pending review (reports), or show it again; True if it changed."""
    if item.hidden == hidden:
        return False
    item.hidden = hidden
    item.save(update_fields=["hidden"])
    if isinstance(item, Comment):
        comment_count_refresh(video=item.video)
    return True


# --- Paths ----------------------------------------------------------------------------------


# --- Upload ---------------------------------------------------------------------------------


# --- Transcoding ----------------------------------------------------------------------------


# --- Creators manage their videos -----------------------------------------------------------


def video_update(
    *,
    video: Video,
    title: str,
    description: str,
    categories: Iterable[Category],
    visibility: str,
    allow_comments: bool,
) -> Video:
    """Save the creator's edits; changed text goes through moderation again."""
    text_changed = (title, description) != (video.title, video.description)
    made_public = visibility == Video.Visibility.PUBLIC and video.visibility != Video.Visibility.PUBLIC
    with transaction.atomic():
        video.title, video.description = title.strip()[:150], description
        video.visibility, video.allow_comments = visibility, allow_comments
        video.full_clean(exclude=["creator", "public_id"])
        video.save()
        video.categories.set(list(categories))
        set_hashtags(video, description)
        search_index.video_tokens_refresh(video=video)  # new text, or a visibility that (un)lists it
        if text_changed and video.processing == Video.Processing.READY:
            gate.video_text_changed(video=video)
        if made_public and video.processing == Video.Processing.READY:
            gate.video_made_public(video=video)
    return video


def video_delete(*, video: Video) -> None:
    """The creator deletes a video: it disappears everywhere and its files go."""
    Video.objects.filter(pk=video.pk).update(deleted_at=timezone.now(), poster="", preview="")
    Encoding.objects.filter(video=video, status=Encoding.Status.QUEUED).update(
        status=Encoding.Status.FAILED, error="The video was deleted."
    )
    Encoding.objects.filter(video=video).update(path="")
    shutil.rmtree(media_dir(video), ignore_errors=True)
    # Moderation evidence thumbnails go with the video.
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "moderation" / video.public_id, ignore_errors=True)
    unlink(video.source_path)
    Video.objects.filter(pk=video.pk).update(source_path="")


def video_set_poster(*, video: Video, seconds: float) -> Video:
    """The creator picks another frame for the poster."""
    if video.processing != Video.Processing.READY:
        raise ValidationError("The poster can be chosen once the video is ready.")
    seconds = max(0.0, min(float(seconds), (video.duration or 0) - 0.1))
    try:
        make_poster(video, seconds)
    except (ffmpeg.FfmpegError, OSError) as exc:
        raise ValidationError(f"The poster could not be made: {exc}") from None
    video.poster_time = round(seconds, 3)
    video.poster = media_relative(video, "poster.jpg")
    video.save(update_fields=["poster_time", "poster", "updated_at"])
    return video

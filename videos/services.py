"""Video writes other than uploads (videos/uploads.py) and transcoding (videos/transcoding.py):
the state that moderation's decisions set, and creators' edits, posters and deletion. Every
state change of a video row goes through videos' services; moderation calls these with its
decisions and never assigns the fields itself."""

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tiktok import gate, media_store, staging
from videos import ffmpeg, search_index
from videos.commenting import comment_count_refresh
from videos.models import Category, Comment, Encoding, Video
from videos.publishing import video_publish_if_complete
from videos.signals import video_published
from videos.transcoding import make_poster, media_prefix, media_relative, source_remove, work_folder_remove
from videos.uploads import set_hashtags

logger = logging.getLogger(__name__)


# --- Moderation outcome ---------------------------------------------------------------------


def video_apply_moderation(*, video: Video, outcome: str, reason: str) -> Video:
    """Set the video's moderation state from the newest decision (called by moderation.services)."""
    video.moderation = outcome
    video.moderation_reason = reason[:500]
    video.save(update_fields=["moderation", "moderation_reason", "updated_at"])
    # Published (or re-approved after an edit) only once its renditions are ready too: a decision
    # may come first, since moderation reads the source while transcoding runs.
    video_publish_if_complete(video=video)
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
    """Save the creator's edits. New text on a published video is staged (tiktok.staging): the
    approved title and description stay live until moderation decides on the new ones, so an edit
    never takes the video down. Text of a video not yet published changes at once and goes
    through moderation again."""
    title = title.strip()[:150]
    shown = staging.owner_version(video)
    text_changed = (title, description) != (shown["title"], shown["description"])
    made_public = visibility == Video.Visibility.PUBLIC and video.visibility != Video.Visibility.PUBLIC
    published = video.moderation == Video.Moderation.APPROVED and video.processing == Video.Processing.READY
    with transaction.atomic():
        if not published:
            video.title, video.description = title, description
        video.visibility, video.allow_comments = visibility, allow_comments
        video.full_clean(exclude=["creator", "public_id"])
        video.save()
        video.categories.set(list(categories))
        if published:
            staged = text_changed and staging.stage(video, {"title": title, "description": description})
        else:
            staging.discard(video)  # nothing approved to keep: the new text is the video's text
            set_hashtags(video, description)
            staged = False
        search_index.video_tokens_refresh(video=video)  # new text, or a visibility that (un)lists it
        if (staged or (text_changed and not published)) and video.processing == Video.Processing.READY:
            gate.video_text_changed(video=video)
        if made_public and video.processing == Video.Processing.READY:
            gate.video_made_public(video=video)
    return video


def video_staged_apply(*, video: Video, approved: bool) -> dict:
    """Moderation's decision on the staged title and description: approved, they replace the live
    ones (hashtags and search follow); rejected, they are discarded and the live ones stay. Returns
    the replaced or discarded version."""
    with transaction.atomic():
        if not approved:
            return staging.discard(video)
        old = staging.promote(video)
        if old:
            set_hashtags(video, video.description)
            search_index.video_tokens_refresh(video=video)
            if video.is_listable:
                video_published.send(sender=Video, video=video)  # recommendations re-reads the text
    return old


def video_delete(*, video: Video) -> None:
    """The creator deletes a video: it disappears everywhere and its files go."""
    Video.objects.filter(pk=video.pk).update(deleted_at=timezone.now(), poster="", preview="")
    Encoding.objects.filter(video=video, status=Encoding.Status.QUEUED).update(
        status=Encoding.Status.FAILED, error="The video was deleted."
    )
    Encoding.objects.filter(video=video).update(path="")
    video_files_remove(video=video)


def video_files_remove(*, video: Video) -> None:
    """Every file of a (deleted) video, wherever the store keeps it: renditions, poster, preview,
    the moderation evidence thumbnails, the upload or kept original, this machine's work folder.
    If the store cannot be reached, the row says the video is deleted and cleanup_media removes
    what is left once it answers (nothing of a deleted video is ever served)."""
    work_folder_remove(video)
    try:
        media_store.delete_prefix(media_prefix(video))
        media_store.delete_prefix(f"moderation/{video.public_id}")
        source_remove(video.source_path)
    except media_store.StoreError as exc:
        logger.warning("video %s: files stay in the store until cleanup_media: %s", video.pk, exc)
        return
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

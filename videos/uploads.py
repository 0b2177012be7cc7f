"""Uploads: the file is checked by its content (ffprobe with the format allowlist, the duration
measured from its packets: no decoding, so it is cheap enough for the web worker), then the video is
created with its queued renditions, or refused with one line and nothing left behind. Whether the
file decodes is checked by the transcode job, which fails the video and removes its files if not."""

import logging
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from tiktok import gate, jobs, media_store
from videos import ffmpeg
from videos.models import Category, Encoding, Hashtag, Video
from videos.transcoding import RENDITIONS, TRANSCODE_TASK, source_remove, unlink

logger = logging.getLogger(__name__)


HASHTAG_RE = re.compile(r"#(\w{1,100})")


def upload_temp_path(suffix: str = ".upload") -> Path:
    """A fresh path for an incoming file, outside MEDIA_ROOT."""
    root = Path(settings.UPLOAD_TMP_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root / f"{uuid.uuid4().hex}{suffix}"


def hashtags_parse(text: str) -> list[str]:
    """`#Tags` in a description, lower-cased, without '#', first occurrence order, no repeats."""
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text or ""):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def set_hashtags(video: Video, description: str) -> None:
    names = hashtags_parse(description)
    existing = {tag.name: tag for tag in Hashtag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _ = Hashtag.objects.get_or_create(name=name)
    video.hashtags.set([existing[name] for name in names])


def video_validate_source(*, path: Path) -> ffmpeg.Probe:
    """Check an uploaded file by its content; raise ValidationError with a one-line reason."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationError("No file was received.") from None
    if size == 0:
        raise ValidationError("The file is empty.")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(f"The file is larger than the {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB limit.")
    try:
        info = ffmpeg.probe(path)
    except ffmpeg.ProbeError as exc:
        raise ValidationError(str(exc)) from None
    if info.duration < settings.VIDEO_MIN_SECONDS:
        raise ValidationError(f"The video is shorter than {settings.VIDEO_MIN_SECONDS:g} s.")
    if info.duration > settings.VIDEO_MAX_SECONDS:
        raise ValidationError(f"The video is longer than the {settings.VIDEO_MAX_SECONDS:g} s limit.")
    if max(info.width, info.height) > settings.VIDEO_MAX_SIDE:
        raise ValidationError(f"The picture is larger than {settings.VIDEO_MAX_SIDE} px on a side.")
    # Decoding is left to the transcode job (videos.transcoding.video_transcode), off the web worker.
    return info


def video_create(
    *,
    creator,
    source_path: Path,
    title: str,
    description: str = "",
    categories: Iterable[Category] = (),
    visibility: str = Video.Visibility.PUBLIC,
    allow_comments: bool = True,
    enqueue: bool = True,
    approve_on_ready_note: str = "",
) -> Video:
    """Validate an uploaded file and create the video with its queued encodings.

    Takes ownership of `source_path`: a refused file is deleted (no row, no file) and an accepted
    one moves to the video's source location: beside it on local disk, or the private incoming/
    prefix of a bucket, stored before the row exists, so no job ever sees a video without its
    upload. `enqueue=False` leaves the work to the caller (ingest_video --wait runs it inline)."""
    source_path = Path(source_path)
    kept = None
    stored = ""
    try:
        info = video_validate_source(path=source_path)
        title = (title or "").strip()
        if not title:
            raise ValidationError("A title is required.")
        if visibility not in Video.Visibility.values:
            raise ValidationError(f"Unknown visibility {visibility!r}.")
        video = Video(
            creator=creator,
            title=title[:150],
            description=description or "",
            visibility=visibility,
            allow_comments=allow_comments,
            duration=info.duration,
            width=info.width,
            height=info.height,
            rotation=info.rotation,
            has_audio=info.has_audio,
            poster_time=round(min(1.0, info.duration / 2), 3),
            approve_on_ready_note=approve_on_ready_note,
        )
        video.full_clean(exclude=["creator", "public_id"])
        if media_store.is_remote():
            # Stored whole before the transaction, so the database is not held during the upload.
            try:
                stored = media_store.put_file(source_path, f"{media_store.INCOMING}/{video.public_id}.source")
            except media_store.StoreError as exc:
                logger.error("video upload by %s could not be stored: %s", creator, exc)
                raise ValidationError("The video could not be stored just now; please try again in a minute.") from None
            video.source_path = stored
        else:
            kept = source_path.with_name(f"{video.public_id}.source")
            video.source_path = str(kept)
        with transaction.atomic():
            video.save()
            video.categories.set(list(categories))
            set_hashtags(video, video.description)
            Encoding.objects.bulk_create([Encoding(video=video, rendition=r) for r in RENDITIONS])
            gate.video_source_accepted(video=video)
            if kept:
                os.replace(source_path, kept)
            if enqueue:
                jobs.enqueue(TRANSCODE_TASK, video.pk, long=True)
    except BaseException:
        # Refused or rolled back: no row (the transaction) and no file (here).
        unlink(source_path)
        unlink(kept)
        if stored:
            try:
                source_remove(stored)
            except media_store.StoreError as exc:  # cleanup_media removes it once the store answers
                logger.warning("refused upload %s stays in the store for now: %s", stored, exc)
        raise
    logger.info("video %s created by %s (%.1f s %dx%d)", video.pk, creator, info.duration, info.width, info.height)
    return video

"""The transcoding pipeline: claim each rendition with a conditional UPDATE, run ffmpeg with a
heartbeat, retry with back-off, sweep renditions whose worker died; then poster, preview, ready,
and the content gate. Also where a video's files live in the media store (videos/media_store.py):
ffmpeg reads and writes only this machine's work folder; each finished file is stored whole."""

import logging
import shlex
import shutil
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from PIL import Image

from tiktok import gate, jobs, media_store
from videos import ffmpeg
from videos.models import Encoding, EncodingAttempt, Video
from videos.publishing import video_publish_if_complete

logger = logging.getLogger(__name__)


RENDITIONS = ("720p", "360p")
# The tile-sized WebP beside poster.jpg: grid tiles are at most about 180 CSS px wide, so 360 px
# covers a 2x screen.
POSTER_TILE = "poster-tile.webp"
POSTER_TILE_WIDTH = 360


TRANSCODE_TASK = "videos.tasks.transcode_video"
# Stored renditions, posters and previews: the bytes of a name never change except by a new
# transcode, but who may see them does, so only the viewer's browser keeps them.
RENDITION_CACHE = "private, max-age=3600"


def media_dir(video: Video) -> Path:
    return Path(settings.MEDIA_ROOT) / "videos" / video.public_id


def media_relative(video: Video, name: str) -> str:
    return f"videos/{video.public_id}/{name}"


def media_prefix(video: Video) -> str:
    return f"videos/{video.public_id}"


def work_folder(video: Video) -> Path:
    """This machine's private scratch folder for one video (downloads, ffmpeg's outputs before
    they are stored); removed when the video is finished, failed or deleted."""
    folder = Path(settings.MEDIA_WORK_ROOT) / video.public_id
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def work_folder_remove(video: Video) -> None:
    shutil.rmtree(Path(settings.MEDIA_WORK_ROOT) / video.public_id, ignore_errors=True)


def source_is_stored(source_path: str) -> bool:
    """An accepted upload is a local path (local disk) or a stored name under incoming/ (a bucket)."""
    return bool(source_path) and not Path(source_path).is_absolute()


def source_remove(source_path: str) -> None:
    """Remove an accepted upload, wherever it is."""
    if source_is_stored(source_path):
        media_store.delete(source_path)
    else:
        unlink(source_path)


def unlink(path: Path | str | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


def _source_for(video: Video) -> Path | None:
    """A local copy of the file to transcode from: the upload, a kept original, or (for a
    re-transcode once the upload is gone) the 720p rendition. Raises StoreError when the store
    cannot be reached (the job is retried; nothing is lost)."""
    if source_is_stored(video.source_path):
        try:
            return media_store.fetch(video.source_path, work_folder(video))
        except FileNotFoundError:
            pass
    elif video.source_path and Path(video.source_path).is_file():
        return Path(video.source_path)
    try:
        return _rendition_local(video, "720p")
    except FileNotFoundError:
        return None


def video_fail(*, video: Video, reason: str) -> None:
    Video.objects.filter(pk=video.pk).update(
        processing=Video.Processing.FAILED, processing_error=reason[:500], updated_at=timezone.now()
    )
    Encoding.objects.filter(video=video, status__in=[Encoding.Status.QUEUED, Encoding.Status.RUNNING]).update(
        status=Encoding.Status.FAILED, error=reason[:500]
    )
    video.processing, video.processing_error = Video.Processing.FAILED, reason[:500]
    logger.warning("video %s failed: %s", video.pk, reason)


def _source_refused(video: Video, *, reason: str) -> None:
    """The upload does not decode: the video fails with the reason (the creator's status page
    shows it; a failed video is never listed or watchable), and its files go. The row stays, so
    the creator learns why; they delete it like any other video."""
    video_fail(video=video, reason=reason)
    source_remove(video.source_path)
    media_store.delete_prefix(media_prefix(video))
    work_folder_remove(video)
    Video.objects.filter(pk=video.pk).update(source_path="")
    video.source_path = ""


def video_transcode(*, video_id: int, schedule_retries: bool = True, screen: bool = True) -> Video | None:
    """The transcode job: probe the source, run every due rendition this worker can claim, then
    finish the video (poster, preview, ready, moderation) once all renditions are done."""
    video = Video.objects.filter(pk=video_id, deleted_at__isnull=True).first()
    if video is None or video.processing == Video.Processing.FAILED:
        return video
    now = timezone.now()
    due = list(
        video.encodings.filter(status=Encoding.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("-rendition")  # "720p" before "360p"
    )
    if due:
        Video.objects.filter(pk=video.pk, processing=Video.Processing.RECEIVED).update(
            processing=Video.Processing.PROBING
        )
        try:
            source = _source_for(video)
        except media_store.StoreError as exc:
            _store_unavailable(video, exc, schedule_retries=schedule_retries)
            return video
        if source is None:
            video_fail(video=video, reason="The uploaded file is no longer available.")
            return video
        try:
            info = ffmpeg.probe(source)
        except ffmpeg.ProbeError as exc:
            video_fail(video=video, reason=str(exc))
            return video
        if video.processing != Video.Processing.READY:  # a ready video's source decoded already
            try:
                # The upload was only probed in the request; decoding costs a worker, so it is here.
                ffmpeg.check_decodes(source, info)
            except ffmpeg.ProbeError as exc:
                _source_refused(video, reason=str(exc))
                return video
            if screen and video.moderation == Video.Moderation.PENDING:
                # The source decodes: moderation's stages may start on it now, beside the encode,
                # so the decision is ready about when the renditions are.
                gate.video_source_checked(video=video)
        Video.objects.filter(pk=video.pk).exclude(
            processing__in=[Video.Processing.FAILED, Video.Processing.READY]
        ).update(processing=Video.Processing.TRANSCODING, processing_error="")
        for group in _encode_groups(video, due):
            encodings_run(encodings=group, source=source, info=info, schedule_retries=schedule_retries)
            video.refresh_from_db()
            _finish_if_complete(video, screen=screen)
    video.refresh_from_db()
    _finish_if_complete(video, screen=screen)
    video.refresh_from_db()
    if video.processing == Video.Processing.READY and _done(video, RENDITIONS):
        _release_source(video)
        work_folder_remove(video)
        video.refresh_from_db()
    return video


def _encode_groups(video: Video, due: list[Encoding]) -> list[list[Encoding]]:
    """One ffmpeg run for every due rendition; with PUBLISH_360P_FIRST, a new video's 360p runs
    alone first, so it can be published (after its decision) while the 720p is encoded."""
    first = [e for e in due if e.rendition == "360p"]
    if settings.PUBLISH_360P_FIRST and first and len(due) > 1 and video.processing != Video.Processing.READY:
        return [first, [e for e in due if e.rendition != "360p"]]
    return [due]


def _publish_needs() -> tuple[str, ...]:
    """The renditions a video must have before it is ready (watchable once approved)."""
    return ("360p",) if settings.PUBLISH_360P_FIRST else RENDITIONS


def _done(video: Video, renditions: tuple[str, ...]) -> bool:
    statuses = dict(video.encodings.values_list("rendition", "status"))
    return all(statuses.get(r) == Encoding.Status.DONE for r in renditions)


def encoding_run(*, encoding: Encoding, source: Path, info: ffmpeg.Probe, schedule_retries: bool = True) -> bool:
    """Claim and run one encoding; whether this worker ran it to completion."""
    return encodings_run(encodings=[encoding], source=source, info=info, schedule_retries=schedule_retries) == 1


def _claim(encoding: Encoding, now) -> EncodingAttempt | None:
    """A conditional UPDATE, so an encoding never runs twice at once; its attempt row, or None."""
    claimed = Encoding.objects.filter(pk=encoding.pk, status=Encoding.Status.QUEUED).update(
        status=Encoding.Status.RUNNING,
        claimed_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        progress=0.0,
        error="",
        next_attempt_at=None,
    )
    if claimed != 1:
        return None
    encoding.refresh_from_db()
    return EncodingAttempt.objects.create(encoding=encoding, number=encoding.attempts, started_at=now)


def encodings_run(*, encodings: list[Encoding], source: Path, info: ffmpeg.Probe, schedule_retries: bool = True) -> int:
    """Claim the encodings this worker can and run them all in one ffmpeg process, which decodes
    the source once (videos.ffmpeg.transcode_command). Each rendition keeps its own row, attempt
    and outcome. Returns how many this worker ran to completion."""
    now = timezone.now()
    claimed = [(e, attempt) for e in encodings if (attempt := _claim(e, now)) is not None]
    if not claimed:
        return 0
    video = claimed[0][0].video
    folder = work_folder(video)
    # Written in this machine's work folder, then stored whole: every stored .mp4 is complete.
    partials = {e.rendition: folder / f"{e.rendition}.mp4.part" for e, _ in claimed}
    argv = ffmpeg.transcode_command(source=source, outputs=partials, info=info)
    ids = [e.pk for e, _ in claimed]
    Encoding.objects.filter(pk__in=ids).update(command=_shell(argv))

    def on_progress(fraction: float) -> None:
        Encoding.objects.filter(pk__in=ids, status=Encoding.Status.RUNNING).update(
            progress=round(fraction, 4), heartbeat_at=timezone.now()
        )

    started = time.monotonic()
    log = folder / f".{'-'.join(partials)}.log"
    try:
        tail = ffmpeg.run_with_progress(
            argv,
            duration=info.duration,
            on_progress=on_progress,
            stderr_path=log,
            timeout=max(600.0, info.duration * 30),
        )
    except (ffmpeg.FfmpegError, OSError) as exc:
        for encoding, attempt in claimed:
            unlink(partials[encoding.rendition])
            _encoding_failed(
                encoding=encoding,
                attempt=attempt,
                reason=str(exc),
                log_tail=getattr(exc, "log_tail", ""),
                runtime=time.monotonic() - started,
                schedule_retries=False,
            )
        if schedule_retries:
            _schedule_retry(ids)
        return 0
    finally:
        unlink(log)
    runtime = time.monotonic() - started
    if Video.objects.filter(pk=video.pk, deleted_at__isnull=False).exists():
        # Deleted while this ran: the files go, as they would have with the rest.
        media_store.delete_prefix(media_prefix(video))
        work_folder_remove(video)
        EncodingAttempt.objects.filter(pk__in=[a.pk for _, a in claimed]).update(
            finished_at=timezone.now(), outcome="abandoned"
        )
        Encoding.objects.filter(pk__in=ids).update(status=Encoding.Status.FAILED, error="The video was deleted.")
        return 0
    done = sum(
        _rendition_store(encoding=e, attempt=a, partial=partials[e.rendition], tail=tail, runtime=runtime,
                         schedule_retries=schedule_retries)
        for e, a in claimed
    )  # fmt: skip
    logger.info("video %s %s done in %.2f s", video.pk, "+".join(partials), runtime)
    return done


def _schedule_retry(ids: list[int]) -> None:
    """One job for the renditions that wait for a retry, at the earliest of their back-offs."""
    waiting = Encoding.objects.filter(pk__in=ids, status=Encoding.Status.QUEUED).exclude(next_attempt_at=None)
    first = waiting.order_by("next_attempt_at").first()
    if first is not None:
        _schedule_transcode(first.video_id, first.next_attempt_at)


def _rendition_store(
    *, encoding: Encoding, attempt: EncodingAttempt, partial: Path, tail: str, runtime: float, schedule_retries: bool
) -> bool:
    """Check one output of a finished run and store it whole under its final name."""
    video = encoding.video
    name = f"{encoding.rendition}.mp4"
    try:
        # Checked before it takes the final name, so a failure never removes a file in use.
        out = ffmpeg.probe(partial)
        size = partial.stat().st_size
        media_store.put_file(partial, media_relative(video, name), cache_control=RENDITION_CACHE)
    except (ffmpeg.ProbeError, OSError) as exc:
        _encoding_failed(
            encoding=encoding,
            attempt=attempt,
            reason=str(exc),
            log_tail=tail,
            runtime=runtime,
            schedule_retries=schedule_retries,
        )
        return False
    finally:
        unlink(partial)
    Encoding.objects.filter(pk=encoding.pk).update(
        status=Encoding.Status.DONE,
        progress=1.0,
        path=media_relative(video, name),
        width=out.width,
        height=out.height,
        size_bytes=size,
        bitrate=int(size * 8 / out.duration) if out.duration else None,
        log_tail=tail,
        runtime_seconds=round(runtime, 3),
        heartbeat_at=timezone.now(),
    )
    EncodingAttempt.objects.filter(pk=attempt.pk).update(finished_at=timezone.now(), outcome="done")
    return True


def _shell(argv: list[str]) -> str:
    return shlex.join(argv)


def _encoding_failed(
    *, encoding: Encoding, attempt: EncodingAttempt, reason: str, log_tail: str, runtime: float, schedule_retries: bool
) -> None:
    now = timezone.now()
    EncodingAttempt.objects.filter(pk=attempt.pk).update(finished_at=now, outcome="failed", error=reason[:500])
    fields = {"error": reason[:500], "log_tail": log_tail, "runtime_seconds": round(runtime, 3)}
    if encoding.attempts >= settings.TRANSCODE_MAX_ATTEMPTS:
        _rendition_given_up(
            encoding=encoding,
            reason=f"Transcoding {encoding.rendition} failed after {encoding.attempts} attempts: {reason}",
            **fields,
        )
        return
    delay = settings.TRANSCODE_RETRY_BASE_SECONDS * 2 ** (encoding.attempts - 1)
    retry_at = now + timedelta(seconds=delay)
    Encoding.objects.filter(pk=encoding.pk, status=Encoding.Status.RUNNING).update(
        status=Encoding.Status.QUEUED, next_attempt_at=retry_at, **fields
    )
    logger.warning(
        "video %s %s attempt %d failed, retry at %s: %s",
        encoding.video_id,
        encoding.rendition,
        encoding.attempts,
        retry_at,
        reason,
    )
    if schedule_retries:
        _schedule_transcode(encoding.video_id, retry_at)


def _rendition_given_up(*, encoding: Encoding, reason: str, **fields) -> None:
    """No attempt is left. A ready video (a re-transcode) keeps its previous file for this
    rendition and stays watchable; any other video fails."""
    video = Video.objects.get(pk=encoding.video_id)
    previous = bool(encoding.path) and media_store.exists(encoding.path)
    if video.processing == Video.Processing.READY and previous:
        fields["error"] = f"{reason}; the previous file is kept"[:500]
        Encoding.objects.filter(pk=encoding.pk).update(status=Encoding.Status.DONE, progress=1.0, **fields)
        logger.warning("video %s: %s; the previous file is kept", video.pk, reason)
        return
    fields["error"] = reason[:500]
    Encoding.objects.filter(pk=encoding.pk).update(status=Encoding.Status.FAILED, **fields)
    video_fail(video=video, reason=reason)


def _schedule_transcode(video_id: int, when) -> None:
    jobs.enqueue_at(TRANSCODE_TASK, video_id, when=when, long=True)


def _finish_if_complete(video: Video, *, screen: bool = True) -> None:
    """Poster, preview, ready, then publication or the moderation gate, once the renditions a
    video needs are done (every one; the 360p alone with PUBLISH_360P_FIRST). The conditional
    UPDATE to ready makes this run once even if two jobs get here."""
    if video.processing != Video.Processing.TRANSCODING or video.deleted_at is not None:
        return
    if not _done(video, _publish_needs()):
        return
    try:
        make_poster(video, video.poster_time)
        _make_preview(video)
    except media_store.StoreError as exc:
        _store_unavailable(video, exc, schedule_retries=True)
        return
    except (ffmpeg.FfmpegError, ffmpeg.ProbeError, OSError) as exc:
        video_fail(video=video, reason=f"Making the poster or preview failed: {exc}")
        return
    if (
        Video.objects.filter(pk=video.pk, processing=Video.Processing.TRANSCODING).update(
            processing=Video.Processing.READY,
            poster=media_relative(video, "poster.jpg"),
            preview=media_relative(video, "preview.mp4"),
            updated_at=timezone.now(),
        )
        != 1
    ):
        return
    video.refresh_from_db()
    # Published now if a decision approved it already (moderation ran beside the encode);
    # otherwise the decision publishes it when it comes.
    video_publish_if_complete(video=video)
    if screen and video.moderation == Video.Moderation.PENDING:
        # Moderation runs as its own job; until it decides the video stays pending.
        gate.video_renditions_ready(video=video)


def _store_unavailable(video: Video, exc: OSError, *, schedule_retries: bool) -> None:
    """The media store failed: nothing is lost or published; the job runs again after the back-off
    (and the sweeper re-sends it if this schedule is lost)."""
    retry_at = timezone.now() + timedelta(seconds=settings.TRANSCODE_RETRY_BASE_SECONDS)
    logger.warning("video %s: media store unavailable, transcode retried at %s: %s", video.pk, retry_at, exc)
    if schedule_retries:
        _schedule_transcode(video.pk, retry_at)


def _release_source(video: Video) -> None:
    """After a successful transcode the upload goes: kept (outside MEDIA_ROOT, or under
    originals/ in a bucket) if KEEP_ORIGINALS."""
    if source_is_stored(video.source_path):
        if video.source_path.startswith(f"{media_store.ORIGINALS}/"):
            return  # kept already
        try:
            if settings.KEEP_ORIGINALS:
                kept = media_store.move(video.source_path, f"{media_store.ORIGINALS}/{video.public_id}.original")
            else:
                media_store.delete(video.source_path)
                kept = ""
        except media_store.StoreError as exc:  # the video is ready; cleanup_media finds it later
            logger.warning("video %s: the upload stays under incoming/: %s", video.pk, exc)
            return
        Video.objects.filter(pk=video.pk).update(source_path=kept)
        return
    source = Path(video.source_path) if video.source_path else None
    if source is None or not source.is_file() or Path(settings.ORIGINALS_ROOT) in source.parents:
        return
    if settings.KEEP_ORIGINALS:
        root = Path(settings.ORIGINALS_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        kept = root / f"{video.public_id}.original"
        shutil.move(str(source), kept)
        Video.objects.filter(pk=video.pk).update(source_path=str(kept))
    else:
        unlink(source)
        Video.objects.filter(pk=video.pk).update(source_path="")


def _rendition_local(video: Video, rendition: str) -> Path:
    """A local copy of a stored rendition, in the video's work folder (the file itself on local disk)."""
    return media_store.fetch(media_relative(video, f"{rendition}.mp4"), work_folder(video))


def make_poster(video: Video, seconds: float) -> None:
    source = _rendition_local(video, "720p" if _done(video, ("720p",)) else "360p")
    seconds = max(0.0, min(seconds, (video.duration or 0) - 0.1))
    partial = work_folder(video) / "poster.jpg.part"
    try:
        ffmpeg.run(
            ffmpeg.poster_command(
                source=source,
                output=partial,
                seconds=seconds,
                demuxer=ffmpeg.RENDITION_DEMUXER,
                threads=settings.FFMPEG_THREADS,
            ),
            timeout=120,
        )
        if not partial.is_file() or partial.stat().st_size == 0:
            raise ffmpeg.FfmpegError("ffmpeg wrote no poster frame")
        tile = _poster_tile(partial)
        media_store.put_file(tile, media_relative(video, POSTER_TILE), cache_control=RENDITION_CACHE)
        media_store.put_file(partial, media_relative(video, "poster.jpg"), cache_control=RENDITION_CACHE)
    finally:
        unlink(partial)
        unlink(partial.with_suffix(".webp.part"))


def _poster_tile(poster: Path) -> Path:
    """The poster at grid-tile size as WebP (profile and search grids; the JPEG stays for the
    feed's full-screen slide and link previews): a quarter of the pixels, a fraction of the bytes."""
    target = poster.with_suffix(".webp.part")
    try:
        with Image.open(poster) as image:
            image = image.convert("RGB")
            if image.width > POSTER_TILE_WIDTH:
                height = max(2, round(image.height * POSTER_TILE_WIDTH / image.width))
                image = image.resize((POSTER_TILE_WIDTH, height), Image.Resampling.LANCZOS)
            image.save(target, format="WEBP", quality=72, method=4)
    except (OSError, ValueError) as exc:  # Pillow's errors on a frame it cannot read
        raise ffmpeg.FfmpegError(f"the poster could not be made smaller: {exc}") from exc
    return target


def _make_preview(video: Video) -> None:
    source = _rendition_local(video, "360p")
    info = ffmpeg.Probe(
        duration=video.duration or 0,
        width=video.width or 2,
        height=video.height or 2,
        rotation=0,
        has_audio=False,
        video_codec="h264",
        demuxer=ffmpeg.RENDITION_DEMUXER,
    )
    partial = work_folder(video) / "preview.mp4.part"
    try:
        ffmpeg.run(
            ffmpeg.preview_command(source=source, output=partial, info=info, threads=settings.FFMPEG_THREADS),
            timeout=300,
        )
        media_store.put_file(partial, media_relative(video, "preview.mp4"), cache_control=RENDITION_CACHE)
    finally:
        unlink(partial)


def video_process_inline(*, video: Video, screen: bool = True) -> Video:
    """Run every stage in this process (ingest_video --wait, seed_demo --wait, tests), waiting
    out retry back-offs, until the video is ready or failed; the moderation job the gate queues
    runs here too. `screen=False` (the benchmark only) stops before the moderation gate, leaving
    the video pending and unlisted."""
    with jobs.inline():
        return _process_inline(video=video, screen=screen)


def _process_inline(*, video: Video, screen: bool) -> Video:
    while True:
        result = video_transcode(video_id=video.pk, schedule_retries=False, screen=screen)
        if result is None:
            return video
        video = result
        if video.processing in (Video.Processing.READY, Video.Processing.FAILED) or video.deleted_at:
            return video
        waiting = video.encodings.filter(status=Encoding.Status.QUEUED).order_by("next_attempt_at").first()
        if waiting is None:
            return video  # another worker holds a rendition
        if waiting.next_attempt_at is not None:
            time.sleep(max(0.0, (waiting.next_attempt_at - timezone.now()).total_seconds()))


def video_retranscode(*, video: Video) -> None:
    """Queue every rendition again (admin action); the video keeps its moderation state and, if
    it is ready, stays watchable throughout."""
    with transaction.atomic():
        Encoding.objects.filter(video=video).exclude(status=Encoding.Status.RUNNING).update(
            status=Encoding.Status.QUEUED, attempts=0, progress=0.0, error="", next_attempt_at=None
        )
        for rendition in RENDITIONS:
            Encoding.objects.get_or_create(video=video, rendition=rendition)
        # A ready video stays ready and keeps serving its current files: each new rendition
        # replaces its file atomically when done. A failed video starts over.
        Video.objects.filter(pk=video.pk).exclude(processing=Video.Processing.READY).update(
            processing=Video.Processing.RECEIVED, processing_error=""
        )
        jobs.enqueue(TRANSCODE_TASK, video.pk, long=True)


def encodings_sweep_stuck() -> dict:
    """Requeue renditions whose worker died (no heartbeat for TRANSCODE_STALE_SECONDS), and
    re-send jobs for renditions whose retry is due; a duplicate job is harmless (it claims
    nothing). Returns counts."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.TRANSCODE_STALE_SECONDS)
    requeued = failed = 0
    stuck = Encoding.objects.filter(status=Encoding.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, claimed_at__lt=stale_before)
    )
    videos: set[int] = set()
    for encoding in stuck.select_related("video"):
        reason = f"worker stopped responding (no progress for {settings.TRANSCODE_STALE_SECONDS} s)"
        EncodingAttempt.objects.filter(encoding=encoding, outcome="running").update(
            outcome="abandoned", finished_at=now, error=reason
        )
        if encoding.attempts >= settings.TRANSCODE_MAX_ATTEMPTS:
            # Claimed by the conditional UPDATE, so only one sweeper gives it up.
            if Encoding.objects.filter(pk=encoding.pk, status=Encoding.Status.RUNNING).update(
                status=Encoding.Status.FAILED, error=reason
            ):
                unlink(Path(settings.MEDIA_WORK_ROOT) / encoding.video.public_id / f"{encoding.rendition}.mp4.part")
                _rendition_given_up(encoding=encoding, reason=f"Transcoding {encoding.rendition} failed: {reason}")
                failed += 1
            continue
        # Conditional on the same heartbeat, so a worker that just reported progress keeps its job.
        if Encoding.objects.filter(
            pk=encoding.pk, status=Encoding.Status.RUNNING, heartbeat_at=encoding.heartbeat_at
        ).update(status=Encoding.Status.QUEUED, error=reason, next_attempt_at=None):
            unlink(Path(settings.MEDIA_WORK_ROOT) / encoding.video.public_id / f"{encoding.rendition}.mp4.part")
            requeued += 1
            videos.add(encoding.video_id)
    lost_before = now - timedelta(seconds=min(settings.TRANSCODE_STALE_SECONDS, 300))
    due = Encoding.objects.filter(status=Encoding.Status.QUEUED, video__deleted_at__isnull=True).filter(
        Q(next_attempt_at__lte=lost_before) | Q(next_attempt_at__isnull=True, created_at__lt=stale_before)
    )
    videos.update(due.values_list("video_id", flat=True))
    for video_id in sorted(videos):
        jobs.enqueue(TRANSCODE_TASK, video_id, long=True)
    if requeued or failed or videos:
        logger.info("sweep: requeued=%d failed=%d jobs_sent=%d", requeued, failed, len(videos))
    return {"requeued": requeued, "failed": failed, "jobs_sent": len(videos)}

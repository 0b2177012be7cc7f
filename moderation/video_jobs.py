"""The video moderation job: its own long job on the "long" cluster, claimed with a conditional
UPDATE, a heartbeat per stage, retried with back-off when a run breaks (never re-transcoding), and
found again by the sweeper when its worker dies. Always ends in a decision: after the last attempt
the video is held for review."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from moderation import decisions, gemini
from moderation.models import ModerationDecision, VideoModerationJob
from moderation.services import decision_record
from moderation.video_pipeline import video_moderate
from tiktok import jobs
from videos.models import Video
from videos.services import video_apply_moderation

log = logging.getLogger(__name__)
MODERATE_TASK = "moderation.tasks.moderate_video"


def job_claim(*, video) -> VideoModerationJob | None:
    """Claim the video's moderation job; None when another worker holds a live claim."""
    now = timezone.now()
    job, _ = VideoModerationJob.objects.get_or_create(video=video)
    stale = now - timedelta(seconds=settings.VIDEO_MODERATION_STALE_SECONDS)
    S = VideoModerationJob.Status
    claimed = (
        VideoModerationJob.objects.filter(pk=job.pk)
        .filter(Q(status__in=[S.WAITING, S.QUEUED, S.DONE, S.FAILED]) | Q(status=S.RUNNING, heartbeat_at__lt=stale))
        .update(status=S.RUNNING, attempts=F("attempts") + 1, claimed_at=now, heartbeat_at=now, stage="", error="")
    )
    if not claimed:
        return None
    job.refresh_from_db()
    return job


def video_moderation_run(*, video) -> str:
    """Moderate `video` under its job row. A run that breaks is retried with back-off (the
    renditions are kept: nothing is transcoded again); after VIDEO_MODERATION_MAX_ATTEMPTS the
    video is held for review. Returns the video's moderation state."""
    if video.processing != Video.Processing.READY and gemini_reads(video):
        # Gemini only ever gets a rendition, never the upload: this run waits for them.
        VideoModerationJob.objects.filter(video=video).exclude(status=VideoModerationJob.Status.RUNNING).update(
            status=VideoModerationJob.Status.WAITING, heartbeat_at=timezone.now()
        )
        return video.moderation
    job = job_claim(video=video)
    if job is None:
        log.info("video %s: moderation already running elsewhere", video.pk)
        return video.moderation
    S = VideoModerationJob.Status
    try:
        decision = video_moderate(video=video, job=job)
    except Exception as exc:  # the last line of fail-closed: whatever broke, the video gets a state
        log.exception("video %s: moderation run %d failed", video.pk, job.attempts)
        error = f"{type(exc).__name__}: {exc}"[:500]
        if job.attempts < settings.VIDEO_MODERATION_MAX_ATTEMPTS:
            delay = settings.VIDEO_MODERATION_RETRY_BASE_SECONDS * 2 ** (job.attempts - 1)
            VideoModerationJob.objects.filter(pk=job.pk).update(
                status=S.QUEUED, stage="", error=error, heartbeat_at=timezone.now()
            )
            jobs.enqueue_at(MODERATE_TASK, video.pk, when=timezone.now() + timedelta(seconds=delay), long=True)
            video.refresh_from_db(fields=["moderation"])
            return video.moderation
        reason = f"Held for review: automatic moderation failed {job.attempts} times and a moderator will look at it."
        with transaction.atomic():
            decision = decision_record(
                item=video,
                source=ModerationDecision.Source.AUTO,
                outcome=ModerationDecision.Outcome.REVIEW,
                reason=reason,
                action="screen",
                text_snapshot=f"{video.title}\n{video.description}",
                subject_user=video.creator,
                stages={"run": {"status": "failed", "error": error, "attempts": job.attempts}},
            )
            video_apply_moderation(video=video, outcome=decision.outcome, reason=reason)
        VideoModerationJob.objects.filter(pk=job.pk).update(status=S.FAILED, error=error, finished_at=timezone.now())
    else:
        VideoModerationJob.objects.filter(pk=job.pk).update(status=S.DONE, stage="", finished_at=timezone.now())
    video.refresh_from_db()
    if video.approve_on_ready_note:
        # Demo content seeded by an operator: published with their note, recorded as a human decision.
        decisions.video_decide(
            video=video,
            outcome=ModerationDecision.Outcome.APPROVED,
            actor=decisions.default_actor(),
            note=video.approve_on_ready_note,
            action="seed",
        )
        video.refresh_from_db()
    return video.moderation


def video_moderation_prepare(*, video) -> None:
    """The source was accepted: the job row exists from now on, waiting for the renditions."""
    VideoModerationJob.objects.get_or_create(
        video=video, defaults={"status": VideoModerationJob.Status.WAITING, "heartbeat_at": timezone.now()}
    )


def gemini_reads(video) -> bool:
    """Whether the Gemini stage will send this video (which needs its renditions)."""
    return gemini.configured() and not gemini.may_send(video)


def video_moderation_start_early(*, video) -> None:
    """The source decodes and transcoding starts: queue the job now, so the frame and speech
    stages read the source beside the encode, unless Gemini is to see this video (it then waits
    for the renditions). Only a job still waiting is queued, so a retried transcode queues none."""
    if gemini_reads(video):
        return
    job, _ = VideoModerationJob.objects.get_or_create(
        video=video, defaults={"status": VideoModerationJob.Status.WAITING, "heartbeat_at": timezone.now()}
    )
    S = VideoModerationJob.Status
    if VideoModerationJob.objects.filter(pk=job.pk, status=S.WAITING).update(
        status=S.QUEUED, heartbeat_at=timezone.now(), error=""
    ):
        jobs.enqueue(MODERATE_TASK, video.pk, long=True)


def video_moderation_when_ready(*, video) -> None:
    """The renditions are ready and the video has no decision yet: queue the job if it is still
    waiting for them; one queued or running on the source goes on and decides."""
    job = VideoModerationJob.objects.filter(video=video).first()
    S = VideoModerationJob.Status
    # Run inline (ingest_video --wait, tests) no cluster will pick up a job queued earlier: run it now.
    if job is None or job.status in (S.WAITING, S.DONE) or (job.status == S.QUEUED and jobs.running_inline()):
        video_moderation_enqueue(video=video)


def video_moderation_enqueue(*, video) -> None:
    """Queue a (re-)run on the long cluster; the job row says it is waiting, for the sweeper."""
    job, _ = VideoModerationJob.objects.get_or_create(video=video)
    VideoModerationJob.objects.filter(pk=job.pk).exclude(status=VideoModerationJob.Status.RUNNING).update(
        status=VideoModerationJob.Status.QUEUED, heartbeat_at=timezone.now(), error=""
    )
    jobs.enqueue(MODERATE_TASK, video.pk, long=True)


def moderation_sweep() -> int:
    """Requeue moderation whose worker died (running, heartbeat stale), whose task was lost (queued
    for too long), or that never started (a ready video still pending with no job). After
    VIDEO_MODERATION_MAX_ATTEMPTS runs the video is held for review instead. Returns how many."""
    S = VideoModerationJob.Status
    stale = timezone.now() - timedelta(seconds=settings.VIDEO_MODERATION_STALE_SECONDS)
    count = 0
    stuck = VideoModerationJob.objects.filter(status__in=[S.RUNNING, S.QUEUED], heartbeat_at__lt=stale).exclude(
        # Queued on the upload, whose transcode then failed: there is nothing to publish or decide.
        Q(video__processing=Video.Processing.FAILED) | Q(video__deleted_at__isnull=False)
    )
    for job in stuck.select_related("video"):
        if job.attempts >= settings.VIDEO_MODERATION_MAX_ATTEMPTS:
            reason = f"Held for review: automatic moderation did not finish after {job.attempts} attempts."
            with transaction.atomic():
                if not VideoModerationJob.objects.filter(pk=job.pk, status=job.status).update(
                    status=S.FAILED, error="gave up after repeated worker loss", finished_at=timezone.now()
                ):
                    continue
                decision_record(
                    item=job.video, source=ModerationDecision.Source.AUTO, outcome=ModerationDecision.Outcome.REVIEW,
                    reason=reason, action="screen", subject_user=job.video.creator,
                    text_snapshot=f"{job.video.title}\n{job.video.description}",
                    stages={"run": {"status": "failed", "error": "worker lost", "attempts": job.attempts}},
                )  # fmt: skip
                video_apply_moderation(video=job.video, outcome=ModerationDecision.Outcome.REVIEW, reason=reason)
            count += 1
            continue
        if VideoModerationJob.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at).update(
            status=S.QUEUED, heartbeat_at=timezone.now()
        ):
            log.warning("video %s: moderation stuck in %s; requeued", job.video_id, job.status)
            video_moderation_enqueue(video=job.video)
            count += 1
    # Ready but never queued: the gate failed when the renditions were ready, or it never ran.
    orphans = Video.objects.filter(
        Q(moderation_job__isnull=True) | Q(moderation_job__status=S.WAITING),
        processing=Video.Processing.READY,
        moderation=Video.Moderation.PENDING,
        updated_at__lt=stale,
        deleted_at__isnull=True,
    )
    for video in orphans:
        video_moderation_enqueue(video=video)
        count += 1
    return count

# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""No path makes a video listable without a decision: a failed transcode, each stage failing, the
whole run crashing, and the worker dying mid-moderation (the sweeper finishes the job)."""

import multiprocessing
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from moderation import classifier, frames, nsfw, speech, video_jobs, video_pipeline
from moderation.models import ModerationDecision, VideoModerationJob
from moderation.tasks import moderate_video
from moderation.video_jobs import moderation_sweep, video_moderation_run
from tests.media import make_clip
from tests.moderation.video_clips import clips, local_models, pending_video, whisper_dir  # noqa: F401
from videos import transcoding, uploads
from videos.models import EncodingAttempt, Video
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


def decisions(video):
    return ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video")


def test_a_failed_transcode_is_never_listable_and_never_screened(make_user, tmp_path):
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.5)
    video = uploads.video_create(creator=make_user(), source_path=source, title="t", enqueue=False)
    transcoding.video_fail(video=video, reason="ffmpeg crashed")
    video.refresh_from_db()
    assert video.processing == "failed" and video.moderation == "pending"
    assert not listable_videos().filter(pk=video.pk).exists() and not decisions(video).exists()


def _break(monkeypatch, target, name, exc):
    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(target, name, boom)


@pytest.mark.parametrize("stage", ["text", "frames", "nsfw", "speech", "gemini", "file"])
def test_each_failing_stage_holds_the_video_for_review_with_the_failure_recorded(
    stage, local_models, monkeypatch, make_user, clips
):
    video = pending_video(make_user(), clips["friendly"], title="Lemon cake")
    if stage == "text":
        _break(monkeypatch, classifier, "score_texts", classifier.ClassifierUnavailable("model missing"))
    elif stage == "frames":
        _break(monkeypatch, frames, "sample", frames.FramesUnavailable("ffmpeg died"))
    elif stage == "nsfw":
        _break(monkeypatch, nsfw, "score_images", nsfw.NSFWUnavailable("onnx broke"))
    elif stage == "speech":
        _break(monkeypatch, speech, "transcribe", speech.SpeechUnavailable("no whisper"))
    elif stage == "gemini":
        local_models.GEMINI_API_KEY = "test-key"
        local_models.GEMINI_BASE_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
        local_models.GEMINI_MAX_ATTEMPTS = 2
        local_models.GEMINI_RETRY_BASE_SECONDS = 0.01
    elif stage == "file":
        Path(local_models.MEDIA_ROOT / video.encodings.get().path).unlink()
    assert video_moderation_run(video=video) == "review"
    video.refresh_from_db()
    decision = decisions(video).first()
    failed = {name for name, s in decision.stages.items() if isinstance(s, dict) and s.get("status") == "failed"}
    expected = {"text": {"text"}, "frames": {"frames"}, "nsfw": {"frames"}, "speech": {"speech"},
                "gemini": {"gemini"}, "file": {"frames", "speech"}}[stage]  # fmt: skip
    assert expected <= failed
    assert video.moderation == "review" and "could not run" in video.moderation_reason
    assert not listable_videos().filter(pk=video.pk).exists()
    assert VideoModerationJob.objects.get(video=video).status == "done"


def test_a_crash_outside_any_stage_is_retried_without_transcoding_again_then_held_for_review(
    monkeypatch, settings, local_models, make_user, clips
):
    settings.VIDEO_MODERATION_MAX_ATTEMPTS = 2
    # A real upload and transcode (both renditions), stopped before the gate.
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.5)
    video = uploads.video_create(creator=make_user(), source_path=source, title="Bars", enqueue=False)
    video = transcoding.video_process_inline(video=video, screen=False)
    attempts_before = list(EncodingAttempt.objects.filter(encoding__video=video).values_list("pk", flat=True))
    assert len(attempts_before) == 2
    retries = []
    monkeypatch.setattr(
        video_jobs.jobs, "enqueue_at", lambda func, *args, when, long: retries.append((func, args, long))
    )
    _break(monkeypatch, video_pipeline, "combine", RuntimeError("bug"))
    # The first run breaks: the video stays pending and a retry is scheduled on the long cluster.
    assert video_moderation_run(video=video) == "pending"
    job = VideoModerationJob.objects.get(video=video)
    assert job.status == "queued" and job.attempts == 1 and "bug" in job.error
    assert retries == [("moderation.tasks.moderate_video", (video.pk,), True)]
    assert not decisions(video).exists()
    # The retry runs the moderation job again (not the transcode) and, out of attempts, holds it.
    assert moderate_video(video.pk) == "review"
    video.refresh_from_db()
    assert video.moderation == "review" and decisions(video).first().stages["run"]["status"] == "failed"
    assert VideoModerationJob.objects.get(video=video).status == "failed"
    # Nothing was transcoded again: the same encoding attempts, the same finished renditions.
    assert list(EncodingAttempt.objects.filter(encoding__video=video).values_list("pk", flat=True)) == attempts_before
    assert set(video.encodings.values_list("status", flat=True)) == {"done"}


def test_a_retried_run_that_succeeds_publishes_the_video(monkeypatch, local_models, make_user, clips):
    video = pending_video(make_user(), clips["colours"], title="Bars")
    monkeypatch.setattr(video_jobs.jobs, "enqueue_at", lambda *args, **kwargs: None)
    calls = []
    real = video_pipeline.combine

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a passing fault")
        return real(*args, **kwargs)

    monkeypatch.setattr(video_pipeline, "combine", flaky)
    assert video_moderation_run(video=video) == "pending"
    assert moderate_video(video.pk) in {"approved", "review"}
    assert VideoModerationJob.objects.get(video=video).attempts == 2


def _worker(video_id):
    # Own process group, as a worker would be; the kill takes the whole run down at once.
    os.setsid()
    connections.close_all()

    moderate_video(video_id)
    os._exit(0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_moderation_is_swept_and_the_video_decided_once_more(
    settings, local_models, make_user, clips, monkeypatch
):
    """A forked worker runs the moderation job and is killed with SIGKILL inside the speech stage:
    the video stays unlistable with no decision; the sweeper requeues it and the rerun decides."""
    video = pending_video(make_user(), clips["friendly"], title="Lemon cake")
    connections.close_all()
    worker = multiprocessing.get_context("fork").Process(target=_worker, args=(video.pk,))
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = VideoModerationJob.objects.filter(video=video).first()
        if job is not None and job.stage == "speech":
            break
        assert worker.is_alive(), "the worker finished before it could be killed"
        time.sleep(0.05)
    else:
        pytest.fail("the worker never reached the speech stage")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.join(10)
    video.refresh_from_db()
    job.refresh_from_db()
    assert video.moderation == "pending" and not decisions(video).exists()
    assert not listable_videos().filter(pk=video.pk).exists()
    assert (job.status, job.attempts) == ("running", 1)

    assert moderation_sweep() == 0  # the heartbeat is fresh
    VideoModerationJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.VIDEO_MODERATION_STALE_SECONDS + 1)
    )
    sent = []
    monkeypatch.setattr("tiktok.jobs.enqueue", lambda func, *args, **kw: sent.append((func, args, kw)))
    assert moderation_sweep() == 1
    assert sent == [("moderation.tasks.moderate_video", (video.pk,), {"long": True})]

    moderate_video(*sent[0][1])
    job.refresh_from_db()
    video.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    assert decisions(video).count() == 1 and video.moderation in ("approved", "review")


def test_the_sweeper_gives_up_after_the_last_attempt_and_holds_the_video(settings, make_user, clips):
    settings.VIDEO_MODERATION_STALE_SECONDS = 1
    settings.VIDEO_MODERATION_MAX_ATTEMPTS = 2
    video = pending_video(make_user(), clips["colours"], title="Bars")
    VideoModerationJob.objects.create(
        video=video, status="running", attempts=2, heartbeat_at=timezone.now() - timezone.timedelta(seconds=5)
    )
    assert moderation_sweep() == 1
    video.refresh_from_db()
    assert video.moderation == "review" and "did not finish" in video.moderation_reason
    assert decisions(video).count() == 1


def test_a_ready_video_left_pending_without_a_job_is_found_by_the_sweeper(settings, make_user, clips, monkeypatch):
    settings.VIDEO_MODERATION_STALE_SECONDS = 1
    video = pending_video(make_user(), clips["colours"], title="Bars")
    Video.objects.filter(pk=video.pk).update(updated_at=video.updated_at - timezone_delta(5))
    sent = []
    monkeypatch.setattr("tiktok.jobs.enqueue", lambda func, *args, **kw: sent.append((func, args)))
    assert moderation_sweep() == 1 and sent == [("moderation.tasks.moderate_video", (video.pk,))]


def timezone_delta(seconds):
    return timedelta(seconds=seconds)

# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""No path makes a video listable without a decision: a failed transcode, each stage failing, the
whole run crashing, and the worker dying mid-moderation (the sweeper finishes the job)."""

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from django.db import connections

from moderation import frames, nsfw, speech
from moderation.models import ModerationDecision, VideoModerationJob
from moderation.video_pipeline import moderation_sweep, video_moderation_run
from tests.moderation.video_clips import clips, local_models, ready_video, whisper_dir  # noqa: F401
from videos.models import Video
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


def decisions(video):
    return ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video")


def test_a_failed_transcode_is_never_listable_and_never_screened(make_user, tmp_path):
    from videos import services

    source = services.upload_temp_path()
    from tests.media import make_clip

    make_clip(source, seconds=1.5)
    video = services.video_create(creator=make_user(), source_path=source, title="t", enqueue=False)
    services.video_fail(video=video, reason="ffmpeg crashed")
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
    video = ready_video(make_user(), clips["friendly"], title="Lemon cake")
    if stage == "text":
        from moderation import classifier

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


def test_a_crash_outside_any_stage_still_leaves_a_review_decision(monkeypatch, local_models, make_user, clips):
    from moderation import video_pipeline

    _break(monkeypatch, video_pipeline, "combine", RuntimeError("bug"))
    video = ready_video(make_user(), clips["colours"], title="Bars")
    assert video_moderation_run(video=video) == "review"
    video.refresh_from_db()
    assert video.moderation == "review" and decisions(video).first().stages["run"]["status"] == "failed"
    assert VideoModerationJob.objects.get(video=video).status == "failed"


def _worker(video_id):
    # Own process group, as a worker would be; the kill takes the whole run down at once.
    os.setsid()
    connections.close_all()
    from moderation.tasks import moderate_video

    moderate_video(video_id)
    os._exit(0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_moderation_is_swept_and_the_video_decided_once_more(
    settings, local_models, make_user, clips, monkeypatch
):
    """A forked worker runs the moderation job and is killed with SIGKILL inside the speech stage:
    the video stays unlistable with no decision; the sweeper requeues it and the rerun decides."""
    video = ready_video(make_user(), clips["friendly"], title="Lemon cake")
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
    settings.VIDEO_MODERATION_STALE_SECONDS = 1
    time.sleep(1.2)
    sent = []
    monkeypatch.setattr("tiktok.jobs.enqueue", lambda func, *args, **kw: sent.append((func, args, kw)))
    assert moderation_sweep() == 1
    assert sent == [("moderation.tasks.moderate_video", (video.pk,), {"long": True})]
    from moderation.tasks import moderate_video

    moderate_video(*sent[0][1])
    job.refresh_from_db()
    video.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    assert decisions(video).count() == 1 and video.moderation in ("approved", "review")


def test_the_sweeper_gives_up_after_the_last_attempt_and_holds_the_video(settings, make_user, clips):
    from django.utils import timezone

    settings.VIDEO_MODERATION_STALE_SECONDS = 1
    settings.VIDEO_MODERATION_MAX_ATTEMPTS = 2
    video = ready_video(make_user(), clips["colours"], title="Bars")
    VideoModerationJob.objects.create(
        video=video, status="running", attempts=2, heartbeat_at=timezone.now() - timezone.timedelta(seconds=5)
    )
    assert moderation_sweep() == 1
    video.refresh_from_db()
    assert video.moderation == "review" and "did not finish" in video.moderation_reason
    assert decisions(video).count() == 1


def test_a_ready_video_left_pending_without_a_job_is_found_by_the_sweeper(settings, make_user, clips, monkeypatch):
    settings.VIDEO_MODERATION_STALE_SECONDS = 1
    video = ready_video(make_user(), clips["colours"], title="Bars")
    Video.objects.filter(pk=video.pk).update(updated_at=video.updated_at - timezone_delta(5))
    sent = []
    monkeypatch.setattr("tiktok.jobs.enqueue", lambda func, *args, **kw: sent.append((func, args)))
    assert moderation_sweep() == 1 and sent == [("moderation.tasks.moderate_video", (video.pk,))]


def timezone_delta(seconds):
    from datetime import timedelta

    return timedelta(seconds=seconds)

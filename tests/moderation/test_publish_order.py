# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""Moderation reads the source while the renditions are encoded, and a video is published only
once it has both an approving decision and its renditions, whichever comes last; with
PUBLISH_360P_FIRST its 360p is watchable before the 720p is done, and still only after a decision."""

import shutil
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from moderation.models import ModerationDecision, VideoModerationJob
from moderation.tasks import moderate_video
from moderation.video_jobs import MODERATE_TASK, moderation_sweep
from tests.moderation.video_clips import clips, local_models, whisper_dir  # noqa: F401
from tiktok import jobs
from videos import transcoding, uploads
from videos.models import Encoding, EncodingAttempt, Video
from videos.selectors import listable_videos
from videos.signals import video_published

pytestmark = [pytest.mark.django_db, pytest.mark.media]


def upload(creator, clip, title="Lemon cake", description="Baking with friends"):
    source = uploads.upload_temp_path()
    shutil.copyfile(clip, source)
    return uploads.video_create(
        creator=creator, source_path=source, title=title, description=description, enqueue=False
    )


@pytest.fixture
def publications():
    """What each `video_published` signal saw: the video's renditions and decision at that moment."""
    seen = []

    def receiver(sender, *, video, **kwargs):
        row = Video.objects.get(pk=video.pk)
        done = set(row.encodings.filter(status=Encoding.Status.DONE).values_list("rendition", flat=True))
        seen.append({"processing": row.processing, "moderation": row.moderation, "done": done})

    video_published.connect(receiver, dispatch_uid="test-publications")
    yield seen
    video_published.disconnect(dispatch_uid="test-publications")


def decisions_of(video):
    return ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video", action="screen")


def test_the_decision_made_on_the_source_before_the_renditions_publishes_nothing_until_they_are_ready(
    local_models, make_user, clips, publications
):
    video = upload(make_user(), clips["friendly"])
    # The moderation job runs on the upload itself, as it does beside the encode.
    VideoModerationJob.objects.filter(video=video).update(status=VideoModerationJob.Status.QUEUED)
    moderate_video(video.pk)
    video.refresh_from_db()
    assert video.moderation == Video.Moderation.APPROVED and decisions_of(video).count() == 1
    assert decisions_of(video).get().stages["speech"]["status"] == "ok"  # it heard the upload's voice
    assert video.processing == Video.Processing.RECEIVED
    assert video.published_at is None and publications == []
    assert not listable_videos().filter(pk=video.pk).exists() and not video.is_watchable

    video = transcoding.video_process_inline(video=video)
    assert video.processing == Video.Processing.READY and video.published_at is not None
    assert listable_videos().filter(pk=video.pk).exists()
    assert publications == [{"processing": "ready", "moderation": "approved", "done": {"720p", "360p"}}]
    assert decisions_of(video).count() == 1  # the ready renditions did not moderate it again


def test_renditions_ready_before_the_decision_publish_nothing_until_it_comes(
    local_models, make_user, clips, publications
):
    video = transcoding.video_process_inline(video=upload(make_user(), clips["friendly"]), screen=False)
    assert video.processing == Video.Processing.READY and video.moderation == Video.Moderation.PENDING
    assert video.published_at is None and publications == []
    assert not listable_videos().filter(pk=video.pk).exists()

    moderate_video(video.pk)
    video.refresh_from_db()
    assert video.moderation == Video.Moderation.APPROVED and video.published_at is not None
    assert publications == [{"processing": "ready", "moderation": "approved", "done": {"720p", "360p"}}]


@pytest.fixture
def queued(monkeypatch):
    """Jobs sent to the cluster, each with its video's rendition states at that moment."""
    sent = []

    def enqueue(func, *args, **kwargs):
        states = set(Encoding.objects.filter(video_id=args[0]).values_list("status", flat=True))
        sent.append((func, args, kwargs, states))

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    return sent


def test_the_transcode_job_queues_moderation_on_the_source_before_encoding(make_user, clips, queued):
    video = upload(make_user(), clips["friendly"])
    transcoding.video_transcode(video_id=video.pk, schedule_retries=False)
    assert queued == [(MODERATE_TASK, (video.pk,), {"long": True}, {Encoding.Status.QUEUED})]  # before encoding
    video.refresh_from_db()
    assert video.processing == Video.Processing.READY and video.moderation == Video.Moderation.PENDING
    assert VideoModerationJob.objects.get(video=video).status == VideoModerationJob.Status.QUEUED
    assert video.published_at is None


def test_with_gemini_to_see_the_video_moderation_waits_for_the_renditions(settings, make_user, clips, queued):
    settings.GEMINI_API_KEY = "a-key"
    settings.GEMINI_SEND = "all"
    video = upload(make_user(), clips["friendly"])
    transcoding.video_transcode(video_id=video.pk, schedule_retries=False)
    # Queued once, when the renditions were done: Gemini only ever gets a rendition, never the upload.
    assert queued == [(MODERATE_TASK, (video.pk,), {"long": True}, {Encoding.Status.DONE})]


@pytest.mark.django_db(transaction=True)
def test_moderation_runs_beside_the_encode_in_two_workers(local_models, make_user, clips, monkeypatch):
    """Two threads stand for the two long workers: the transcode job queues moderation, which starts
    in the other while ffmpeg is still encoding; the video is published once both are done."""
    video = upload(make_user(), clips["friendly"])
    workers = []

    def enqueue(func, *args, **kwargs):
        assert func == MODERATE_TASK

        def run():
            try:
                moderate_video(*args)
            finally:
                connection.close()

        workers.append(threading.Thread(target=run))
        workers[-1].start()

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    transcoding.video_transcode(video_id=video.pk, schedule_retries=False)
    for worker in workers:
        worker.join(timeout=300)
    assert len(workers) == 1
    job = VideoModerationJob.objects.get(video=video)
    encode = EncodingAttempt.objects.filter(encoding__video=video).order_by("finished_at").last()
    assert job.claimed_at < encode.finished_at, "moderation started before the encode finished"
    video.refresh_from_db()
    assert video.moderation == Video.Moderation.APPROVED and video.processing == Video.Processing.READY
    assert video.published_at is not None and listable_videos().filter(pk=video.pk).exists()


def test_360p_first_is_published_before_the_720p_only_after_a_decision(
    settings, local_models, make_user, clips, publications, client
):
    settings.PUBLISH_360P_FIRST = True
    # No decision: the 360p is made first and the video is ready, but nothing is published.
    video = transcoding.video_process_inline(video=upload(make_user(), clips["friendly"]), screen=False)
    assert video.processing == Video.Processing.READY and video.published_at is None and publications == []
    assert not listable_videos().filter(pk=video.pk).exists()

    # With the decision made on the source first (inline: before the encode), the video is
    # published as soon as its 360p is done, while the 720p is still to come.
    video = transcoding.video_process_inline(video=upload(make_user(), clips["friendly"], title="Cake two"))
    assert publications == [{"processing": "ready", "moderation": "approved", "done": {"360p"}}]
    assert video.published_at is not None
    assert set(video.encodings.values_list("status", flat=True)) == {Encoding.Status.DONE}
    assert video.source_path == ""  # released once the 720p was done too


def test_a_job_queued_on_an_upload_whose_transcode_failed_is_not_swept_again(settings, make_user, clips, queued):
    settings.VIDEO_MODERATION_STALE_SECONDS = 1
    video = upload(make_user(), clips["friendly"])
    transcoding.video_transcode(video_id=video.pk, schedule_retries=False)
    Video.objects.filter(pk=video.pk).update(processing=Video.Processing.FAILED)
    VideoModerationJob.objects.filter(video=video).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    queued.clear()
    assert moderation_sweep() == 0 and queued == []

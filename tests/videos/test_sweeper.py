"""A worker killed in the middle of a transcode: the sweeper requeues its rendition, the job runs
once more, and the video reaches ready with both attempts recorded."""

import multiprocessing
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from tests.media import make_clip
from videos import transcoding, uploads
from videos.models import Encoding, Video
from videos.tasks import transcode_video

pytestmark = pytest.mark.django_db(transaction=True)


def _worker(video_id):
    # Own process group, so killing the "worker" also kills its ffmpeg child, as a crash would.
    os.setsid()
    connections.close_all()
    transcoding.video_transcode(video_id=video_id)
    os._exit(0)


def test_a_killed_transcode_is_requeued_by_the_sweeper_and_finishes_with_two_attempts(settings, make_user, monkeypatch):
    source = uploads.upload_temp_path()
    # Big enough that the 720p encode takes a few seconds on a busy machine.
    make_clip(source, seconds=6, width=1280, height=720)
    video = uploads.video_create(creator=make_user(), source_path=source, title="crash", enqueue=False)

    connections.close_all()
    worker = multiprocessing.get_context("fork").Process(target=_worker, args=(video.pk,))
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        encoding = Encoding.objects.get(video=video, rendition="720p")
        if encoding.status == Encoding.Status.RUNNING and encoding.progress > 0:
            break
        assert worker.is_alive(), "the worker finished before it could be killed"
        time.sleep(0.05)
    else:
        pytest.fail("the transcode never reported progress")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.join(10)
    assert Encoding.objects.get(video=video, rendition="720p").status == Encoding.Status.RUNNING

    # Nothing is requeued while the heartbeat is fresh...
    assert transcoding.encodings_sweep_stuck()["requeued"] == 0
    # ...and it is, once no heartbeat came for longer than the threshold (the last one back-dated).
    # Both renditions were in the one ffmpeg run that died, and both stopped reporting.
    assert Encoding.objects.get(video=video, rendition="360p").status == Encoding.Status.RUNNING
    Encoding.objects.filter(video=video).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.TRANSCODE_STALE_SECONDS + 1)
    )
    sent = []
    monkeypatch.setattr(transcoding.jobs, "enqueue", lambda func, *args, **kw: sent.append((func, args, kw)))
    assert transcoding.encodings_sweep_stuck()["requeued"] == 2
    assert sent == [("videos.tasks.transcode_video", (video.pk,), {"long": True})]
    assert not (settings.MEDIA_ROOT / "videos" / video.public_id / "720p.mp4.part").exists()

    # The job the sweeper sent runs once more.
    transcode_video(*sent[0][1])
    video.refresh_from_db()
    assert video.processing == Video.Processing.READY
    encoding = Encoding.objects.get(video=video, rendition="720p")
    assert encoding.status == Encoding.Status.DONE and encoding.attempts == 2
    assert list(encoding.attempt_log.order_by("number").values_list("number", "outcome")) == [
        (1, "abandoned"),
        (2, "done"),
    ]
    assert Encoding.objects.get(video=video, rendition="360p").attempts == 2


def test_a_claimed_encoding_cannot_be_claimed_again(make_user):
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.2, width=64, height=48)
    video = uploads.video_create(creator=make_user(), source_path=source, title="twice", enqueue=False)
    encoding = Encoding.objects.get(video=video, rendition="720p")
    Encoding.objects.filter(pk=encoding.pk).update(status=Encoding.Status.RUNNING)
    info = transcoding.ffmpeg.probe(Path(video.source_path))
    assert transcoding.encoding_run(encoding=encoding, source=Path(video.source_path), info=info) is False
    assert encoding.attempt_log.count() == 0


def test_the_sweeper_gives_up_after_the_last_attempt(settings, make_user):
    settings.TRANSCODE_STALE_SECONDS = 1
    settings.TRANSCODE_MAX_ATTEMPTS = 1
    source = uploads.upload_temp_path()
    make_clip(source, seconds=1.2, width=64, height=48)
    video = uploads.video_create(creator=make_user(), source_path=source, title="stuck", enqueue=False)
    Encoding.objects.filter(video=video, rendition="720p").update(
        status=Encoding.Status.RUNNING, attempts=1, heartbeat_at=timezone.now() - timedelta(seconds=5)
    )
    assert transcoding.encodings_sweep_stuck()["failed"] == 1
    video.refresh_from_db()
    assert video.processing == Video.Processing.FAILED and "stopped responding" in video.processing_error

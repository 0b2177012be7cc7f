"""Fault: Redis is configured but down. Uploads are still accepted (rate limits are not
enforced while the cache is away, and /healthz says so); a job that could not be queued on a
Redis broker is sent again by the sweeper once the broker is back, and then runs."""

import datetime as dt

import django_q.tasks
import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_q.brokers.redis_broker import Redis

from tests.media import make_clip
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from videos import transcoding
from videos.models import Category, Encoding, Video
from videos.tasks import transcode_video

pytestmark = pytest.mark.django_db
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_uploads_are_accepted_and_jobs_run_once_redis_returns(
    client, settings, make_user, tmp_path, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    dead_broker = Redis(list_key="long")
    dead_broker.connection = redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.5)
    monkeypatch.setattr(django_q.tasks, "get_broker", lambda list_key=None: dead_broker)

    clip = make_clip(tmp_path / "clip.mp4", seconds=1.5, width=160, height=120)
    client.force_login(make_user("creator"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("videos:upload"),
            {
                "title": "Made while Redis was down",
                "categories": [Category.objects.get(name="Travel").pk],
                "visibility": "public",
                "file": SimpleUploadedFile("clip.mp4", clip.read_bytes(), content_type="video/mp4"),
            },
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 204
    assert "could not queue videos.tasks.transcode_video" in caplog.text
    video = Video.objects.get()
    assert set(Encoding.objects.filter(video=video).values_list("status", flat=True)) == {"queued"}

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"ok": False}  # the cache's error text is for staff only

    # Redis is back: the sweeper finds the renditions that never got a job and sends them.
    monkeypatch.undo()
    settings.TRANSCODE_STALE_SECONDS = 1
    Encoding.objects.filter(video=video).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    sent = []
    monkeypatch.setattr(transcoding.jobs, "enqueue", lambda func, *args, **kw: sent.append((func, args)))
    assert transcoding.encodings_sweep_stuck()["jobs_sent"] == 1
    func, args = sent[0]
    assert func == "videos.tasks.transcode_video"

    transcode_video(*args)  # what the worker runs for the job
    video.refresh_from_db()
    assert video.processing == "ready"

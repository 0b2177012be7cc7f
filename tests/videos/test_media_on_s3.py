"""Media in an S3-compatible bucket (MEDIA_STORAGE=s3), against the local moto server: the whole
pipeline leaves nothing on disk, media views hand out presigned URLs only after the permission
check, deletion and cleanup reach the bucket, and the store going down mid-transcode retries the
job with nothing published and the original kept."""

import urllib.request
import zipfile
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.privacy import user_delete, user_export_write
from moderation import decisions
from moderation.models import ModerationDecision
from tests.factories import ready_video
from tests.media import make_clip
from tests.moderation.video_clips import local_models, whisper_dir  # noqa: F401
from tests.ops.tcp_proxy import CuttableProxy
from tests.s3_server import use_bucket
from tiktok import media_store
from videos import uploads
from videos.models import Encoding, Video
from videos.services import video_delete
from videos.transcoding import video_process_inline, video_transcode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.media]


def files_under(*roots) -> list[Path]:
    return [p for root in roots if Path(root).exists() for p in Path(root).rglob("*") if p.is_file()]


def media_url(video, rendition="720p"):
    return reverse("videos:media", args=[video.public_id, rendition])


@pytest.mark.usefixtures("local_models")
def test_ingest_wait_stores_every_file_in_the_bucket_and_leaves_none_on_disk(s3_media, settings, make_user, tmp_path):
    server, bucket = s3_media
    make_user("creator")
    clip = make_clip(tmp_path / "incoming" / "beach.mp4", seconds=1.5, width=160, height=120)
    out = StringIO()
    call_command("ingest_video", str(clip), "--user", "creator", "--wait", stdout=out, stderr=StringIO())
    video = Video.objects.get()
    assert out.getvalue().strip().splitlines()[-1].startswith(f"video={video.pk} status=")
    assert video.processing == Video.Processing.READY
    keys = server.keys(bucket)
    for name in ("720p.mp4", "360p.mp4", "poster.jpg", "preview.mp4"):
        assert f"videos/{video.public_id}/{name}" in keys
    assert not [k for k in keys if k.startswith("incoming/")]  # the upload went once it was transcoded
    assert video.source_path == ""
    assert files_under(settings.MEDIA_ROOT, settings.UPLOAD_TMP_ROOT, settings.MEDIA_WORK_ROOT) == []


def test_private_held_and_rejected_media_never_get_a_url(s3_media, client, make_user):
    creator, stranger = make_user("creator"), make_user("stranger")
    shown = ready_video(creator)
    withheld = [ready_video(creator, visibility=Video.Visibility.PRIVATE), ready_video(creator, hidden=True)]
    for state in (Video.Moderation.REVIEW, Video.Moderation.REJECTED):  # held for review, rejected
        video = ready_video(creator)
        Video.objects.filter(pk=video.pk).update(moderation=state)
        withheld.append(video)
    client.force_login(stranger)
    for video in withheld:
        for url in (media_url(video), media_url(video, "360p"), reverse("videos:poster", args=[video.public_id])):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Location" not in response and "X-Amz-Signature" not in response.content.decode()

    response = client.get(media_url(shown), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 302
    location = response["Location"]
    query = parse_qs(urlparse(location).query)
    assert urlparse(location).path.endswith(f"/videos/{shown.public_id}/720p.mp4")
    assert query["X-Amz-Expires"] == ["600"] and "X-Amz-Signature" in query
    assert response["Cache-Control"] == "private, max-age=60"
    # The browser's Range request then goes to the store itself.
    request = urllib.request.Request(location, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 206 and len(answer.read()) == 100
        assert answer.headers["Cache-Control"] == "private, max-age=600"
    # The poster of a public video gets the longer-lived URL.
    poster = client.get(reverse("videos:poster", args=[shown.public_id]))
    assert parse_qs(urlparse(poster["Location"]).query)["X-Amz-Expires"] == ["86400"]


def test_deleting_a_video_or_an_account_leaves_no_object(s3_media, make_user):
    server, bucket = s3_media
    creator, other = make_user("creator"), make_user("other")
    deleted, kept = ready_video(creator), ready_video(creator)
    media_store.put_bytes(b"\xff\xd8thumb", f"moderation/{deleted.public_id}/frame-0001000.jpg")
    others = ready_video(other)
    video_delete(video=deleted)
    assert not [k for k in server.keys(bucket) if deleted.public_id in k]
    assert f"videos/{kept.public_id}/720p.mp4" in server.keys(bucket)

    user_delete(user=creator)
    assert [k for k in server.keys(bucket) if not k.startswith(f"videos/{others.public_id}/")] == []
    assert f"videos/{others.public_id}/720p.mp4" in server.keys(bucket)


def test_cleanup_media_dry_run_lists_an_orphaned_object_and_the_real_run_removes_it(s3_media, make_user):
    server, bucket = s3_media
    live = ready_video(make_user())
    media_store.put_bytes(b"x" * 100, "videos/gone-video-id/720p.mp4")
    out, err = StringIO(), StringIO()
    call_command("cleanup_media", "--dry-run", stdout=out, stderr=err)
    assert "would remove videos/gone-video-id" in err.getvalue()
    assert out.getvalue().strip().splitlines()[-1] == "orphans=1 bytes=100 (dry run)"
    assert "videos/gone-video-id/720p.mp4" in server.keys(bucket)

    call_command("cleanup_media", stdout=StringIO(), stderr=StringIO())
    keys = server.keys(bucket)
    assert "videos/gone-video-id/720p.mp4" not in keys
    assert f"videos/{live.public_id}/720p.mp4" in keys


@pytest.fixture
def store_through_proxy(s3_media, settings):
    """The same bucket, reached through a TCP proxy the test can cut."""
    server, bucket = s3_media
    proxy = CuttableProxy("127.0.0.1", server.port)
    use_bucket(settings, endpoint=f"http://127.0.0.1:{proxy.port}", bucket=bucket)
    settings.TRANSCODE_RETRY_BASE_SECONDS = 0
    yield server, bucket, proxy
    proxy.close()


@pytest.mark.usefixtures("local_models")
def test_the_store_going_down_during_a_transcode_retries_the_job_and_publishes_nothing(
    store_through_proxy, settings, make_user, tmp_path, monkeypatch
):
    server, bucket, proxy = store_through_proxy
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.5, width=160, height=120)
    video = uploads.video_create(creator=make_user(), source_path=clip, title="cut mid-way", enqueue=False)
    assert video.source_path == f"incoming/{video.public_id}.source"

    # The store goes down after the 720p rendition is stored, as the 360p one is uploaded.
    real_put = media_store.put_file

    def put_then_cut(local_path, name, **kwargs):
        if name.endswith("360p.mp4"):
            proxy.cut()
        return real_put(local_path, name, **kwargs)

    monkeypatch.setattr(media_store, "put_file", put_then_cut)
    video = video_transcode(video_id=video.pk, schedule_retries=False)
    assert video.processing == Video.Processing.TRANSCODING
    assert video.moderation == Video.Moderation.PENDING and video.published_at is None
    statuses = dict(video.encodings.values_list("rendition", "status"))
    assert statuses == {"720p": Encoding.Status.DONE, "360p": Encoding.Status.QUEUED}  # retried, not failed
    assert "media store" in video.encodings.get(rendition="360p").error
    # Nothing is lost: the original is still in the bucket (read past the proxy).
    assert f"incoming/{video.public_id}.source" in server.keys(bucket)
    assert not Video.objects.filter(moderation=Video.Moderation.APPROVED).exists()

    proxy.restore()
    monkeypatch.setattr(media_store, "put_file", real_put)
    video = video_process_inline(video=video)
    assert video.processing == Video.Processing.READY
    assert f"videos/{video.public_id}/360p.mp4" in server.keys(bucket)
    assert not [k for k in server.keys(bucket) if k.startswith("incoming/")]


def test_an_upload_while_the_store_is_down_is_refused_with_one_line_and_leaves_nothing(
    store_through_proxy, make_user, tmp_path, settings
):
    server, bucket, proxy = store_through_proxy
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.2, width=64, height=48)
    proxy.cut()
    with pytest.raises(Exception, match="could not be stored just now") as refused:
        uploads.video_create(creator=make_user(), source_path=clip, title="refused", enqueue=False)
    assert type(refused.value).__name__ == "ValidationError"
    assert Video.objects.count() == 0 and server.keys(bucket) == []
    assert files_under(settings.UPLOAD_TMP_ROOT, settings.MEDIA_WORK_ROOT) == []


def test_a_deletion_while_the_store_is_down_hides_the_video_and_cleanup_removes_its_objects_later(
    store_through_proxy, client, make_user
):
    server, bucket, proxy = store_through_proxy
    video = ready_video(make_user())
    proxy.cut()
    video_delete(video=video)  # no error for the creator: the row says deleted
    video.refresh_from_db()
    assert video.deleted_at is not None
    assert client.get(media_url(video)).status_code == 404
    assert f"videos/{video.public_id}/720p.mp4" in server.keys(bucket)  # still there, unreferenced

    proxy.restore()
    call_command("cleanup_media", stdout=StringIO(), stderr=StringIO())
    assert not [k for k in server.keys(bucket) if video.public_id in k]


def test_360p_first_gets_a_url_only_after_an_approving_decision(s3_media, settings, make_user, tmp_path, client):
    settings.PUBLISH_360P_FIRST = True
    creator = make_user("creator")
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.5, width=160, height=120, audio=False)
    video = uploads.video_create(creator=creator, source_path=clip, title="first small", enqueue=False)
    video = video_process_inline(video=video, screen=False)  # renditions made, no decision yet
    assert video.processing == Video.Processing.READY and video.published_at is None
    client.force_login(make_user("viewer"))
    assert client.get(media_url(video, "360p")).status_code == 404

    decisions.video_decide(
        video=video, outcome=ModerationDecision.Outcome.APPROVED, actor=make_user("mod", is_staff=True), note="ok"
    )
    video.refresh_from_db()
    assert video.published_at is not None
    response = client.get(media_url(video, "360p"))
    assert response.status_code == 302 and "X-Amz-Signature" in response["Location"]


def test_the_data_export_holds_the_videos_from_the_bucket(s3_media, make_user, tmp_path):
    server, bucket = s3_media
    creator = make_user("creator")
    video = ready_video(creator)
    target = tmp_path / "export.zip"
    user_export_write(user=creator, target=target)
    with zipfile.ZipFile(target) as archive, media_store.local_copy(f"videos/{video.public_id}/720p.mp4") as stored:
        assert archive.read(f"media/videos/{video.public_id}.mp4") == stored.read_bytes()

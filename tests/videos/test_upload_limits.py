"""What an upload may cost the web worker: uploads per account per hour are capped (refused
before the body is read, nothing stored), and the request only probes the file (the format
allowlist, the packet-measured duration). The full decode check runs in the transcode job: a
file that probes fine but does not decode is accepted, then failed by the job with its reason,
never shown anywhere and with no media left."""

import struct
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.media import make_clip
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from videos import tasks
from videos.models import Category, Video

pytestmark = pytest.mark.django_db

DECODE_REASON = "cannot be decoded to its end"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limit-clips")
    good = make_clip(folder / "good.mp4", seconds=1.5, width=160, height=120, faststart=True)
    return {"good": good.read_bytes(), "undecodable": zeroed_media(good.read_bytes())}


def zeroed_media(mp4: bytes) -> bytes:
    """The same file with every byte of its media data (the mdat box) zeroed: the header and the
    packet table are whole, so it probes with its real duration, but no frame decodes."""
    data = bytearray(mp4)
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"mdat":
            data[at + 8 : at + size] = bytes(size - 8)
            return bytes(data)
        at += size
    raise AssertionError("no mdat box")


def post_upload(client, content: bytes, name="clip.mp4", title="My clip"):
    data = {
        "title": title,
        "description": "",
        "categories": [Category.objects.get(name="Travel").pk],
        "visibility": "public",
        "allow_comments": "on",
        "file": SimpleUploadedFile(name, content, content_type="video/mp4"),
    }
    return client.post(reverse("videos:upload"), data, HTTP_HX_REQUEST="true")


def error_line(page: str) -> str:
    return page.split('id="upload-error"', 1)[1].split(">", 1)[1].split("</div>", 1)[0].strip()


def files_under(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def test_an_upload_past_the_hourly_limit_answers_429_and_stores_nothing(client, settings, make_user, clips):
    settings.UPLOADS_PER_HOUR = 2
    client.force_login(make_user("busy"))
    assert [post_upload(client, clips["good"]).status_code for _ in range(2)] == [204, 204]
    stored = files_under(settings.UPLOAD_TMP_ROOT)
    assert len(stored) == 2

    response = post_upload(client, clips["good"], title="One too many")
    assert response.status_code == 429
    line = error_line(response.content.decode())
    assert "2 uploads per hour" in line and "\n" not in line
    assert Video.objects.count() == 2 and not Video.objects.filter(title="One too many").exists()
    assert files_under(settings.UPLOAD_TMP_ROOT) == stored  # the body was never written anywhere
    assert files_under(settings.MEDIA_ROOT) == []
    # The upload page says so up front; another account is not affected.
    assert "2 uploads per hour" in error_line(client.get(reverse("videos:upload")).content.decode())
    other = Client()
    other.force_login(make_user("calm"))
    assert post_upload(other, clips["good"]).status_code == 204


def test_a_file_that_probes_but_does_not_decode_is_failed_by_the_job_and_shown_nowhere(
    client, settings, make_user, clips
):
    creator = make_user("maker")
    client.force_login(creator)
    response = post_upload(client, clips["undecodable"], title="Broken inside")
    assert response.status_code == 204  # the request only probes: the header and packets are fine
    video = Video.objects.get()
    assert video.processing == Video.Processing.RECEIVED

    tasks.transcode_video(video.pk)  # what the queued job runs

    video.refresh_from_db()
    assert video.processing == Video.Processing.FAILED
    assert DECODE_REASON in video.processing_error
    assert not video.is_watchable and video.source_path == ""
    assert files_under(settings.UPLOAD_TMP_ROOT) == [] and files_under(settings.MEDIA_ROOT) == []
    assert video.encodings.exclude(status="failed").count() == 0
    # The creator's status page says why; nobody else finds it anywhere.
    status = client.get(reverse("videos:status", args=[video.public_id])).content.decode()
    assert DECODE_REASON in status
    stranger = Client()
    for url in ("/", "/feed/more/", "/@maker/", "/search/?q=Broken", "/c/travel/"):
        page = stranger.get(url).content.decode()
        assert video.public_id not in page and "Broken inside" not in page, url
    watch = stranger.get(f"/v/{video.public_id}/")
    assert watch.status_code == 404 and "Broken inside" not in watch.content.decode()
    assert stranger.get(f"/v/{video.public_id}/media/720p.mp4").status_code == 404


def test_a_manifest_is_still_refused_in_the_request(client, settings, make_user):
    client.force_login(make_user("maker"))
    manifest = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    response = post_upload(client, manifest, name="clip.m3u8")
    assert response.status_code == 422
    assert Video.objects.count() == 0 and files_under(settings.UPLOAD_TMP_ROOT) == []


def test_ingest_video_wait_on_an_undecodable_file_exits_non_zero_with_the_reason(make_user, tmp_path, settings, clips):
    make_user("creator")
    path = tmp_path / "broken.mp4"
    path.write_bytes(clips["undecodable"])
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ingest_video", str(path), "--user", "creator", "--wait", stdout=out, stderr=err)
    assert exit_info.value.code != 0
    video = Video.objects.get()
    assert out.getvalue().strip().splitlines()[-1] == f"video={video.pk} status=failed"
    assert DECODE_REASON in err.getvalue().strip().splitlines()[-1]
    assert files_under(settings.UPLOAD_TMP_ROOT) == [] and files_under(settings.MEDIA_ROOT) == []
    assert path.is_file()  # the operator's own file is never touched

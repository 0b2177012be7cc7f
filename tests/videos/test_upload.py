"""Uploading through the page: accepted files become a video with queued work; each kind of bad
file is refused with its own one-line reason and leaves no row and no file."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.media import make_audio_only, make_clip, make_png
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from tiktok import media_store
from videos.models import Category, Encoding, Video

pytestmark = [pytest.mark.django_db, pytest.mark.media]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Generated once for the module: a good clip, a long one and the bad inputs derived from it."""
    folder = tmp_path_factory.mktemp("upload-clips")
    good = make_clip(folder / "good.mp4", seconds=1.5, width=160, height=120)
    long = make_clip(folder / "long.mp4", seconds=4, width=64, height=48, pattern="color", audio=False)
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    fast = make_clip(folder / "fast.mp4", seconds=1.5, width=160, height=120, faststart=True)
    png = make_png(folder / "picture.png")
    return {
        "good": good.read_bytes(),
        "long": long.read_bytes(),
        "truncated": truncated.read_bytes(),
        "truncated-faststart": fast.read_bytes()[: fast.stat().st_size * 3 // 4],
        "png": png.read_bytes(),
        "audio": make_audio_only(folder / "audio.m4a").read_bytes(),
    }


def post_upload(client, content: bytes, name="clip.mp4", **fields):
    data = {
        "title": "My clip",
        "description": "Look #Sunset #beach #sunset",
        "categories": [Category.objects.get(name="Travel").pk],
        "visibility": "public",
        "allow_comments": "on",
        "file": SimpleUploadedFile(name, content, content_type="video/mp4"),
    }
    data.update(fields)
    return client.post(reverse("videos:upload"), data, HTTP_HX_REQUEST="true")


def nothing_left_behind(settings):
    assert Video.objects.count() == 0
    for root in (settings.MEDIA_ROOT, settings.UPLOAD_TMP_ROOT):
        assert [p for p in root.rglob("*") if p.is_file()] == [], f"files left in {root}"


def test_the_upload_page_needs_an_account(client):
    response = client.get(reverse("videos:upload"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_upload_page_offers_categories_and_passes_the_size_limit_to_the_browser(client, settings, make_user):
    settings.UPLOAD_MAX_BYTES = 12345
    client.force_login(make_user())
    page = client.get(reverse("videos:upload")).content.decode()
    assert 'data-max-bytes="12345"' in page
    assert "Science &amp; Technology" in page and "Autos &amp; Vehicles" in page
    assert Category.objects.count() == 19


def test_an_accepted_upload_creates_the_video_and_queues_its_transcode(
    client, settings, make_user, clips, django_capture_on_commit_callbacks
):
    user = make_user()
    client.force_login(user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_upload(client, clips["good"])
    assert response.status_code == 204
    video = Video.objects.get()
    assert response["HX-Redirect"] == reverse("videos:status", args=[video.public_id])
    assert video.creator == user and video.processing == Video.Processing.RECEIVED
    assert video.moderation == Video.Moderation.PENDING and not video.is_watchable
    assert sorted(video.hashtags.values_list("name", flat=True)) == ["beach", "sunset"]
    assert list(video.categories.values_list("name", flat=True)) == ["Travel"]
    assert sorted(Encoding.objects.filter(video=video).values_list("rendition", "status")) == [
        ("360p", "queued"),
        ("720p", "queued"),
    ]
    assert len(callbacks) == 1  # the transcode job, sent once the row is committed
    if media_store.is_remote():  # the private incoming/ prefix, before any job touches it
        assert video.source_path == f"incoming/{video.public_id}.source" and media_store.exists(video.source_path)
    else:
        assert os.path.isfile(video.source_path)
        assert settings.MEDIA_ROOT not in [*__import__("pathlib").Path(video.source_path).parents]


@pytest.mark.parametrize(
    ("clip", "name", "reason"),
    [
        ("empty", "empty.mp4", "The file is empty."),
        ("random", "random.mp4", "not a video we can read"),
        ("truncated", "cut.mp4", "cut off before the end"),
        ("truncated-faststart", "cut2.mp4", "cannot be decoded to its end"),
        ("text", "notes.mp4", "not a video we can read"),
        ("png", "picture.mp4", "an image or text, not a video"),
        ("audio", "song.mp4", "no video track"),
        ("long", "long.mp4", "longer than the 3 s limit"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason_and_leaves_nothing(
    client, settings, make_user, clips, clip, name, reason
):
    settings.VIDEO_MAX_SECONDS = 3
    contents = {
        "empty": b"",
        "random": os.urandom(50_000),
        "text": b"hello, this is just some text\n" * 100,
        **clips,
    }
    client.force_login(make_user())
    response = post_upload(client, contents[clip], name=name)
    assert response.status_code == 422
    error = response.content.decode().split('id="upload-error"', 1)[1].split("</div>", 1)[0]
    assert reason in error
    assert "\n" not in error.split(">", 1)[1].strip()
    nothing_left_behind(settings)


def test_a_file_over_the_size_limit_is_refused_while_it_streams(client, settings, make_user, clips):
    settings.UPLOAD_MAX_BYTES = len(clips["good"]) // 2
    client.force_login(make_user())
    response = post_upload(client, clips["good"])
    assert response.status_code == 422
    assert "larger than the" in response.content.decode()
    nothing_left_behind(settings)


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(client, settings, make_user):
    settings.UPLOAD_MAX_BYTES = 1000
    client.force_login(make_user())
    response = client.generic(
        "POST",
        reverse("videos:upload"),
        data=b"x" * 200_000,
        content_type="multipart/form-data; boundary=zzz",
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "larger than the" in response.content.decode()
    nothing_left_behind(settings)


def test_a_missing_title_or_category_keeps_the_form_and_removes_the_file(client, settings, make_user, clips):
    client.force_login(make_user())
    response = post_upload(client, clips["good"], title="", categories=[])
    assert response.status_code == 422
    body = response.content.decode()
    assert body.count('class="error"') == 2
    nothing_left_behind(settings)


def test_an_upload_without_a_valid_csrf_token_is_refused_and_leaves_nothing(settings, make_user, clips):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    response = post_upload(client, clips["good"])
    assert response.status_code == 403
    nothing_left_behind(settings)

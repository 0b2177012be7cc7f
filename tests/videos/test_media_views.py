"""Media views: HTTP Range answers, the permission check, Save-Data, X-Accel-Redirect, avatars, captions."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from tests.media import make_clip
from videos.models import Encoding, Video
from videos.templatetags.clip import avatar

pytestmark = pytest.mark.django_db


def moderator(make_user):
    """Staff in the Moderators group (the review and report queues' permissions)."""
    user = make_user("moderator", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def media_video(settings, make_user):
    """A finished video with real files in the media layout (no transcoding needed for these tests)."""

    def _make(**fields):
        creator = fields.pop("creator", None) or make_user()
        video = Video.objects.create(
            creator=creator,
            title="clip",
            processing=Video.Processing.READY,
            moderation=fields.pop("moderation", Video.Moderation.APPROVED),
            **fields,
        )
        folder = settings.MEDIA_ROOT / "videos" / video.public_id
        make_clip(folder / "720p.mp4", seconds=1, width=128, height=96)
        make_clip(folder / "360p.mp4", seconds=1, width=64, height=48)
        (folder / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"jpeg" * 50)
        for rendition in ("720p", "360p"):
            path = f"videos/{video.public_id}/{rendition}.mp4"
            Encoding.objects.create(video=video, rendition=rendition, status=Encoding.Status.DONE, path=path)
        video.poster = f"videos/{video.public_id}/poster.jpg"
        video.preview = f"videos/{video.public_id}/360p.mp4"
        video.save()
        return video

    return _make


def media_url(video, rendition="720p"):
    return reverse("videos:media", args=[video.public_id, rendition])


def file_bytes(settings, video, rendition="720p"):
    return (settings.MEDIA_ROOT / "videos" / video.public_id / f"{rendition}.mp4").read_bytes()


def test_a_whole_file_is_served_with_accept_ranges(client, settings, media_video):
    video = media_video()
    response = client.get(media_url(video))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == file_bytes(settings, video)


def test_a_closed_range_answers_206_with_exactly_those_bytes(client, settings, media_video):
    video = media_video()
    data = file_bytes(settings, video)
    response = client.get(media_url(video), HTTP_RANGE="bytes=10-99")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-99/{len(data)}"
    assert response["Content-Length"] == "90"
    assert b"".join(response.streaming_content) == data[10:100]


def test_a_suffix_range_answers_the_last_bytes(client, settings, media_video):
    video = media_video()
    data = file_bytes(settings, video)
    response = client.get(media_url(video), HTTP_RANGE="bytes=-500")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {len(data) - 500}-{len(data) - 1}/{len(data)}"
    assert b"".join(response.streaming_content) == data[-500:]


def test_an_open_ended_range_runs_to_the_end_of_the_file(client, settings, media_video):
    video = media_video()
    data = file_bytes(settings, video)
    response = client.get(media_url(video), HTTP_RANGE="bytes=1000-")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    assert b"".join(response.streaming_content) == data[1000:]


def test_a_range_past_the_end_is_clamped_to_the_file(client, settings, media_video):
    video = media_video()
    data = file_bytes(settings, video)
    response = client.get(media_url(video), HTTP_RANGE=f"bytes=0-{len(data) * 3}")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == data


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{big}", "bytes=-0"])
def test_an_unsatisfiable_range_answers_416_with_the_size(client, settings, media_video, header):
    video = media_video()
    size = len(file_bytes(settings, video))
    response = client.get(media_url(video), HTTP_RANGE=header.format(size=size, big=size + 10))
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_a_malformed_range_is_ignored_and_the_whole_file_served(client, settings, media_video):
    video = media_video()
    response = client.get(media_url(video), HTTP_RANGE="bytes=abc")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == file_bytes(settings, video)


def test_save_data_gets_the_low_rendition_from_the_720p_address(client, settings, media_video):
    video = media_video()
    response = client.get(media_url(video), HTTP_SAVE_DATA="on")
    assert b"".join(response.streaming_content) == file_bytes(settings, video, "360p")


def test_the_preview_and_poster_are_served(client, settings, media_video):
    video = media_video()
    assert client.get(media_url(video, "preview")).status_code == 200
    response = client.get(reverse("videos:poster", args=[video.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_an_unknown_rendition_or_video_is_404(client, media_video):
    video = media_video()
    assert client.get(media_url(video, "1080p")).status_code == 404
    assert client.get(reverse("videos:media", args=["nope", "720p"])).status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"moderation": Video.Moderation.REVIEW},
        {"moderation": Video.Moderation.REJECTED},
        {"visibility": Video.Visibility.PRIVATE},
        {"hidden": True},
    ],
    ids=["in-review", "rejected", "private", "hidden"],
)
def test_files_of_unwatchable_videos_are_404_to_anonymous_and_other_users(client, make_user, media_video, fields):
    owner = make_user()
    video = media_video(creator=owner, **fields)
    urls = [media_url(video), media_url(video, "360p"), reverse("videos:poster", args=[video.public_id])]
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(make_user())
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(owner)
    for url in urls:
        assert client.get(url).status_code == 200
    client.force_login(make_user(is_staff=True))  # staff status alone opens nothing
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(moderator(make_user))
    for url in urls:
        assert client.get(url).status_code == 200


def test_an_unlisted_video_is_served_by_link(client, media_video):
    video = media_video(visibility=Video.Visibility.UNLISTED)
    assert client.get(media_url(video)).status_code == 200


def test_a_deleted_video_is_404_even_to_its_owner(client, media_video):
    video = media_video(deleted_at=timezone.now())
    client.force_login(video.creator)
    assert client.get(media_url(video)).status_code == 404


def test_production_hands_the_file_to_nginx(client, settings, media_video):
    settings.MEDIA_X_ACCEL_PREFIX = "/protected-media/"
    video = media_video()
    response = client.get(media_url(video), HTTP_RANGE="bytes=0-10")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/videos/{video.public_id}/720p.mp4"
    assert response.content == b""


def test_captions_are_served_as_webvtt_only_when_present(client, media_video):
    video = media_video()
    url = reverse("videos:captions", args=[video.public_id])
    assert client.get(url).status_code == 404
    video.captions_vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n"
    video.save()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vtt")
    assert b"hello" in response.content


def test_avatars_are_served_for_active_users_only(client, settings, make_user):
    user = make_user()
    (settings.MEDIA_ROOT / "avatars").mkdir()
    (settings.MEDIA_ROOT / "avatars" / "face.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 20)
    user.avatar = "avatars/face.jpg"
    user.save()
    assert user.avatar_url == reverse("videos:avatar", args=["face.jpg"])
    assert client.get(user.avatar_url).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(user.avatar_url).status_code == 404
    assert client.get(reverse("videos:avatar", args=["..%2Fsecret"])).status_code == 404


def test_a_held_or_rejected_profile_shows_its_avatar_only_to_its_owner_and_moderators(client, settings, make_user):
    user = make_user("held_face")
    (settings.MEDIA_ROOT / "avatars").mkdir()
    (settings.MEDIA_ROOT / "avatars" / "held.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 20)
    user.avatar = "avatars/held.jpg"
    user.profile_state = "held"  # reported, or its text is waiting for review
    user.save()
    assert client.get(user.avatar_url).status_code == 404
    client.force_login(make_user("someone_else"))
    assert client.get(user.avatar_url).status_code == 404
    assert "<img" not in avatar(user) and "avatar-initial" in avatar(user)
    client.force_login(make_user("intern", is_staff=True))
    assert client.get(user.avatar_url).status_code == 404
    for viewer in (user, moderator(make_user)):
        client.force_login(viewer)
        assert client.get(user.avatar_url).status_code == 200
    user.profile_state = "rejected"
    user.save()
    client.force_login(make_user("third"))
    assert client.get(user.avatar_url).status_code == 404
    user.profile_state = "published"
    user.save()
    assert client.get(user.avatar_url).status_code == 200
    assert f'src="{user.avatar_url}"' in avatar(user)

"""A Range header with numbers of thousands of digits is answered like any other (416 when it
starts past the end of the file), never with a 500: Python refuses to parse an int of more than
4,300 digits, and a position that long is past the end of any file anyway."""

import pytest
from django.urls import reverse

from tests.factories import ready_video
from videos.views_media import parse_range

pytestmark = pytest.mark.django_db

HUGE = "9" * 5000


@pytest.fixture
def clip(make_user, settings):
    video = ready_video(make_user("creator"))
    path = settings.MEDIA_ROOT / "videos" / video.public_id / "720p.mp4"
    return reverse("videos:media", args=[video.public_id, "720p"]), path.read_bytes()


def test_a_start_of_thousands_of_digits_is_unsatisfiable(client, clip):
    url, data = clip
    for header in (f"bytes={HUGE}-", f"bytes={HUGE}-{HUGE}", f"bytes={HUGE}-10"):
        response = client.get(url, HTTP_RANGE=header)
        assert response.status_code == 416, header[-20:]
        assert response["Content-Range"] == f"bytes */{len(data)}"


def test_an_end_or_suffix_of_thousands_of_digits_is_clamped_to_the_file(client, clip):
    url, data = clip
    response = client.get(url, HTTP_RANGE=f"bytes=10-{HUGE}")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-{len(data) - 1}/{len(data)}"
    assert b"".join(response.streaming_content) == data[10:]

    response = client.get(url, HTTP_RANGE=f"bytes=-{HUGE}")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert b"".join(response.streaming_content) == data


def test_leading_zeros_do_not_change_a_position():
    assert parse_range("bytes=" + "0" * 5000 + "5-" + "0" * 5000 + "9", 100) == (5, 9)
    assert parse_range("bytes=" + "0" * 5000 + "100-", 100) == "unsatisfiable"


def test_only_ascii_digits_are_positions():
    # \d also matches other scripts' digits, which int() would read: "bytes=٣-" is malformed.
    assert parse_range("bytes=\u0663-", 100) is None
    assert parse_range("bytes=0-\u0669\u0669", 100) is None

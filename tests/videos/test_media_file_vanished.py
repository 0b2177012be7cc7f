"""A media file deleted between the permission check and the read (its video deleted or
re-transcoded meanwhile) answers 404, never a server error; a file that is there still streams."""

import pytest
from django.http import Http404
from django.test import RequestFactory

from videos.views_media import serve_media_file


def test_a_file_deleted_before_it_is_opened_is_a_404(tmp_path, settings):
    settings.MEDIA_X_ACCEL_PREFIX = ""
    gone = tmp_path / "720p.mp4"
    with pytest.raises(Http404):
        serve_media_file(RequestFactory().get("/"), gone, "video/mp4")
    with pytest.raises(Http404):
        serve_media_file(RequestFactory().get("/", HTTP_RANGE="bytes=0-9"), gone, "video/mp4")


def test_a_range_is_read_from_the_file_opened_when_the_request_was_answered(tmp_path, settings):
    settings.MEDIA_X_ACCEL_PREFIX = ""
    path = tmp_path / "720p.mp4"
    path.write_bytes(bytes(range(100)))
    response = serve_media_file(RequestFactory().get("/", HTTP_RANGE="bytes=10-19"), path, "video/mp4")
    path.unlink()  # deleted after the answer started: the open file is still read whole
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == bytes(range(10, 20))
    assert response["Content-Range"] == "bytes 10-19/100"

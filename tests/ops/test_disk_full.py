"""Fault: the disk fills while a rendition is written (simulated with a file size limit on the
ffmpeg child). The job fails with the reason, partial files are removed, nothing is listable."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.media import make_clip
from videos.models import Encoding, Video
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


def test_a_full_disk_fails_the_job_cleanly(make_user, tmp_path, settings):
    make_user("creator")
    settings.TRANSCODE_MAX_ATTEMPTS = 1
    clip = make_clip(tmp_path / "clip.mp4", seconds=2, width=320, height=240)
    settings.FFMPEG_MAX_FILE_BYTES = 16 * 1024  # far smaller than any rendition of this clip

    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ingest_video", str(clip), "--user", "creator", "--wait", stdout=out, stderr=StringIO())

    video = Video.objects.get()
    assert exit_info.value.code != 0
    assert out.getvalue().strip().splitlines()[-1] == f"video={video.pk} status=failed"
    assert video.processing == "failed"
    assert "disk is full or the file size limit was reached" in video.processing_error
    assert Encoding.objects.filter(video=video, status="failed").exists()
    # Moderation ran on the upload beside the transcode: its evidence thumbnails belong to the
    # decision record (removed with the video). Nothing else may be left: no partial rendition.
    evidence = Path(settings.MEDIA_ROOT) / "moderation" / str(video.public_id)
    leftovers = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file() and evidence not in p.parents]
    assert leftovers == []
    assert not listable_videos().exists()

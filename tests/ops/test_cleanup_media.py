"""The cleanup removes media that no row refers to and keeps everything else."""

from pathlib import Path

import pytest
from django.core.management import call_command

from videos.models import Video

pytestmark = pytest.mark.django_db


def test_it_removes_orphans_and_keeps_live_media(settings, make_user, capsys):
    media = Path(settings.MEDIA_ROOT)
    creator = make_user()
    live = Video.objects.create(creator=creator, title="kept")
    (media / "videos" / live.public_id).mkdir(parents=True)
    (media / "videos" / live.public_id / "720p.mp4").write_bytes(b"x" * 10)
    (media / "videos" / "gone-video-id").mkdir(parents=True)
    (media / "videos" / "gone-video-id" / "720p.mp4").write_bytes(b"x" * 100)
    (media / "avatars").mkdir()
    (media / "avatars" / "old.jpg").write_bytes(b"y" * 5)

    call_command("cleanup_media", "--dry-run")
    assert (media / "videos" / "gone-video-id").exists()

    call_command("cleanup_media")
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert out == "orphans=2 bytes=105"
    assert not (media / "videos" / "gone-video-id").exists()
    assert not (media / "avatars" / "old.jpg").exists()
    assert (media / "videos" / live.public_id / "720p.mp4").exists()

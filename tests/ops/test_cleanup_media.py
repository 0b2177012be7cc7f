"""The cleanup removes media that no row refers to and keeps everything else."""

import pytest
from django.core.management import call_command

from tiktok import media_store
from videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.media]


def test_it_removes_orphans_and_keeps_live_media(settings, make_user, capsys):
    creator = make_user()
    live = Video.objects.create(creator=creator, title="kept")
    media_store.put_bytes(b"x" * 10, f"videos/{live.public_id}/720p.mp4")
    media_store.put_bytes(b"x" * 100, "videos/gone-video-id/720p.mp4")
    media_store.put_bytes(b"y" * 5, "avatars/old.jpg")

    call_command("cleanup_media", "--dry-run")
    assert media_store.exists("videos/gone-video-id/720p.mp4")

    call_command("cleanup_media")
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert out == "orphans=2 bytes=105"
    assert not media_store.exists("videos/gone-video-id/720p.mp4")
    assert not media_store.exists("avatars/old.jpg")
    assert media_store.exists(f"videos/{live.public_id}/720p.mp4")

"""The transcoding pipeline on real clips: conforming outputs, orientation, silence, poster and preview,
moderation gate, retries with a recorded attempt each, and the admin's re-transcode."""

import logging
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django_q.models import Schedule
from PIL import Image

from moderation.decisions import video_decide
from moderation.models import ModerationDecision
from tests.media import ffprobe, make_clip
from videos import services, transcoding, uploads
from videos.models import Encoding, Video

pytestmark = pytest.mark.django_db


def process(video, screen=False):
    # Automatic moderation is its own subject (tests/moderation); most tests here stop before it.
    return transcoding.video_process_inline(video=video, screen=screen)


def upload(user, tmp_path, name="clip.mp4", title="A clip", **clip_kwargs):
    source = uploads.upload_temp_path()
    make_clip(source, **clip_kwargs)
    return uploads.video_create(creator=user, source_path=source, title=title, enqueue=False)


def moov_before_mdat(path) -> bool:
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def video_stream(info):
    return next(s for s in info["streams"] if s["codec_type"] == "video")


def rotation_of(stream) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(side["rotation"])
    return int((stream.get("tags") or {}).get("rotate", 0))


def test_both_renditions_are_h264_high_yuv420p_aac_with_the_moov_atom_first(settings, make_user, tmp_path):
    video = process(upload(make_user(), tmp_path, seconds=2, width=960, height=540))
    assert video.processing == Video.Processing.READY
    limits = {"720p": 720, "360p": 360}
    for encoding in video.encodings.all():
        path = settings.MEDIA_ROOT / encoding.path
        info = ffprobe(path)
        stream = video_stream(info)
        audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
        assert (stream["codec_name"], stream["profile"], stream["pix_fmt"]) == ("h264", "High", "yuv420p")
        assert [a["codec_name"] for a in audio] == ["aac"]
        assert moov_before_mdat(path)
        assert min(stream["width"], stream["height"]) <= limits[encoding.rendition]
        assert stream["width"] > stream["height"]  # landscape stays landscape
        assert encoding.size_bytes == path.stat().st_size and encoding.bitrate > 0
        assert "libx264" in encoding.command and encoding.runtime_seconds > 0
    assert {e.rendition: e.height for e in video.encodings.all()} == {"720p": 540, "360p": 360}


def test_one_ffmpeg_process_decodes_the_source_once_and_writes_both_renditions(settings, make_user, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="videos.ffmpeg"):
        video = process(upload(make_user(), tmp_path, seconds=2, width=1080, height=1920))
    commands = [getattr(record, "argv", None) for record in caplog.records]
    encodes = [argv for argv in commands if argv and "libx264" in argv and "-filter_complex" in argv]
    assert len(encodes) == 1, "both renditions come from one ffmpeg run"
    argv = encodes[0]
    assert argv.count("-i") == 1 and "split=2" in argv[argv.index("-filter_complex") + 1]
    assert sum(a.endswith(".mp4.part") for a in argv) == 2
    assert len(set(video.encodings.values_list("command", flat=True))) == 1
    sizes = {}
    for encoding in video.encodings.all():
        info = ffprobe(settings.MEDIA_ROOT / encoding.path)
        stream = video_stream(info)
        assert (stream["codec_name"], stream["pix_fmt"]) == ("h264", "yuv420p")
        assert abs(float(info["format"]["duration"]) - 2.0) < 0.2
        assert [s["codec_name"] for s in info["streams"] if s["codec_type"] == "audio"] == ["aac"]
        sizes[encoding.rendition] = (stream["width"], stream["height"])
    assert sizes == {"720p": (720, 1280), "360p": (360, 640)}


def test_a_portrait_phone_clip_with_rotation_metadata_stays_portrait_and_a_silent_one_stays_silent(
    settings, make_user, tmp_path
):
    video = upload(make_user(), tmp_path, seconds=1.5, width=320, height=240, rotate=90, audio=False)
    assert (video.width, video.height, video.rotation) == (240, 320, 90)
    video = process(video)
    for encoding in video.encodings.all():
        info = ffprobe(settings.MEDIA_ROOT / encoding.path)
        stream = video_stream(info)
        shown = (stream["width"], stream["height"])
        if rotation_of(stream) in (90, -90, 270):
            shown = shown[::-1]
        assert shown[0] < shown[1], f"{encoding.rendition} is not portrait: {shown}"
        assert not [s for s in info["streams"] if s["codec_type"] == "audio"]


def test_a_finished_video_has_a_poster_a_muted_preview_and_a_moderation_decision(settings, make_user, tmp_path):
    video = process(upload(make_user(), tmp_path, seconds=2), screen=True)
    assert video.poster == f"videos/{video.public_id}/poster.jpg"
    poster = ffprobe(settings.MEDIA_ROOT / video.poster)
    assert video_stream(poster)["codec_name"] == "mjpeg"
    preview = ffprobe(settings.MEDIA_ROOT / video.preview)
    assert [s["codec_type"] for s in preview["streams"]] == ["video"]
    assert video.moderation != Video.Moderation.PENDING
    decisions = ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video")
    assert decisions.count() >= 1
    assert video.source_path == ""  # the upload is gone once transcoded
    assert not list(settings.UPLOAD_TMP_ROOT.iterdir())
    every_mp4 = list(settings.MEDIA_ROOT.rglob("*.mp4"))
    assert sorted(p.name for p in every_mp4) == ["360p.mp4", "720p.mp4", "preview.mp4"]


def test_originals_are_kept_outside_media_root_only_when_the_setting_says_so(settings, make_user, tmp_path):
    settings.KEEP_ORIGINALS = True
    video = process(upload(make_user(), tmp_path, seconds=1.2))
    kept = settings.ORIGINALS_ROOT / f"{video.public_id}.original"
    assert kept.is_file() and video.source_path == str(kept)
    assert settings.MEDIA_ROOT not in kept.parents


def test_a_failing_transcode_is_retried_with_each_attempt_recorded_then_the_video_fails(settings, make_user, tmp_path):
    settings.TRANSCODE_MAX_ATTEMPTS = 2
    settings.TRANSCODE_RETRY_BASE_SECONDS = 0
    video = upload(make_user(), tmp_path, seconds=1.2)
    # The source disappearing after the probe is one way a real transcode fails: truncate it.
    Path(video.source_path).write_bytes(Path(video.source_path).read_bytes()[:2000])
    video = process(video)
    assert video.processing == Video.Processing.FAILED
    assert video.processing_error
    assert video.moderation == Video.Moderation.PENDING and not video.is_watchable


def test_an_ffmpeg_failure_mid_encoding_is_retried_and_recorded(settings, make_user, tmp_path, monkeypatch):
    settings.TRANSCODE_RETRY_BASE_SECONDS = 0
    video = upload(make_user(), tmp_path, seconds=1.2)
    real = services.ffmpeg.transcode_command
    calls = {"n": 0}

    def first_one_broken(**kwargs):
        calls["n"] += 1
        argv = real(**kwargs)
        # An option ffmpeg rejects makes the first run exit non-zero, as a real failure would.
        return argv[:-1] + ["-not-an-option", "1", argv[-1]] if calls["n"] == 1 else argv

    monkeypatch.setattr(services.ffmpeg, "transcode_command", first_one_broken)
    video = process(video)
    assert video.processing == Video.Processing.READY
    encoding = video.encodings.get(rendition="720p")
    assert encoding.attempts == 2
    assert list(encoding.attempt_log.order_by("number").values_list("number", "outcome")) == [
        (1, "failed"),
        (2, "done"),
    ]
    assert "not-an-option" in encoding.attempt_log.get(number=1).error or encoding.attempt_log.get(number=1).error


def test_the_admin_re_transcode_rebuilds_renditions_from_the_720p_and_keeps_approval(
    settings, make_user, tmp_path, django_capture_on_commit_callbacks
):
    video = process(upload(make_user(), tmp_path, seconds=1.2))
    video_decide(video=video, outcome="approved", actor=None, note="fine")
    with django_capture_on_commit_callbacks(execute=False):
        transcoding.video_retranscode(video=Video.objects.get(pk=video.pk))
    video = process(Video.objects.get(pk=video.pk))
    assert video.processing == Video.Processing.READY and video.moderation == Video.Moderation.APPROVED
    assert all(e.status == Encoding.Status.DONE for e in video.encodings.all())


def test_a_video_stays_watchable_while_it_is_re_transcoded_and_when_the_re_transcode_fails(
    settings, make_user, tmp_path, client, django_capture_on_commit_callbacks, monkeypatch
):
    settings.TRANSCODE_MAX_ATTEMPTS = 1
    video = process(upload(make_user(), tmp_path, seconds=1.2))
    video_decide(video=video, outcome="approved", actor=None, note="fine")
    url = reverse("videos:media", args=[video.public_id, "720p"])
    before = client.get(url).getvalue()
    with django_capture_on_commit_callbacks(execute=False):
        transcoding.video_retranscode(video=Video.objects.get(pk=video.pk))
    video.refresh_from_db()
    assert video.processing == Video.Processing.READY and video.is_watchable
    assert set(video.encodings.values_list("status", flat=True)) == {Encoding.Status.QUEUED}
    assert client.get(url).getvalue() == before  # the current file, while the new one is made

    # Every attempt fails: the previous files stay, and so does the video.
    real = services.ffmpeg.transcode_command
    monkeypatch.setattr(
        services.ffmpeg,
        "transcode_command",
        lambda **kw: (lambda argv: argv[:-1] + ["-not-an-option", "1", argv[-1]])(real(**kw)),
    )
    video = transcoding.video_transcode(video_id=video.pk, schedule_retries=False)
    assert video.processing == Video.Processing.READY and video.is_watchable
    for encoding in video.encodings.all():
        assert encoding.status == Encoding.Status.DONE
        assert "previous file is kept" in encoding.error
    assert client.get(url).getvalue() == before
    assert sorted(p.name for p in transcoding.media_dir(video).glob("*.part")) == []


def test_a_failed_attempt_in_the_cluster_schedules_its_retry_after_the_back_off(
    settings, make_user, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TRANSCODE_RETRY_BASE_SECONDS = 30
    video = upload(make_user(), tmp_path, seconds=1.2, width=64, height=48)
    real = services.ffmpeg.transcode_command
    monkeypatch.setattr(
        services.ffmpeg,
        "transcode_command",
        lambda **kw: real(**kw)[:-1] + ["-not-an-option", "1", real(**kw)[-1]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        transcoding.video_transcode(video_id=video.pk)
    retries = Schedule.objects.filter(func="videos.tasks.transcode_video")
    assert retries.count() == 1  # both renditions ran in one ffmpeg process: one retry job for it
    first = retries.first()
    assert first.cluster == "long" and first.args == f"({video.pk},)"
    for encoding in video.encodings.all():
        assert encoding.status == Encoding.Status.QUEUED and encoding.attempts == 1
    encoding = video.encodings.get(rendition="720p")
    assert 25 <= (encoding.next_attempt_at - encoding.attempt_log.get().started_at).total_seconds() <= 40


def test_a_hung_ffmpeg_is_killed_after_the_stall_limit_and_the_retry_finishes(
    settings, make_user, tmp_path, monkeypatch
):
    settings.TRANSCODE_RETRY_BASE_SECONDS = 0
    settings.FFMPEG_STALL_SECONDS = 2
    video = upload(make_user(), tmp_path, seconds=1.2)
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)
    real = services.ffmpeg.transcode_command
    calls = {"n": 0}

    def first_one_hangs(**kwargs):
        calls["n"] += 1
        argv = real(**kwargs)
        if calls["n"] == 1:  # a real ffmpeg that waits forever on an input that never comes
            argv[argv.index("-i") + 1] = str(fifo)
        return argv

    monkeypatch.setattr(services.ffmpeg, "transcode_command", first_one_hangs)
    video = process(video)
    assert video.processing == Video.Processing.READY
    encoding = video.encodings.get(rendition="720p")
    first = encoding.attempt_log.get(number=1)
    assert (first.outcome, first.error) == ("failed", "ffmpeg made no progress for 2 s")
    assert encoding.attempt_log.get(number=2).outcome == "done"
    assert sorted(p.name for p in transcoding.media_dir(video).glob("*.part")) == []


def test_the_profile_grid_offers_a_tile_sized_webp_poster_before_the_jpeg(settings, make_user, tmp_path, client):
    maker = make_user("tiler")
    video = process(upload(maker, tmp_path, seconds=1.2, width=540, height=960))
    video_decide(video=video, outcome="approved", actor=None, note="fine")
    tile = settings.MEDIA_ROOT / "videos" / video.public_id / transcoding.POSTER_TILE
    with Image.open(tile) as image:
        assert (image.format, image.size) == ("WEBP", (360, 640))
    jpeg = settings.MEDIA_ROOT / video.poster
    assert tile.stat().st_size < jpeg.stat().st_size / 2
    response = client.get(reverse("videos:poster_tile", args=[video.public_id]))
    assert response["Content-Type"] == "image/webp" and b"".join(response.streaming_content)[:4] == b"RIFF"
    html = client.get(reverse("videos:profile", args=["tiler"])).content.decode()
    webp, jpg = reverse("videos:poster_tile", args=[video.public_id]), reverse("videos:poster", args=[video.public_id])
    assert f'<source type="image/webp" srcset="{webp}">' in html and html.index(webp) < html.index(f'src="{jpg}"')

"""Uploads that are really playlists or manifests (DASH, HLS, ffconcat) naming another user's files
are refused before anything is written, through the page and through `ingest_video`; a container's
declared duration is not trusted; every ffmpeg and ffprobe that reads user media opens it with the
container allowlist and the file protocol only."""

import html
import logging
import os
import shutil
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from moderation import frames, speech
from tests.factories import ready_video
from tests.media import ffprobe, make_clip
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)
from videos import ffmpeg, transcoding, uploads
from videos.models import Category, Video

pytestmark = pytest.mark.django_db

# What each manifest kind probes as, in the refusal message.
FORMAT_NAME = {"dash": "dash", "hls": "hls", "ffconcat": "concat"}
EXTENSION = {"dash": "mpd", "hls": "m3u8", "ffconcat": "ffconcat"}


def dash(reference: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S"
     minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
  <Period duration="PT2S">
    <AdaptationSet contentType="video" mimeType="video/mp4">
      <Representation id="v" bandwidth="200000" codecs="avc1.64001e" width="320" height="568">
        <BaseURL>{reference}</BaseURL>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""


def hls(reference: str) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:2.0,\n{reference}\n#EXT-X-ENDLIST\n"
    )


def ffconcat(reference: str) -> str:
    return f"ffconcat version 1.0\nfile '{reference}'\n"


MANIFEST = {"dash": dash, "hls": hls, "ffconcat": ffconcat}


@pytest.fixture
def victim(make_user, tmp_path):
    """Another user's private video, ready (its renditions under MEDIA_ROOT), and a second private
    one still in flight (its upload kept in UPLOAD_TMP_ROOT as `<public_id>.source`, a name made
    of the public id)."""
    owner = make_user("victim")
    ready = ready_video(owner, title="Private diary", visibility=Video.Visibility.PRIVATE)
    upload = uploads.upload_temp_path()
    make_clip(upload, seconds=1.2, width=64, height=48)
    in_flight = uploads.video_create(
        creator=owner,
        source_path=upload,
        title="Private draft",
        visibility=Video.Visibility.PRIVATE,
        enqueue=False,
    )
    rendition = Path(settings.MEDIA_ROOT) / "videos" / ready.public_id / "720p.mp4"
    source = Path(in_flight.source_path)
    assert rendition.is_file() and source.is_file() and source.parent == Path(settings.UPLOAD_TMP_ROOT)
    return {
        # Resolved from where the upload lands: UPLOAD_TMP_ROOT, for the page and the command alike.
        "relative": os.path.relpath(rendition, settings.UPLOAD_TMP_ROOT),
        "absolute": str(rendition),
        "in-flight source": source.name,
    }


def snapshot() -> dict:
    files = {}
    for root in (settings.MEDIA_ROOT, settings.UPLOAD_TMP_ROOT, settings.ORIGINALS_ROOT):
        files[str(root)] = sorted(str(p) for p in Path(root).rglob("*") if p.is_file())
    return {"videos": sorted(Video.objects.values_list("pk", flat=True)), "files": files}


CASES = [(kind, ref) for kind in ("dash", "hls", "ffconcat") for ref in ("relative", "absolute", "in-flight source")]


@pytest.mark.parametrize("kind,ref", CASES)
def test_a_manifest_upload_naming_another_users_file_is_refused_and_leaves_nothing(
    client, make_user, victim, kind, ref
):
    client.force_login(make_user("attacker"))
    before = snapshot()
    content = MANIFEST[kind](victim[ref]).encode()
    response = client.post(
        reverse("videos:upload"),
        {
            "title": "Totally my video",
            "categories": [Category.objects.get(name="Travel").pk],
            "visibility": "public",
            "file": SimpleUploadedFile(f"mine.{EXTENSION[kind]}", content, content_type="video/mp4"),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    error = response.content.decode().split('id="upload-error"', 1)[1].split("</div>", 1)[0]
    error = html.unescape(error.split(">", 1)[1].strip())
    assert error == f'Unsupported file format "{FORMAT_NAME[kind]}": upload an MP4, MOV, WebM or MKV video.'
    assert snapshot() == before


@pytest.mark.parametrize("kind,ref", CASES)
def test_ingest_video_refuses_a_manifest_naming_another_users_file_and_leaves_nothing(
    make_user, tmp_path, victim, kind, ref
):
    make_user("attacker")
    manifest = tmp_path / "incoming" / f"x.{EXTENSION[kind]}"
    manifest.parent.mkdir()
    manifest.write_text(MANIFEST[kind](victim[ref]))
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("ingest_video", str(manifest), "--user", "attacker", "--wait")
    assert str(refused.value) == (
        f'Unsupported file format "{FORMAT_NAME[kind]}": upload an MP4, MOV, WebM or MKV video.'
    )
    assert snapshot() == before
    assert manifest.is_file()  # the operator's file is left alone


def lie_about_duration(path: Path, seconds: float) -> None:
    """Rewrite every duration an MP4 declares (mvhd and tkhd in the movie's timescale, each mdhd
    in its track's) to `seconds`, leaving the samples, and so the packet timestamps, untouched."""
    data = bytearray(path.read_bytes())
    # Version-0 boxes (ffmpeg writes those for short clips): offsets after the 4-byte type.
    at = data.find(b"mvhd")
    assert at > 0 and data[at + 4] == 0
    movie_scale = struct.unpack_from(">I", data, at + 16)[0]
    struct.pack_into(">I", data, at + 20, int(seconds * movie_scale))
    patched = {"mvhd": 1, "tkhd": 0, "mdhd": 0}
    at = data.find(b"tkhd")
    while at > 0:
        assert data[at + 4] == 0
        struct.pack_into(">I", data, at + 24, int(seconds * movie_scale))
        patched["tkhd"] += 1
        at = data.find(b"tkhd", at + 4)
    at = data.find(b"mdhd")
    while at > 0:
        assert data[at + 4] == 0
        scale = struct.unpack_from(">I", data, at + 16)[0]
        struct.pack_into(">I", data, at + 20, int(seconds * scale))
        patched["mdhd"] += 1
        at = data.find(b"mdhd", at + 4)
    assert patched == {"mvhd": 1, "tkhd": 2, "mdhd": 2}
    path.write_bytes(bytes(data))


@pytest.fixture
def lying_clip(tmp_path):
    """An 8 s clip (video and audio) whose header says 2 s everywhere it states a duration."""
    clip = make_clip(tmp_path / "lying.mp4", seconds=8, width=64, height=48, pattern="color")
    lie_about_duration(clip, 2)
    declared = ffprobe(clip)
    assert float(declared["format"]["duration"]) == pytest.approx(2, abs=0.01)
    assert all(float(s["duration"]) == pytest.approx(2, abs=0.01) for s in declared["streams"])
    return clip


def test_the_duration_is_measured_from_the_packets_not_read_from_the_header(lying_clip):
    info = ffmpeg.probe(lying_clip)
    assert info.duration == pytest.approx(8, abs=0.1)
    assert info.video_end == pytest.approx(8, abs=0.1)


def test_a_long_video_whose_header_claims_it_is_short_is_refused(client, settings, make_user, lying_clip):
    settings.VIDEO_MAX_SECONDS = 5
    client.force_login(make_user())
    before = snapshot()
    response = client.post(
        reverse("videos:upload"),
        {
            "title": "Short, honestly",
            "categories": [Category.objects.get(name="Travel").pk],
            "visibility": "public",
            "file": SimpleUploadedFile("short.mp4", lying_clip.read_bytes(), content_type="video/mp4"),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "longer than the 5 s limit" in response.content.decode()
    assert snapshot() == before


def test_moderation_readers_refuse_a_manifest(tmp_path, victim):
    manifest = tmp_path / "x.mpd"
    manifest.write_text(dash(victim["absolute"]))
    with pytest.raises(frames.FramesUnavailable, match='Unsupported file format "dash"'):
        frames.sample(manifest, tmp_path / "frames", duration=2)
    with pytest.raises(speech.SpeechUnavailable, match='Unsupported file format "dash"'):
        speech.decode_audio(manifest)
    assert not list((tmp_path / "frames").glob("*"))


class Commands(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.argvs: list[list[str]] = []

    def emit(self, record):
        self.argvs.append(list(record.argv))


def _input(argv: list[str]) -> tuple[list[str], str]:
    """The six arguments in front of the one `-i`, and what it opens."""
    assert argv.count("-i") == 1, argv
    at = argv.index("-i")
    return argv[max(0, at - 6) : at], argv[at + 1]


def test_every_command_that_reads_media_carries_the_allowlist(make_user, tmp_path):
    """The real pipeline on a Matroska upload (validation, transcode, output checks, poster,
    preview), then the moderation readers on its rendition: every input is opened with the file
    protocol only, the demuxer allowlist, and (after the first probe) the probed demuxer."""
    upload = uploads.upload_temp_path()
    make_clip(tmp_path / "clip.mkv", seconds=1.5, width=96, height=64, fmt="matroska")
    shutil.copyfile(tmp_path / "clip.mkv", upload)
    log = Commands()
    logger = logging.getLogger("videos.ffmpeg")
    logger.addHandler(log)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        video = uploads.video_create(creator=make_user(), source_path=upload, title="Mine", enqueue=False)
        video = transcoding.video_process_inline(video=video, screen=False)
        assert video.processing == Video.Processing.READY
        rendition = Path(settings.MEDIA_ROOT) / video.encodings.get(rendition="720p").path
        sampled = frames.sample(rendition, tmp_path / "frames", duration=video.duration)
        audio = speech.decode_audio(rendition)
    finally:
        logger.removeHandler(log)
        logger.setLevel(previous)
    assert sampled and len(audio) > 16000  # both really read the file

    def has(*words):
        return [argv for argv in log.argvs if all(w in argv for w in words)]

    transcodes = has("libx264", "-progress")
    # One ffmpeg decodes the upload once and encodes both renditions (two libx264 outputs).
    assert len(transcodes) == 1 and "matroska" in transcodes[0] and transcodes[0].count("libx264") == 2
    assert has("framemd5") and has("mjpeg") and has("-an", "-t") and has("s16le")
    assert any("showinfo" in " ".join(argv) for argv in log.argvs)
    probes = [argv for argv in log.argvs if argv[0] == "ffprobe"]
    assert probes and any("-show_streams" in argv for argv in probes)

    allow = ["-protocol_whitelist", "file", "-format_whitelist", ffmpeg.FORMAT_WHITELIST]
    for argv in log.argvs:
        assert argv[0] in ("ffmpeg", "ffprobe")
        options, target = _input(argv)
        assert target.startswith("file:/"), argv
        if argv[0] == "ffprobe" and "-f" not in options:
            assert options[-4:] == allow, argv  # detection: the container found among the allowlist only
        else:
            assert options[:4] == allow and options[4] == "-f" and options[5] in {"mov", "matroska"}, argv
    assert set(ffmpeg.FORMAT_WHITELIST.split(",")) == {"mov", "matroska"}

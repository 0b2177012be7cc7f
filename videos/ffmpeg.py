"""Builds and runs the ffprobe/ffmpeg commands of the video pipeline and parses ffmpeg's progress.

Pure command builders plus two runners. Every command run is logged on the `videos.ffmpeg` logger
with its argv in `record.argv`, so `bench_transcode` can replay exactly what the pipeline ran.
"""

import json
import logging
import resource
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("videos.ffmpeg")

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
LOG_TAIL_CHARS = 4000

# Short side in pixels for each rendition; at most this, never upscaled.
RENDITION_SHORT_SIDE = {"720p": 720, "360p": 360}
RENDITION_AUDIO_BITRATE = {"720p": "128k", "360p": "96k"}
RENDITION_CRF = {"720p": "23", "360p": "26"}
PREVIEW_SHORT_SIDE = 180
PREVIEW_SECONDS = 3


class ProbeError(Exception):
    """The file is not a usable video; the message is the one-line reason shown to the creator."""


class FfmpegError(Exception):
    def __init__(self, message: str, log_tail: str = ""):
        super().__init__(message)
        self.log_tail = log_tail


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int  # as displayed, after rotation
    height: int
    rotation: int  # degrees, 0/90/180/270
    has_audio: bool
    video_codec: str
    video_end: float = 0.0  # the video track's own duration (audio may run longer)


def log_command(argv: list[str]) -> None:
    logger.info("run %s", shlex.join(argv), extra={"argv": list(argv)})


def probe(path: Path, *, timeout: float = 60) -> Probe:
    """Read what the content is (never the name or declared type); raise ProbeError with a reason."""
    argv = [FFPROBE, "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)]
    log_command(argv)
    try:
        result = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError("The file could not be read in time: it is not a usable video.") from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").lower()
        if "moov atom not found" in stderr or "partial file" in stderr:
            raise ProbeError("The file is incomplete: it was cut off before the end (damaged or incomplete).")
        raise ProbeError("The file is not a video we can read (it is damaged or in an unknown format).")
    try:
        info = json.loads(result.stdout or b"{}")
    except ValueError:
        raise ProbeError("The file is not a video we can read.") from None
    streams = info.get("streams") or []
    fmt = info.get("format") or {}
    # Still images (PNG, JPEG) probe as one-frame "video" streams in image2 / *_pipe demuxers.
    format_name = fmt.get("format_name", "")
    if format_name.startswith("image2") or format_name.endswith("_pipe") or format_name in {"gif", "tty"}:
        raise ProbeError("The file is an image or text, not a video.")
    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")),
        None,
    )
    if video is None:
        raise ProbeError("The file has no video track.")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise ProbeError("The video track has no picture size: the file is damaged.")
    duration = _duration(video, fmt)
    if duration is None or duration <= 0:
        raise ProbeError("The video's duration cannot be read: the file is damaged or incomplete.")
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    return Probe(
        duration=duration,
        width=width,
        height=height,
        rotation=rotation,
        has_audio=has_audio,
        video_codec=video.get("codec_name", ""),
        video_end=_duration(video, {}) or duration,
    )


def check_decodes(path: Path, info: Probe, *, timeout: float = 60) -> None:
    """Decode one frame from the last quarter second: a truncated or damaged file whose header still
    probes fine fails here, before any work is queued."""
    argv = [
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-ss",
        f"{max(0.0, (info.video_end or info.duration) - 0.25):.3f}",
    ]
    argv += ["-i", str(path), "-map", "0:v:0", "-frames:v", "1", "-f", "framemd5", "-"]
    log_command(argv)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError("The video could not be decoded in time.") from None
    frames = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    if result.returncode != 0 or not frames:
        raise ProbeError("The video cannot be decoded to its end: the file is damaged or incomplete.")


def _duration(stream: dict, fmt: dict) -> float | None:
    for raw in (fmt.get("duration"), stream.get("duration")):
        try:
            value = float(raw)
        except (TypeError, ValueError):
            continue
        if value > 0:
            return value
    return None


def _rotation(stream: dict) -> int:
    raw = None
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            raw = side["rotation"]
    if raw is None:
        raw = (stream.get("tags") or {}).get("rotate")
    try:
        return int(round(float(raw))) % 360 if raw is not None else 0
    except (TypeError, ValueError):
        return 0


def scaled_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Display size scaled so the short side is at most `short_side`, both sides even (yuv420p)."""
    factor = min(1.0, short_side / min(width, height))
    w = max(2, int(round(width * factor / 2)) * 2)
    h = max(2, int(round(height * factor / 2)) * 2)
    return w, h


def _base(threads: int) -> list[str]:
    argv = [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    return argv + (["-threads", str(threads)] if threads else [])


def transcode_command(
    *, source: Path, output: Path, rendition: str, info: Probe, preset: str = "veryfast", threads: int = 0
) -> list[str]:
    """H.264 high/yuv420p + AAC in MP4 with the moov atom first. ffmpeg applies the rotation
    metadata itself (autorotate), so the scale works on displayed sizes and portrait stays portrait."""
    width, height = scaled_size(info.width, info.height, RENDITION_SHORT_SIDE[rendition])
    argv = _base(threads) + ["-progress", "pipe:1", "-stats_period", "0.5", "-i", str(source)]
    argv += ["-map", "0:v:0", "-vf", f"scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p"]
    argv += ["-c:v", "libx264", "-preset", preset, "-crf", RENDITION_CRF[rendition], "-profile:v", "high"]
    argv += ["-pix_fmt", "yuv420p", "-maxrate", "4M" if rendition == "720p" else "1200k", "-bufsize", "8M"]
    if info.has_audio:
        argv += ["-map", "0:a:0", "-c:a", "aac", "-b:a", RENDITION_AUDIO_BITRATE[rendition], "-ac", "2"]
    else:
        argv += ["-an"]
    argv += ["-sn", "-dn", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(output)]
    return argv


def poster_command(*, source: Path, output: Path, seconds: float, threads: int = 0) -> list[str]:
    argv = _base(threads) + ["-ss", f"{max(0.0, seconds):.3f}", "-i", str(source), "-frames:v", "1"]
    return argv + ["-q:v", "3", "-f", "image2", "-c:v", "mjpeg", str(output)]


def preview_command(*, source: Path, output: Path, info: Probe, threads: int = 0) -> list[str]:
    """A few muted seconds at grid-thumbnail size, for hover previews."""
    width, height = scaled_size(info.width, info.height, PREVIEW_SHORT_SIDE)
    argv = _base(threads) + ["-i", str(source), "-t", str(PREVIEW_SECONDS), "-map", "0:v:0", "-an"]
    argv += ["-vf", f"scale={width}:{height},setsar=1,fps=15,format=yuv420p", "-c:v", "libx264"]
    argv += ["-preset", "veryfast", "-crf", "30", "-profile:v", "high", "-pix_fmt", "yuv420p"]
    return argv + ["-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(output)]


def run(argv: list[str], *, timeout: float | None = None) -> str:
    """Run a short ffmpeg command; return its log tail or raise FfmpegError."""
    log_command(argv)
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, preexec_fn=_child_limits
        )
    except subprocess.TimeoutExpired:
        raise FfmpegError(f"ffmpeg took longer than {timeout:.0f} s") from None
    tail = (result.stderr or "")[-LOG_TAIL_CHARS:]
    if result.returncode != 0:
        raise FfmpegError(_reason(result.returncode, tail), tail)
    return tail


def run_with_progress(
    argv: list[str],
    *,
    duration: float,
    on_progress: Callable[[float], None],
    stderr_path: Path,
    timeout: float | None = None,
    stall: float | None = None,
    interval: float = 0.5,
) -> str:
    """Run a transcode that writes `-progress pipe:1`; call on_progress(0..1) at most every
    `interval` seconds. Returns the log tail or raises FfmpegError. stderr goes to a file, so
    only one pipe is read and a chatty ffmpeg can never block on a full pipe. A watchdog kills
    ffmpeg after `timeout` seconds in all, or after `stall` seconds without a progress line
    (ffmpeg writes one every half second while it works), so a hung ffmpeg cannot hold the
    worker until the queue's own timeout."""
    stall = settings.FFMPEG_STALL_SECONDS if stall is None else stall
    log_command(argv)
    started = time.monotonic()
    last_report = 0.0
    last_line = [started]
    stopped: list[str] = []
    finished = threading.Event()
    with stderr_path.open("w+b") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, preexec_fn=_child_limits)

        def watchdog():
            while not finished.wait(min(0.5, stall / 4) if stall else 0.5):
                now = time.monotonic()
                if timeout is not None and now - started > timeout:
                    stopped.append(f"ffmpeg took longer than {timeout:.0f} s")
                elif stall and now - last_line[0] > stall:
                    stopped.append(f"ffmpeg made no progress for {stall:.0f} s")
                else:
                    continue
                proc.kill()
                return

        guard = threading.Thread(target=watchdog, name="ffmpeg-watchdog", daemon=True)
        guard.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                now = last_line[0] = time.monotonic()
                fraction = parse_progress_line(raw.decode("ascii", "replace"), duration)
                if fraction is not None and now - last_report >= interval:
                    last_report = now
                    on_progress(fraction)
            returncode = proc.wait()
        finally:
            finished.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            guard.join()
        err.seek(0, 2)
        err.seek(max(0, err.tell() - LOG_TAIL_CHARS))
        tail = err.read().decode("utf-8", "replace")
    if stopped:
        raise FfmpegError(stopped[0], tail)
    if returncode != 0:
        raise FfmpegError(_reason(returncode, tail), tail)
    return tail


def parse_progress_line(line: str, duration: float) -> float | None:
    """The fraction done from one `-progress` line (out_time_us / out_time_ms are microseconds;
    `progress=end` is 1.0), or None for lines that say nothing about it."""
    key, _, value = line.strip().partition("=")
    if key == "progress" and value == "end":
        return 1.0
    if key in ("out_time_us", "out_time_ms") and duration > 0:
        try:
            micros = int(value)
        except ValueError:
            return None
        return max(0.0, min(1.0, micros / 1_000_000 / duration))
    return None


def _child_limits() -> None:
    """In the ffmpeg child, before exec: cap the size of any file it writes (FFMPEG_MAX_FILE_BYTES),
    so a runaway encode or a nearly full disk fails this job instead of filling the volume."""
    limit = settings.FFMPEG_MAX_FILE_BYTES
    if limit:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _reason(returncode: int, tail: str) -> str:
    last = next((line.strip() for line in reversed(tail.splitlines()) if line.strip()), "")
    if returncode == -signal.SIGXFSZ or "No space left on device" in tail or "File too large" in tail:
        return "ffmpeg could not write its output: the disk is full or the file size limit was reached"
    if returncode < 0:
        return f"ffmpeg was stopped by signal {-returncode}" + (f": {last}" if last else "")
    return (f"ffmpeg failed (exit {returncode})" + (f": {last}" if last else ""))[:500]

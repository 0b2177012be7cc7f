"""Builds and runs the ffprobe/ffmpeg commands of the video pipeline and parses ffmpeg's progress.

Pure command builders plus two runners. Every command run is logged on the `videos.ffmpeg` logger
with its argv in `record.argv`, so `bench_transcode` can replay exactly what the pipeline ran.

Every command that reads user media opens it through `input_args`: the file protocol only, the
container allowlist, and (once probed) the probed demuxer named with `-f`. No upload is ever opened
by a demuxer that reads other files or URLs named inside it (DASH, HLS, ffconcat, image patterns...).
"""

import json
import logging
import os
import re
import resource
import shlex
import signal
import subprocess
import tempfile
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
RENDITION_MAXRATE = {"720p": "4M", "360p": "1200k"}
# x264's speed/size trade-off for every rendition; threads come from FFMPEG_THREADS (0: ffmpeg
# decides). transcode_command is the one place these are applied, for the pipeline and for
# bench_publish's bare reference run alike.
RENDITION_PRESET = "veryfast"
PREVIEW_SHORT_SIDE = 180
PREVIEW_SECONDS = 3

# The containers accepted from users: ffprobe's name for the demuxer -> the name passed back with -f.
# Phones and cameras record MP4/MOV (iPhone, Android, GoPro, DSLR and mirrorless cameras) and some
# phones, screen recorders and browsers (MediaRecorder) write Matroska/WebM; those two cover what
# people film with. Neither demuxer opens anything but the file it is given (mov's external data
# references, `enable_drefs` and `use_absolute_path`, are off by default in ffmpeg and no option
# here turns them on). Everything else is refused, above all the playlist and manifest demuxers
# (dash, hls, concat, image2 patterns) whose job is to open other files named inside the upload.
# AVI and MPEG-TS (older cameras, AVCHD camcorders) are left out: rare today, and each demuxer
# added is more parser exposed to hostile files.
ALLOWED_FORMATS = {"mov,mp4,m4a,3gp,3g2,mj2": "mov", "matroska,webm": "matroska"}
FORMAT_WHITELIST = ",".join(ALLOWED_FORMATS.values())
ALLOWED_FORMATS_TEXT = "MP4, MOV, WebM or MKV"
# What the pipeline writes (renditions, previews): MP4, read back with the mov demuxer.
RENDITION_DEMUXER = "mov"
# ffprobe names the demuxer it chose at debug level, before the allowlist refuses it.
_PROBED_FORMAT = re.compile(r"Format (\S+) (?:probed with size|detected only with low score)")


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
    demuxer: str  # the allowed demuxer it was probed with, passed back with -f on every later read
    video_end: float = 0.0  # the video track's own duration (audio may run longer)


def log_command(argv: list[str]) -> None:
    logger.info("run %s", shlex.join(argv), extra={"argv": list(argv)})


def input_args(path: Path | str, demuxer: str | None) -> list[str]:
    """The arguments that open one media file for reading, for ffmpeg and ffprobe alike: the file
    protocol only (so nothing in the file can reach another protocol or the network), the container
    allowlist, and `-f demuxer` (one of the allowlist; None only for the first probe, which lets
    ffmpeg detect the container but refuses any outside the list before its demuxer reads a byte).
    The path is absolute behind `file:`, so no name is ever read as a protocol or an option."""
    args = ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST]
    if demuxer is not None:
        if demuxer not in ALLOWED_FORMATS.values():
            raise ValueError(f"demuxer {demuxer!r} is not on the allowlist")
        args += ["-f", demuxer]
    return args + ["-i", f"file:{os.path.abspath(path)}"]


def unsupported_format_message(format_name: str) -> str:
    if format_name.startswith("image2") or format_name.endswith("_pipe") or format_name in {"gif", "tty"}:
        # Still images (PNG, JPEG) and text probe as image2 / *_pipe / tty demuxers.
        return "The file is an image or text, not a video."
    return f'Unsupported file format "{format_name}": upload an {ALLOWED_FORMATS_TEXT} video.'


def _refused_format(path: Path, timeout: float) -> str:
    """The one-line reason for a file whose container is not on the allowlist. ffprobe only says
    'not on whitelist'; a second run at debug level names the format it detected (still under the
    allowlist, so its demuxer never opens the file)."""
    argv = [FFPROBE, "-v", "debug", *input_args(path, None)]
    log_command(argv)
    try:
        result = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError("The file could not be read in time: it is not a usable video.") from None
    found = _PROBED_FORMAT.search(result.stderr.decode("utf-8", "replace"))
    if found is None:
        return f"Unsupported file format: upload an {ALLOWED_FORMATS_TEXT} video."
    return unsupported_format_message(found.group(1))


def demuxer_of(path: Path, *, timeout: float = 60) -> str:
    """The allowed demuxer that reads `path`; ProbeError with the one-line reason otherwise."""
    argv = [FFPROBE, "-v", "error", *input_args(path, None), "-show_entries", "format=format_name"]
    argv += ["-of", "default=noprint_wrappers=1:nokey=1"]
    log_command(argv)
    try:
        result = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError("The file could not be read in time: it is not a usable video.") from None
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        if "not on whitelist" in stderr:
            raise ProbeError(_refused_format(path, timeout))
        raise ProbeError("The file is not a video we can read (it is damaged or in an unknown format).")
    name = result.stdout.decode("utf-8", "replace").strip()
    if name not in ALLOWED_FORMATS:
        raise ProbeError(unsupported_format_message(name))
    return ALLOWED_FORMATS[name]


def probe(path: Path, *, timeout: float = 60) -> Probe:
    """Read what the content is (never the name or declared type); raise ProbeError with a reason.
    The duration is measured from the packets' timestamps, never taken from the header."""
    argv = [FFPROBE, "-v", "error", *input_args(path, None), "-show_streams", "-show_format", "-of", "json"]
    log_command(argv)
    try:
        result = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError("The file could not be read in time: it is not a usable video.") from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").lower()
        if "not on whitelist" in stderr:
            raise ProbeError(_refused_format(path, timeout))
        if "moov atom not found" in stderr or "partial file" in stderr:
            raise ProbeError("The file is incomplete: it was cut off before the end (damaged or incomplete).")
        raise ProbeError("The file is not a video we can read (it is damaged or in an unknown format).")
    try:
        info = json.loads(result.stdout or b"{}")
    except ValueError:
        raise ProbeError("The file is not a video we can read.") from None
    streams = info.get("streams") or []
    fmt = info.get("format") or {}
    format_name = fmt.get("format_name", "")
    demuxer = ALLOWED_FORMATS.get(format_name)
    if demuxer is None:
        raise ProbeError(unsupported_format_message(format_name))
    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")),
        None,
    )
    if video is None:
        raise ProbeError("The file has no video track.")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise ProbeError("The video track has no picture size: the file is damaged.")
    audio = {int(s["index"]) for s in streams if s.get("codec_type") == "audio" and "index" in s}
    video_index = int(video.get("index", 0))
    start, ends = _packet_extent(path, demuxer, {video_index} | audio, timeout=timeout)
    if video_index not in ends or max(ends.values()) - start <= 0:
        raise ProbeError("The video's duration cannot be read: the file is damaged or incomplete.")
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    return Probe(
        duration=round(max(ends.values()) - start, 6),
        width=width,
        height=height,
        rotation=rotation,
        has_audio=bool(audio),
        video_codec=video.get("codec_name", ""),
        demuxer=demuxer,
        video_end=round(ends[video_index] - start, 6),
    )


def _packet_extent(path: Path, demuxer: str, streams: set[int], *, timeout: float) -> tuple[float, dict[int, float]]:
    """Demux every packet (no decoding) and return the earliest timestamp and, per stream of
    `streams`, where its last packet ends: the real playing time, whatever the header declares.
    The listing is read as it streams, so a file of millions of tiny packets costs time (bounded by
    `timeout`), never memory."""
    argv = [FFPROBE, "-v", "error", *input_args(path, demuxer)]
    argv += ["-show_entries", "packet=stream_index,pts_time,dts_time,duration_time", "-of", "csv=p=0"]
    log_command(argv)
    start = float("inf")
    ends: dict[int, float] = {}
    expired: list[bool] = []
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)

        def expire():
            expired.append(True)
            proc.kill()

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                fields = raw.decode("ascii", "replace").strip().split(",")
                if len(fields) < 4:
                    continue
                try:
                    index = int(fields[0])
                except ValueError:
                    continue
                if index not in streams:
                    continue
                at = _seconds(fields[1])
                if at is None:
                    at = _seconds(fields[2])
                if at is None:
                    continue
                start = min(start, at)
                end = at + (_seconds(fields[3]) or 0.0)
                if end > ends.get(index, float("-inf")):
                    ends[index] = end
            returncode = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        stderr = err.read(LOG_TAIL_CHARS).decode("utf-8", "replace").lower()
    if expired:
        raise ProbeError("The file could not be read in time: it is not a usable video.")
    if "partial file" in stderr:
        # The header lists packets the file does not hold: cut off (the header itself was whole).
        raise ProbeError("The video cannot be decoded to its end: the file is damaged or incomplete.")
    if returncode != 0:
        raise ProbeError("The file is not a video we can read (it is damaged or in an unknown format).")
    return start, ends


def _seconds(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:  # "N/A"
        return None
    return value if value == value and abs(value) != float("inf") else None


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
    argv += [*input_args(path, info.demuxer), "-map", "0:v:0", "-frames:v", "1", "-f", "framemd5", "-"]
    log_command(argv)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeError("The video could not be decoded in time.") from None
    frames = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    if result.returncode != 0 or not frames:
        raise ProbeError("The video cannot be decoded to its end: the file is damaged or incomplete.")


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


def transcode_command(*, source: Path, outputs: dict[str, Path], info: Probe, threads: int | None = None) -> list[str]:
    """One ffmpeg process that decodes the source once and writes every rendition in `outputs`
    (rendition -> path): the decoded picture is split, each branch scaled and encoded on its own.
    H.264 high/yuv420p + AAC in MP4 with the moov atom first. ffmpeg applies the rotation
    metadata itself (autorotate), so the scale works on displayed sizes and portrait stays portrait."""
    if not outputs:
        raise ValueError("no rendition to write")
    threads = settings.FFMPEG_THREADS if threads is None else threads
    argv = _base(threads) + ["-progress", "pipe:1", "-stats_period", "0.5", *input_args(source, info.demuxer)]
    names = list(outputs)
    branches = [f"[v{i}]" for i in range(len(names))]
    graph = f"[0:v:0]split={len(names)}{''.join(branches)}" if len(names) > 1 else ""
    for i, rendition in enumerate(names):
        width, height = scaled_size(info.width, info.height, RENDITION_SHORT_SIDE[rendition])
        into = branches[i] if len(names) > 1 else "[0:v:0]"
        graph += f";{into}" if graph else into
        graph += f"scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p[out{i}]"
    argv += ["-filter_complex", graph]
    for i, rendition in enumerate(names):
        argv += ["-map", f"[out{i}]", "-c:v", "libx264", "-preset", RENDITION_PRESET, "-crf", RENDITION_CRF[rendition]]
        argv += ["-profile:v", "high", "-pix_fmt", "yuv420p", "-maxrate", RENDITION_MAXRATE[rendition]]
        argv += ["-bufsize", "8M"]
        if info.has_audio:
            argv += ["-map", "0:a:0", "-c:a", "aac", "-b:a", RENDITION_AUDIO_BITRATE[rendition], "-ac", "2"]
        else:
            argv += ["-an"]
        argv += ["-sn", "-dn", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(outputs[rendition])]
    return argv


def poster_command(*, source: Path, output: Path, seconds: float, demuxer: str, threads: int = 0) -> list[str]:
    argv = _base(threads) + ["-ss", f"{max(0.0, seconds):.3f}", *input_args(source, demuxer), "-frames:v", "1"]
    return argv + ["-q:v", "3", "-f", "image2", "-c:v", "mjpeg", str(output)]


def preview_command(*, source: Path, output: Path, info: Probe, threads: int = 0) -> list[str]:
    """A few muted seconds at grid-thumbnail size, for hover previews."""
    width, height = scaled_size(info.width, info.height, PREVIEW_SHORT_SIDE)
    argv = _base(threads) + [*input_args(source, info.demuxer), "-t", str(PREVIEW_SECONDS), "-map", "0:v:0", "-an"]
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

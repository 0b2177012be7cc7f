"""Frame sampling for moderation: frames at scene changes (plus a keep-alive sample in long static
shots), at most about one a second and at most `max_frames` a video, with their timestamps."""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from videos import ffmpeg

SCENE_THRESHOLD = 0.3
KEEPALIVE_SECONDS = 5.0
_PTS = re.compile(r"\bn:\s*(\d+).*?\bpts_time:\s*([0-9.]+)")


class FramesUnavailable(RuntimeError):
    pass


@dataclass
class Frame:
    time: float
    path: Path


def select_expression(*, min_gap: float, keepalive: float, threshold: float = SCENE_THRESHOLD) -> str:
    # The first frame always; later ones when the picture changes (scene score) and at least
    # min_gap has passed, or when nothing was taken for `keepalive` seconds.
    return (
        f"isnan(prev_selected_t)+gte(t-prev_selected_t\\,{min_gap:.3f})"
        f"*(gt(scene\\,{threshold})+gte(t-prev_selected_t\\,{keepalive:.3f}))"
    )


def sample(video_path: str | Path, out_dir: str | Path, *, duration: float, max_frames: int = 30) -> list[Frame]:
    """Write sampled frames (short side 256 px, JPEG) into `out_dir`; return them in time order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    duration = max(float(duration or 0.0), 0.1)
    min_gap = max(1.0, duration / max_frames)
    keepalive = max(KEEPALIVE_SECONDS, 2 * min_gap)
    vf = f"select='{select_expression(min_gap=min_gap, keepalive=keepalive)}',showinfo,scale=-2:256"
    try:
        demuxer = ffmpeg.demuxer_of(Path(video_path))
    except ffmpeg.ProbeError as exc:
        raise FramesUnavailable(str(exc)) from None
    # Non-reference frames are not decoded, nor the deblocking filter run: sampling at most about
    # one frame a second needs neither, and the decode (a 1080x1920 upload, beside its transcode)
    # costs about a third less CPU.
    cmd = [
        ffmpeg.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "info", "-y",
        "-skip_frame", "noref", "-skip_loop_filter", "all", *ffmpeg.input_args(video_path, demuxer),
        "-an", "-sn", "-vf", vf, "-fps_mode", "vfr", "-q:v", "4",
        str(out_dir / "f%04d.jpg"),
    ]  # fmt: skip
    ffmpeg.log_command(cmd)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max(60.0, duration * 2))
    except subprocess.TimeoutExpired:
        raise FramesUnavailable("Frame sampling timed out.") from None
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise FramesUnavailable(f"Frame sampling failed: {tail[0][:200]}")
    times = [float(m.group(2)) for m in _PTS.finditer(proc.stderr) if "Parsed_showinfo" in _line_of(proc.stderr, m)]
    files = sorted(out_dir.glob("f*.jpg"))
    frames = [Frame(time=round(t, 3), path=f) for t, f in zip(times, files, strict=False)]
    if not frames:
        raise FramesUnavailable("No frame could be decoded.")
    if len(frames) > max_frames:
        step = len(frames) / max_frames
        keep = {int(i * step) for i in range(max_frames)}
        for index, frame in enumerate(frames):
            if index not in keep:
                frame.path.unlink(missing_ok=True)
        frames = [f for i, f in enumerate(frames) if i in keep]
    return frames


def _line_of(text: str, match: re.Match) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    return text[start : match.end()]


def thumbnail(src: Path, dest: Path, *, width: int = 160) -> Path:
    """A small JPEG for moderators; what they need is the gist, not the detail."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as image:
        image = image.convert("RGB")
        height = max(1, round(image.height * width / image.width))
        image.resize((width, height), Image.Resampling.BILINEAR).save(dest, format="JPEG", quality=70)
    return dest

"""Test clips generated with ffmpeg's lavfi sources (never committed binaries), shared by every
test that needs a real video: `make_clip(path, seconds=2, ...)`."""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

FFMPEG = "ffmpeg"


def _run(argv):
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}\n{result.stderr[-2000:]}")


def _drawtext_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\u2019").replace("%", "\\%")


def make_clip(
    path,
    seconds: float = 2,
    width: int = 320,
    height: int = 240,
    audio: bool = True,
    rotate: int | None = None,
    voice_text: str | None = None,
    pattern: str = "testsrc2",
    color: str | None = None,
    text: str | None = None,
    fps: int = 25,
    fmt: str | None = None,
    faststart: bool = False,
) -> Path:
    """Write an H.264 (+AAC) clip to `path` and return it.

    pattern: a lavfi video source (testsrc, testsrc2, smptebars, mandelbrot, rgbtestsrc) or
    "color" with `color`; text: moving caption drawn on the frames; voice_text: espeak-ng speech
    as the audio track (instead of a tone); rotate: 90/180/270 stored as rotation metadata on a
    `width`x`height` stream, the way phones record portrait video.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = f"{width}x{height}"
    if color is not None or pattern == "color":
        source = f"color=c={color or 'teal'}:s={size}:r={fps}:d={seconds}"
    elif pattern == "mandelbrot":
        source = f"mandelbrot=s={size}:r={fps},trim=duration={seconds}"
    else:
        source = f"{pattern}=s={size}:r={fps}:d={seconds}"
    vf = []
    if text:
        vf.append(
            f"drawtext=text='{_drawtext_escape(text)}':fontcolor=white:fontsize={max(12, height // 10)}:"
            "box=1:boxcolor=black@0.5:x=(w-text_w)/2+sin(t*2)*w/8:y=h/2"
        )
    argv = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
    work = Path(tempfile.mkdtemp(prefix="clip-"))
    try:
        if audio and voice_text:
            wav = work / "voice.wav"
            _run(["espeak-ng", "-w", str(wav), voice_text])
            argv += ["-i", str(wav), "-af", f"apad,atrim=0:{seconds}"]
        elif audio:
            argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
        if vf:
            argv += ["-vf", ",".join(vf)]
        argv += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        argv += ["-c:a", "aac", "-b:a", "64k"] if audio else ["-an"]
        target = work / "clip.mp4" if rotate else path
        argv += ["-movflags", "+faststart"] if faststart else []
        argv += ["-f", "mp4" if rotate else (fmt or "mp4")]
        _run([*argv, str(target)])
        if rotate:
            # ffmpeg 5's mp4 muxer turns the `rotate` tag into the display matrix phones write.
            _run(
                [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(target), "-c", "copy"]
                + ["-metadata:s:v:0", f"rotate={rotate}", "-f", fmt or "mp4", str(path)]
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path


def make_audio_only(path, seconds: float = 2) -> Path:
    path = Path(path)
    _run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"sine=d={seconds}"]
        + ["-c:a", "aac", "-f", "mp4", str(path)]
    )
    return path


def make_png(path, width: int = 64, height: int = 64) -> Path:
    path = Path(path)
    _run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc=s={width}x{height}:d=1"]
        + ["-frames:v", "1", "-f", "image2", "-c:v", "png", str(path)]
    )
    return path


def ffprobe(path) -> dict:
    """ffprobe's JSON for streams and format (for assertions about outputs)."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)

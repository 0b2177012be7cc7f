"""How much the pipeline costs on top of ffmpeg itself: one generated clip through the real
pipeline, then the exact commands it logged replayed back to back; interleaved, median of N.

Last stdout line: pipeline_s=… ffmpeg_s=… overhead_ratio=…"""

import logging
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.test import override_settings

from videos import services, transcoding, uploads
from videos.models import Video


class CommandLog(logging.Handler):
    """Collects the argv of every command the pipeline runs (logged by videos.ffmpeg)."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.commands: list[list[str]] = []

    def emit(self, record):
        argv = getattr(record, "argv", None)
        if argv:
            self.commands.append(argv)


class Command(BaseCommand):
    help = "Benchmark the transcoding pipeline against the bare ffmpeg commands it runs."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=15.0)
        parser.add_argument("--width", type=int, default=1920)
        parser.add_argument("--height", type=int, default=1080)
        parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median is reported")

    def handle(self, *args, **options):
        work = Path(tempfile.mkdtemp(prefix="bench-transcode-"))
        try:
            with override_settings(
                MEDIA_ROOT=work / "media",
                UPLOAD_TMP_ROOT=work / "uploads",
                ORIGINALS_ROOT=work / "originals",
                KEEP_ORIGINALS=False,
            ):
                pipeline, bare, cpu = self._bench(work, options)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        p, f = statistics.median(pipeline), statistics.median(bare)
        self.stderr.write(
            f"pipeline runs: {[round(x, 3) for x in pipeline]}  ffmpeg runs: {[round(x, 3) for x in bare]}"
        )
        # CPU seconds (this process + its children) barely move with other load on the machine,
        # unlike wall time: a cross-check for a busy host.
        cp, cf = statistics.median(cpu["pipeline"]), statistics.median(cpu["ffmpeg"])
        # (Children's CPU is not counted where SIGCHLD is ignored: then there is no ratio.)
        cpu_ratio = f"{cp / cf:.3f}" if cf > 0 else "n/a"
        self.stderr.write(f"cpu: pipeline_cpu_s={cp:.3f} ffmpeg_cpu_s={cf:.3f} cpu_ratio={cpu_ratio}")
        self.stdout.write(f"pipeline_s={p:.3f} ffmpeg_s={f:.3f} overhead_ratio={p / f:.3f}")

    def _bench(self, work: Path, options) -> tuple[list[float], list[float]]:
        clip = work / "clip.mp4"
        size = f"{options['width']}x{options['height']}"
        seconds = options["seconds"]
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=s={size}:r=30:d={seconds}",
            ]
            + ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast"]
            + ["-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip)],
            check=True,
        )
        user, _ = get_user_model().objects.get_or_create(
            username="bench-transcode", defaults={"email": "bench-transcode@localhost", "is_active": False}
        )
        ffmpeg_logger = logging.getLogger("videos.ffmpeg")
        pipeline: list[float] = []
        bare: list[float] = []
        cpu: dict[str, list[float]] = {"pipeline": [], "ffmpeg": []}
        for run in range(options["repeat"]):
            source = uploads.upload_temp_path()
            shutil.copyfile(clip, source)
            log = CommandLog()
            ffmpeg_logger.addHandler(log)
            cpu_started = _cpu_seconds(include_self=True)
            started = time.perf_counter()
            try:
                video = uploads.video_create(creator=user, source_path=source, title="bench", enqueue=False)
                video = transcoding.video_process_inline(video=video, screen=False)
            finally:
                ffmpeg_logger.removeHandler(log)
            pipeline.append(time.perf_counter() - started)
            cpu["pipeline"].append(_cpu_seconds(include_self=True) - cpu_started)
            if video.processing != Video.Processing.READY:
                raise SystemExit(f"The pipeline failed: {video.processing_error}")
            # The replay reads the same inputs: put the upload back where the commands expect it.
            inputs = {a.removeprefix("file:") for argv in log.commands for a in argv}
            for path in {Path(a) for a in inputs if a.endswith((".upload", ".source"))}:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(clip, path)
            # The work folder the pipeline wrote its outputs in is gone once the video is ready.
            for argv in log.commands:
                for arg in argv:
                    if arg.endswith(".part"):
                        Path(arg).parent.mkdir(parents=True, exist_ok=True)
            cpu_started = _cpu_seconds(include_self=False)
            started = time.perf_counter()
            for argv in log.commands:
                subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            bare.append(time.perf_counter() - started)
            cpu["ffmpeg"].append(_cpu_seconds(include_self=False) - cpu_started)
            self.stderr.write(
                f"run {run + 1}: {len(log.commands)} commands, pipeline {pipeline[-1]:.2f} s, ffmpeg {bare[-1]:.2f} s"
            )
            services.video_delete(video=video)
            Video.objects.filter(pk=video.pk).delete()
            shutil.rmtree(Path(settings.UPLOAD_TMP_ROOT), ignore_errors=True)
        return pipeline, bare, cpu


def _cpu_seconds(*, include_self: bool) -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = children.ru_utime + children.ru_stime
    if include_self:
        own = resource.getrusage(resource.RUSAGE_SELF)
        total += own.ru_utime + own.ru_stime
    return total

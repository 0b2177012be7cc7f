"""How long a new video takes from the end of its upload to its final moderation decision, as
production runs it: a fresh database, default settings, the two job clusters started by this
command (as `make run` starts them), and a generated 15-second 1080x1920 clip with speech.
Compared with one bare ffmpeg run of the pipeline's own 720p command on the same source.

Last stdout line: publish_s=… clip_s=… ffmpeg_s=… ratio=…"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from moderation.models import ModerationDecision
from videos import ffmpeg, uploads
from videos.models import Video

MANAGE = Path(settings.BASE_DIR) / "manage.py"
SPEECH = (
    "Hello friends, welcome back to my kitchen. Today we bake a lemon cake together, with flour, "
    "sugar, butter and three fresh eggs. Mix it well, pour it in the tin, and bake it for forty minutes."
)
WORKER_READY = "moderation models loaded"  # moderation.warmup logs it once per long worker
# What a child process keeps from this one's environment: everything else takes its default.
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")


class Command(BaseCommand):
    help = (
        "Benchmark publishing: upload end to final moderation decision of a generated clip, on a fresh "
        "database with default settings and the job clusters this command starts and stops. "
        "Last stdout line: publish_s=… clip_s=… ffmpeg_s=… ratio=…"
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=15.0, help="clip length (default 15)")
        parser.add_argument("--small", action="store_true", help="a 180x320 clip instead of 1080x1920 (tests)")
        parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
        # Internal: the measuring half, run by this command as a child in the fresh environment.
        parser.add_argument("--measure", type=Path, help="(internal) upload this clip here and wait for its decision")
        parser.add_argument("--cluster-log", type=Path, help="(internal) the long cluster's log")

    def handle(self, *args, **options):
        if options["measure"]:
            self._measure(options["measure"], options["cluster_log"], options["timeout"])
            return
        if shutil.which("espeak-ng") is None:
            raise CommandError("espeak-ng is not installed (system-packages.txt): it speaks the clip's voice track.")
        seconds = options["seconds"]
        if not 1.0 <= seconds <= 60.0:
            raise CommandError("--seconds must be between 1 and 60.")
        work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
        try:
            clip = make_speech_clip(work / "clip.mp4", seconds=seconds, small=options["small"])
            env = fresh_env(work / "var")
            for argv in (["migrate", "--noinput"], ["createcachetable"], ["prepare_models"]):
                self.stderr.write(f"setting up: manage.py {' '.join(argv)}")
                _manage(argv, env, timeout=options["timeout"])
            result = self._with_clusters(env, work, clip, options["timeout"])
            bare = result["bare_argv"]
            started = time.perf_counter()
            done = subprocess.run(bare, capture_output=True, check=False, timeout=options["timeout"])
            ffmpeg_s = time.perf_counter() - started
            if done.returncode != 0:
                raise CommandError(f"the bare ffmpeg run failed: {done.stderr.decode(errors='replace')[-300:]}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        publish_s = result["publish_s"]
        self.stderr.write(
            f"state={result['state']} renditions_ready_s={result['ready_s']} decided_s={result['decided_s']} "
            f"stages={result['stages']} encode_s={result['encode_s']}"
        )
        self.stdout.write(
            f"publish_s={publish_s:.2f} clip_s={seconds:.1f} ffmpeg_s={ffmpeg_s:.2f} ratio={publish_s / ffmpeg_s:.2f}"
        )

    def _with_clusters(self, env: dict, work: Path, clip: Path, timeout: float) -> dict:
        """Start the short and long clusters as `make run` does, measure in a child, stop them."""
        logs = [(work / f"{name}.log").open("wb") for name in ("short", "long")]
        clusters = [
            subprocess.Popen(
                [sys.executable, str(MANAGE), "qcluster"],
                env={**env, **extra},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stopping it stops its workers
            )
            for log, extra in zip(logs, ({}, {"Q_CLUSTER_NAME": "long"}), strict=True)
        ]
        try:
            argv = ["bench_publish", "--measure", str(clip), "--cluster-log", str(work / "long.log")]
            out = _manage([*argv, "--timeout", str(timeout)], env, timeout=timeout)
            # What the long cluster holds in memory with its workers' models loaded (Linux only).
            self.stderr.write(f"long cluster: {_group_memory(clusters[1].pid)}")
        finally:
            for proc in clusters:
                _stop(proc)
            for log in logs:
                log.close()
        return json.loads(out.strip().splitlines()[-1])

    def _measure(self, clip: Path, cluster_log: Path, timeout: float) -> None:
        """In the fresh environment: wait until every long worker has started and loaded the
        moderation models (as in a running production cluster), upload, wait for the decision."""
        deadline = time.monotonic() + timeout
        while cluster_log.read_text(errors="replace").count(WORKER_READY) < settings.Q_LONG_WORKERS:
            if time.monotonic() > deadline:
                raise CommandError("the long cluster's workers did not start")
            time.sleep(0.2)
        user = get_user_model().objects.create_user(username="bench-publish", email="bench-publish@localhost")
        source = uploads.upload_temp_path()
        shutil.copyfile(clip, source)
        started = time.perf_counter()  # the upload's bytes are all here: what follows is the pipeline
        video = uploads.video_create(
            creator=user, source_path=source, title="Lemon cake in a minute", description="Baking at home #cake"
        )
        ready_s = decided_s = None
        deadline = started + timeout
        while time.perf_counter() < deadline:
            video.refresh_from_db()
            now = round(time.perf_counter() - started, 2)
            if ready_s is None and video.processing == Video.Processing.READY:
                ready_s = now
            if decided_s is None and video.moderation != Video.Moderation.PENDING:
                decided_s = now
            if video.processing == Video.Processing.FAILED or (ready_s is not None and decided_s is not None):
                break
            time.sleep(0.05)
        else:
            raise CommandError(f"no decision after {timeout:.0f} s (video {video.processing}, {video.moderation})")
        publish_s = time.perf_counter() - started
        if video.processing == Video.Processing.FAILED:
            raise CommandError(f"the pipeline failed: {video.processing_error}")
        stages = _stage_seconds(video)
        encode = sorted({e.runtime_seconds for e in video.encodings.all()})
        info = ffmpeg.probe(clip)
        bare = ffmpeg.transcode_command(source=clip, outputs={"720p": clip.with_name("bare-720p.mp4")}, info=info)
        print(
            json.dumps(
                {
                    "publish_s": publish_s, "ready_s": ready_s, "decided_s": decided_s, "state": video.moderation,
                    "stages": stages, "encode_s": encode, "bare_argv": bare,
                }
            )
        )  # fmt: skip


def _stage_seconds(video: Video) -> dict:
    """Seconds per moderation stage of the video's automatic decision (for stderr)."""
    row = (
        ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video", action="screen")
        .order_by("-pk")
        .first()
    )
    if row is None:
        return {}
    return {
        name: round(stage.get("seconds", 0.0), 2) for name, stage in (row.stages or {}).items() if "seconds" in stage
    }


def _group_memory(pgid: int) -> str:
    """Resident memory of each process in a process group (the cluster and its workers)."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...; rss is the 22nd
            sizes.append(int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 2**20)
    return f"{len(sizes)} processes, rss_mib={sorted(sizes, reverse=True)}"


def fresh_env(var_dir: Path) -> dict:
    """Default settings on a new VAR_DIR (so a new SQLite database), with this installation's
    prepared models (MODEL_ROOT; `prepare_models` builds them once, as `make run` does)."""
    env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
    env.update(VAR_DIR=str(var_dir), MODEL_ROOT=str(settings.MODEL_ROOT), PYTHONUNBUFFERED="1")
    return env


def _manage(argv: list[str], env: dict, *, timeout: float) -> str:
    done = subprocess.run(
        [sys.executable, str(MANAGE), *argv], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise CommandError(f"manage.py {argv[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def make_speech_clip(path: Path, *, seconds: float, small: bool) -> Path:
    """A phone-like portrait clip: ffmpeg's testsrc2 picture, espeak-ng's voice padded to length."""
    wav = path.with_name("voice.wav")
    subprocess.run(["espeak-ng", "-w", str(wav), SPEECH], check=True, capture_output=True)
    size = "180x320" if small else "1080x1920"
    argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    argv += ["-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d={seconds}", "-i", str(wav)]
    argv += ["-af", f"apad,atrim=0:{seconds}", "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast"]
    argv += ["-crf", "20", "-profile:v", "high", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"]
    subprocess.run([*argv, "-movflags", "+faststart", str(path)], check=True, capture_output=True)
    return path

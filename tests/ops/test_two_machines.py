"""Machines that share no disk: two web servers (gunicorn) and two job clusters (django-q2), each
pair with its own VAR_DIR and temporary directory, standing for two machines, against the same
MariaDB, Redis and S3-compatible store (the local moto server). A video uploaded through web A is
transcoded and moderated by cluster B and plays through web B; a comment posted on B is seen on
A; a comment rate limit counted on A holds on B; a recommender trained on B is served by A without
a restart (A fetches the active version from the store into its own MODEL_ROOT). Comment heads
reaching the other machine: tests/ops/test_artifacts_shared.py. Runs in CI's MariaDB + Redis run;
skipped on SQLite."""

import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from moderation import decisions
from moderation.models import ModerationDecision
from tests.media import make_clip
from tests.moderation.video_clips import whisper_dir  # noqa: F401
from tests.ops.test_cluster_killed_mid_training import child_database_url, wait_until
from tests.recommendations.catalogue import make_catalogue, plant_engagement
from tests.s3_server import free_port
from tiktok.models import ModelVersion
from videos.models import Category, Comment, Encoding, Video

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One signed-in person's HTTP client: their session and CSRF cookies, redirects not followed."""

    def __init__(self, session_key: str):
        self.cookies = {django_settings.SESSION_COOKIE_NAME: session_key, "csrftoken": uuid.uuid4().hex}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, url, *, data=None, headers=None):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = {"Cookie": cookie, "X-CSRFToken": self.cookies["csrftoken"], **(headers or {})}
        try:
            with self.opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=120) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def post(self, url, fields: dict):
        return self.request(url, data=urllib.parse.urlencode(fields, doseq=True).encode())

    def upload(self, url, fields: dict, path: Path):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode()
                )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: video/mp4\r\n\r\n".encode()
            + path.read_bytes()
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def needs_mariadb_and_redis():
    if connection.vendor != "mysql" or not django_settings.REDIS_URL:
        pytest.skip("the two-machine test runs against MariaDB and Redis (CI's second run)")


@pytest.fixture(scope="session")
def prepared_encoders(tmp_path_factory) -> Path:
    """The comment encoder's ONNX export, built once and copied to each machine as its deployment
    would (prepare_models); each machine keeps its own MODEL_ROOT."""
    var = tmp_path_factory.mktemp("prepare")
    env = {**os.environ, "VAR_DIR": str(var), "MODEL_ROOT": str(var / "models")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    warm = "from moderation import services; services.text_models_warm()"
    command = [sys.executable, "manage.py", "shell", "-c", warm]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return var / "models" / "encoders"


@pytest.fixture
def two_machines(tmp_path, request):
    needs_mariadb_and_redis()
    s3_server = request.getfixturevalue("s3_server")
    whisper = request.getfixturevalue("whisper_dir")
    encoders = request.getfixturevalue("prepared_encoders")
    bucket = s3_server.create_bucket()
    shared = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server.endpoint,
        "DJANGO_DEBUG": "true",  # static files from the finders: no collectstatic per machine
        "COMMENT_RATE_PER_MINUTE": "2",
        "WHISPER_MODEL_DIR": str(whisper),
        "GEMINI_API_KEY": "",
        "TRANSCODE_RETRY_BASE_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    shared.pop("DJANGO_SETTINGS_MODULE", None)
    processes, logs, machines = [], [], {}
    for name in ("a", "b"):
        var = tmp_path / f"machine-{name}"
        (var / "tmp").mkdir(parents=True)
        shutil.copytree(encoders, var / "models" / "encoders")
        env = {**shared, "VAR_DIR": str(var), "TMPDIR": str(var / "tmp")}
        port = free_port()
        machines[name] = {"var": var, "url": f"http://127.0.0.1:{port}", "env": env}
        web_log = open(var / "web.log", "wb")  # noqa: SIM115 (closed at teardown)
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "tiktok.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "300",
        ]
        processes.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT))
        # Cluster A runs the short jobs, cluster B the long ones (transcoding, video moderation).
        cluster_env = {**env, "Q_CLUSTER_NAME": "long"} if name == "b" else env
        jobs_log = open(var / "jobs.log", "wb")  # noqa: SIM115 (closed at teardown)
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=cluster_env,
                stdout=jobs_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        logs += [web_log, jobs_log]
    try:
        for machine in machines.values():
            wait_until(lambda m=machine: _healthy(m["url"]), 90, f"{machine['url']} never became healthy")
        yield s3_server, bucket, machines
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def _healthy(url) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def media_files(var: Path) -> list[Path]:
    """Media left on a machine's disk: its MEDIA_ROOT, upload and work folders, temporary dir."""
    roots = [var / "media", var / "uploads", var / "work", var / "tmp"]
    kinds = {".mp4", ".jpg", ".webp", ".vtt", ".source", ".upload", ".original", ".part"}
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file() and p.suffix in kinds]


def test_a_video_uploaded_on_a_is_processed_by_b_and_plays_everywhere_with_comments_and_limits_shared(
    two_machines, make_user, tmp_path
):
    server, bucket, machines = two_machines
    a, b = machines["a"]["url"], machines["b"]["url"]
    creator = make_user("creator")
    client = Client()
    client.force_login(creator)
    person = Browser(client.cookies[django_settings.SESSION_COOKIE_NAME].value)

    clip = make_clip(tmp_path / "sunset.mp4", seconds=2, width=240, height=320, audio=False)
    category = Category.objects.filter(active=True).first()
    status, headers, body = person.upload(
        f"{a}/upload/",
        {"title": "Sunset from machine A", "description": "", "categories": str(category.pk), "visibility": "public",
         "allow_comments": "on"},
        clip,
    )  # fmt: skip
    assert status == 302, body[:500]
    video = Video.objects.get(title="Sunset from machine A")

    def decided():
        video.refresh_from_db()
        done = video.processing == Video.Processing.READY and video.moderation != Video.Moderation.PENDING
        return done or video.processing == Video.Processing.FAILED

    wait_until(decided, 300, "the video was never transcoded and moderated")
    assert video.processing == Video.Processing.READY, video.processing_error
    assert ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video").exists()
    jobs_a = (machines["a"]["var"] / "jobs.log").read_text(errors="replace")
    jobs_b = (machines["b"]["var"] / "jobs.log").read_text(errors="replace")
    transcoded = re.compile(rf"video {video.pk} [\w+]*720p[\w+]* done")  # "720p done", "720p+360p done"
    assert transcoded.search(jobs_b) and not transcoded.search(jobs_a)
    assert "moderation.tasks.moderate_video" in jobs_b and "moderation.tasks.moderate_video" not in jobs_a
    assert Encoding.objects.filter(video=video, status=Encoding.Status.DONE).count() == 2
    assert f"videos/{video.public_id}/720p.mp4" in server.keys(bucket)
    # The transcode job lets the upload and its work folder go just after the video is ready.
    wait_until(
        lambda: not server.keys(bucket, "incoming/") and not media_files(machines["b"]["var"]),
        60,
        "the upload or a local copy outlived the transcode",
    )
    assert media_files(machines["a"]["var"]) == [] and media_files(machines["b"]["var"]) == []

    if video.moderation != Video.Moderation.APPROVED:  # held by the automatic checks: a moderator passes it
        decisions.video_decide(video=video, outcome=ModerationDecision.Outcome.APPROVED, actor=make_user(
            "mod", is_staff=True, is_superuser=True), note="two-machine test")  # fmt: skip

    # Plays through web B: a presigned URL into the bucket, and the Range request goes there.
    status, headers, _ = person.request(f"{b}/v/{video.public_id}/media/720p.mp4")
    assert status == 302 and headers["Location"].startswith(server.endpoint)
    request = urllib.request.Request(headers["Location"], headers={"Range": "bytes=0-1023"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 206 and len(answer.read()) == 1024

    # A comment posted on B is seen on A.
    comments = f"/v/{video.public_id}/comments/"
    assert person.post(f"{b}{comments}", {"text": "What a calm evening by the water"})[0] == 302
    status, _, page = person.request(f"{a}{comments}")
    assert status == 200 and "What a calm evening by the water" in page.decode()
    # The limit (2 a minute, in Redis) counted one on B and one on A: the third, on B, is refused.
    assert person.post(f"{a}{comments}", {"text": "The colours keep changing"})[0] == 302
    status, _, body = person.post(f"{b}{comments}", {"text": "One more thought"})
    assert status == 429, body[:300]
    assert Comment.objects.filter(video=video).count() == 2

    # A model trained on B (its own MODEL_ROOT) is served by A, which never trained one, without a
    # restart: A's next feed fetches the active version from the store.
    _, _, _, by_cat = make_catalogue(per_category=6, creators=3)
    plant_engagement(by_cat, viewers_per_category=3, per_viewer=4)
    trained = subprocess.run(
        [sys.executable, "manage.py", "train_recommender"],
        cwd=ROOT, env=machines["b"]["env"], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    active = ModelVersion.objects.get(kind="recommender", active=True)
    assert f"models/{active.artifact_path}" in server.keys(bucket)
    on_a = machines["a"]["var"] / "models" / active.artifact_path
    assert not on_a.exists()

    def served_by_a():
        return person.request(f"{a}/")[0] == 200 and on_a.is_file()

    wait_until(served_by_a, 60, "web A never loaded the model trained on B")

"""A web worker started with gunicorn.conf.py loads the text models in post_worker_init, before it
takes a request: its first comment is decided by models already loaded, nothing is loaded in the
request."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from moderation.models import ModerationDecision
from tests.factories import make_user, ready_video
from videos.models import Comment

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CSRF = "a" * 32  # a well-formed CSRF secret, sent as both the cookie and the header


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(path: Path, pattern: str, process, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if re.search(pattern, text):
            return text
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{text[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"no {pattern!r} in gunicorn's log after {seconds} s")


@pytest.fixture
def gunicorn(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the worker reaches the test database through a SQLite file")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "MODEL_ROOT": str(settings.MODEL_ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "GEMINI_API_KEY": "",
        "LOG_LEVEL": "INFO",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        yield f"http://127.0.0.1:{port}", log, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_worker_decides_its_first_comment_with_models_loaded_at_start(gunicorn):
    base, log, process = gunicorn
    video = ready_video(make_user("maker"), title="Sunset", media=False)
    viewer = make_user("viewer")
    client = Client()
    client.force_login(viewer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    started = _wait_for(log, r"text models loaded in [\d.]+ s", process, seconds=300)
    assert "Booting worker" in started

    request = urllib.request.Request(
        f"{base}/v/{video.public_id}/comments/",
        data=b"text=What+a+lovely+sunset%2C+thanks+for+sharing%21",
        headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF}",
            "X-CSRFToken": CSRF,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200

    comment = Comment.objects.get(video=video, author=viewer)
    assert comment.state == "published"
    decision = ModerationDecision.objects.get(object_id=comment.pk, text_snapshot=comment.text)
    assert decision.model_versions["comment_classifier"] and decision.scores
    text = _wait_for(log, r'"POST /v/\S+/comments/ HTTP/1.1" 200', process, seconds=30)
    # The warm-up came before the request, and the request loaded nothing.
    assert text.index("text models loaded") < text.index("POST /v/")
    # (a warning, so it is written even where the encoder's export has raised the root logger's level)
    assert "loading the text models inside a call" not in text

"""`make run` keeps its output short: one progress line per set-up step, no Python warnings, and
the address and the demo admin's credentials last, in a frame, once the server answers. Runs the
real `make run` (on a free port, a fresh database, the demo seeding off) and stops it with Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
LIMIT_SECONDS = 900  # a fresh model cache is built on the first run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_prints_a_line_per_step_and_the_credentials_last_in_a_frame(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SEED_DEMO": "0",
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "MODEL_ROOT": str(settings.MODEL_ROOT),  # the models the other tests prepared, when present
        "WEB_WORKERS": "1",
        "Q_SHORT_WORKERS": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + LIMIT_SECONDS
    try:
        borders = 0
        while borders < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            borders += line.startswith("+--")
        url = f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(url + "healthz", timeout=10) as response:  # answering now
            assert response.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = "\n".join(lines)
    assert borders == 2, f"no framed block in:\n{output}"
    assert len(lines) <= 15, output
    assert not re.search(r"Warning|warnings\.warn|Traceback", output), output
    assert [line for line in lines if line.startswith("[")] == [
        "[1/5] Migrating the database",
        "[2/5] Collecting static files",
        "[3/5] Setting up the recurring jobs",
        "[4/5] Creating the demo admin",
        "[5/5] Preparing the models (first run: a few minutes)",
    ]
    frame = lines[lines.index(next(line for line in lines if line.startswith("+--"))) :]
    assert frame[-1].startswith("+--") and lines[-1] == frame[-1]  # the frame comes last
    body = "\n".join(frame)
    assert f"Clip is running at {url}" in body and f"Admin: {url}admin/" in body
    password = re.search(r"username admin   password (\S+)", body).group(1)
    assert len(password) >= 12
    assert "manage.py changepassword admin" in body
    assert password not in (tmp_path / "var" / "log" / "setup.log").read_text()  # in no log

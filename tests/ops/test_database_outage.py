"""Fault: the database is unreachable for a few seconds. Requests get a proper 503 page and the
app recovers by itself, without a restart. Runs a real server process against MariaDB through a
TCP proxy that the test cuts."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ops.tcp_proxy import CuttableProxy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(url, status, seconds=60):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            last = fetch(url)
            if last[0] == status:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {status}; last: {last}")


@pytest.fixture
def server_through_proxy(tmp_path):
    subprocess.run(
        [
            "mariadb",
            "-h",
            "127.0.0.1",
            "-u",
            "root",
            "-e",
            "CREATE DATABASE IF NOT EXISTS clip_outage CHARACTER SET utf8mb4",
        ],
        check=True,
    )
    proxy = CuttableProxy("127.0.0.1", 3306)
    env = {
        **os.environ,
        "DATABASE_URL": f"mysql://root:@127.0.0.1:{proxy.port}/clip_outage",
        "DB_CONN_MAX_AGE": "60",
        "VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "false",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = proxy.port + 1 if proxy.port < 65000 else proxy.port - 1
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tiktok.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proxy, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        proxy.close()
        subprocess.run(["mariadb", "-h", "127.0.0.1", "-u", "root", "-e", "DROP DATABASE IF EXISTS clip_outage"])


def test_requests_get_a_503_during_an_outage_and_the_app_recovers(server_through_proxy):
    proxy, base = server_through_proxy
    wait_for(f"{base}/healthz", 200)
    assert fetch(f"{base}/")[0] == 200

    proxy.cut()
    status, body = fetch(f"{base}/")
    assert status == 503
    assert "Temporarily unavailable" in body
    status, body = fetch(f"{base}/healthz")
    assert status == 503
    assert body == '{"ok": false}'  # which dependency failed, and why, is for staff only

    proxy.restore()
    wait_for(f"{base}/healthz", 200, seconds=30)
    assert fetch(f"{base}/")[0] == 200

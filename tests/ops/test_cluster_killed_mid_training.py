"""Fault: the job cluster is killed in the middle of the nightly training and started again.
The job is handed out again after its retry interval and completes exactly once: one model
version, one artifact, no half-written file, nothing left in the queue."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Success
from django_q.tasks import async_task

from tests.recommendations.catalogue import make_catalogue, plant_engagement
from tiktok.models import ModelVersion

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
RETRY = 21


def start_cluster(env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the test kills the whole cluster
    )


def child_database_url() -> str:
    """The test database, for a child process (Django renamed it when it created it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 3306}/{db['NAME']}"


def wait_until(condition, seconds, message):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def test_training_killed_with_its_cluster_completes_once_after_a_restart(settings, tmp_path):
    _, _, _, by_cat = make_catalogue(per_category=1000, creators=100)
    plant_engagement(by_cat, viewers_per_category=150, per_viewer=20)
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "MODEL_ROOT": str(settings.MODEL_ROOT),
        "Q_CLUSTER_NAME": "long",
        "Q_LONG_TIMEOUT": str(RETRY - 1),
        "Q_LONG_RETRY": str(RETRY),
        "Q_LONG_WORKERS": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_URL", None)

    async_task("recommendations.tasks.train_recommender", q_options={"cluster": "long"})
    cluster = start_cluster(env)
    try:
        wait_until(lambda: OrmQ.objects.filter(lock__gt=timezone.now()).exists(), 60, "the cluster never took the job")
        time.sleep(0.5)
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
        # Killed mid-job: nothing finished, the task is still owed.
        assert not Success.objects.exists()
        assert not ModelVersion.objects.filter(kind="recommender").exists()
        assert OrmQ.objects.count() == 1

        cluster = start_cluster(env)
        wait_until(lambda: Success.objects.exists(), RETRY + 60, "the job did not complete after the restart")
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)

    assert Success.objects.filter(func="recommendations.tasks.train_recommender").count() == 1
    assert ModelVersion.objects.filter(kind="recommender").count() == 1
    assert ModelVersion.objects.get(kind="recommender").active
    artifacts = sorted(p.name for p in (Path(settings.MODEL_ROOT) / "recommender").iterdir())
    assert len(artifacts) == 1 and artifacts[0].endswith(".npz")
    assert OrmQ.objects.count() == 0

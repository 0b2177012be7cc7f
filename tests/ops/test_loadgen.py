"""The load generator of bench/load.sh, run for a few seconds against a live server: it signs its
viewers in, follows the schedule and prints its one-line result, and what it sends lands."""

import re
import subprocess
import sys

import pytest
from django.conf import settings

from tests.factories import make_user, ready_video
from videos.models import EngagementEvent

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RESULT = re.compile(
    r"^rps=(?P<rps>[\d.]+) p50_ms=[\d.]+ p99_ms=[\d.]+ errors=(?P<errors>\d+) throttled=(?P<throttled>\d+)$"
)


@pytest.mark.parametrize("extra", [[], ["--full-pages"]], ids=["as-the-page-sends", "full-pages"])
def test_the_load_generator_drives_signed_in_viewers(live_server, extra):
    creator = make_user("creator")
    for i in range(3):
        ready_video(creator, title=f"load clip {i}", media=False)
    for i in range(2):
        make_user(f"loadviewer{i}")
    run = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "bench" / "loadgen.py"), "--base", live_server.url]
        + ["--users", "2", "--prefix", "loadviewer", "--password", "a-Str0ng-pass!", "--seconds", "5", *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    result = RESULT.match(last)
    assert result, last
    assert float(result["rps"]) > 0
    assert (result["errors"], result["throttled"]) == ("0", "0"), run.stderr
    assert "signed in 2 viewers" in run.stderr
    assert EngagementEvent.objects.filter(user__username__startswith="loadviewer").exists()

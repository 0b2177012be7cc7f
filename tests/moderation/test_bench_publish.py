"""bench_publish on a tiny run: it sets up a fresh database, starts and stops its own job clusters,
puts a generated clip with speech through upload, transcoding and moderation, and prints its figures
as the last stdout line. (The real figure comes from the full 15-second 1080x1920 run: see
docs/performance.md; timing is never asserted here.)"""

import io
import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.slow
LAST_LINE = re.compile(r"^publish_s=(\d+\.\d\d) clip_s=2\.0 ffmpeg_s=(\d+\.\d\d) ratio=(\d+\.\d\d)$")


def test_bench_publish_prints_its_figures_as_the_last_line():
    out, err = io.StringIO(), io.StringIO()
    call_command("bench_publish", "--seconds", "2", "--small", stdout=out, stderr=err)
    last = out.getvalue().strip().splitlines()[-1]
    match = LAST_LINE.match(last)
    assert match, last
    publish_s, ffmpeg_s, ratio = (float(g) for g in match.groups())
    # The ratio is of the unrounded seconds: within what rounding each to 0.01 s allows.
    assert publish_s > 0 and ffmpeg_s > 0 and abs(ratio - publish_s / ffmpeg_s) <= 0.01 + ratio * 0.01 / ffmpeg_s
    # The run reached a final decision with both stages that read the upload.
    assert "state=approved" in err.getvalue() and "'speech'" in err.getvalue() and "'frames'" in err.getvalue()

"""bench_feed on a tiny world: the figures' lines in the documented form, and --reuse keeps the
built world for the next run instead of building it again."""

import os
import subprocess
import sys
from pathlib import Path

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def bench(tmp_path, *extra):
    args = ["--videos", "300", "--users", "40", "--interactions", "3000", "--requests", "3", "--reuse", *extra]
    env = {**os.environ, "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(MANAGE), "bench_feed", *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()


def test_a_reused_world_is_not_built_again(tmp_path):
    first = bench(tmp_path)
    assert first[0].startswith("build_s=") and "videos=300 " in first[0] and "reused" not in first[0]
    last = dict(part.split("=") for part in first[-1].split())
    assert set(last) == {"train_s", "train_peak_mb", "feed_p50_ms", "feed_p99_ms"}
    assert len(list((tmp_path / "bench").glob("*.sqlite3"))) == 1
    again = bench(tmp_path, "--learned-head", "50")
    assert again[0].startswith("build_s=") and again[0].endswith(" reused")
    assert float(again[0].split()[0].split("=")[1]) < float(first[0].split()[0].split("=")[1])

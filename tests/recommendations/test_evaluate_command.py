import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def write_dataset(folder: Path, *, timestamps: bool):
    """Viewers who each stick to one of six categories and walk through its items in order: a
    structure co-engagement can learn and popularity cannot."""
    rng = np.random.default_rng(3)
    n_items, n_cats = 240, 6
    cat_of = np.arange(n_items) % n_cats
    with open(folder / "items.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["item", "categories"])
        for i in range(n_items):
            w.writerow([f"i{i}", f"genre{cat_of[i]}|shared"])
    train, test = [], []
    for u in range(150):
        c = u % n_cats
        mine = np.nonzero(cat_of == c)[0]
        start = rng.integers(0, len(mine) - 12)
        walk = mine[start : start + rng.integers(5, 12)]
        for k, item in enumerate(walk):
            row = [
                f"u{u}",
                f"i{item}",
                int(rng.integers(1, 6)),
                1_600_000_000 + u * 1000 + k * 10 if timestamps else "",
            ]
            (test if k == len(walk) - 1 else train).append(row)
    with open(folder / "train.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user", "item", "value", "timestamp"])
        w.writerows(rng.permutation(np.array(train, dtype=object)).tolist() if timestamps else train)
    with open(folder / "test.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user", "item"])
        w.writerows([r[:2] for r in test])


@pytest.mark.parametrize("timestamps", [True, False])
def test_evaluation_runs_in_its_own_database_and_beats_popularity(tmp_path, timestamps):
    write_dataset(tmp_path, timestamps=timestamps)
    configured = Path(str(settings.DATABASES["default"]["NAME"]))
    before = configured.stat().st_mtime if configured.exists() else None
    out = (
        subprocess.run(
            [sys.executable, str(MANAGE), "evaluate_recommender", "--data", str(tmp_path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        .stdout.strip()
        .splitlines()
    )
    rows = {line.split()[0]: line for line in out[:-1]}
    assert {"popularity", "original", "platform", "live"} <= set(rows)
    assert out[-2].startswith("live ")  # the feed replay comes just before the last line
    last = dict(part.split("=") for part in out[-1].split())
    assert set(last) == {"hr@10", "ndcg@10"}
    popularity_ndcg = float(rows["popularity"].split("NDCG@10=")[1])
    assert float(last["ndcg@10"]) > popularity_ndcg + 0.1
    live = dict(part.split("=") for part in out[-2].split()[1:])
    assert set(live) == {"hr@10", "ndcg@10", "candidate_recall"}
    # Served through the feed (its candidates, cap per creator, exploration slots), the planted
    # structure still shows, and the held-out video is among most viewers' candidates.
    assert float(live["ndcg@10"]) > popularity_ndcg + 0.05
    assert 0.5 < float(live["candidate_recall"]) <= 1.0
    after = configured.stat().st_mtime if configured.exists() else None
    assert before == after


def test_evaluation_rejects_a_folder_without_the_layout(tmp_path):
    result = subprocess.run(
        [sys.executable, str(MANAGE), "evaluate_recommender", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "items.csv is missing" in result.stderr

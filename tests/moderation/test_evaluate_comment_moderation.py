"""evaluate_comment_moderation reads JSON Lines (gzip detected by content), treats a missing label as
unknown, prints a line per category and ends with any_auprc; bench prints its figures last."""

import gzip
import json
import re

import pytest
from django.core.management import CommandError, call_command

from moderation.classifier import CATEGORIES

pytestmark = pytest.mark.django_db

NONE = dict.fromkeys(CATEGORIES, 0)
ROWS = [
    {"prompt": "you are a disgusting worthless idiot, kill yourself", "HR": 1, "H": 0, "SH": 1},
    {"prompt": "what a great recipe, thanks for sharing", **NONE},
    {"prompt": "lovely colours in this one", **NONE},
    {"prompt": "all immigrants are rats and should be deported", "H": 1, "HR": 0},
    {"prompt": "no positive and unknown labels: left out of any", "HR": 0},
]


def _write(path, rows, gz):
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [True, False])
def test_it_prints_a_line_per_category_and_ends_with_any_auprc(tmp_path, capsys, gz):
    # The name says nothing about compression: the content decides.
    path = _write(tmp_path / "eval.data", ROWS, gz)
    call_command("evaluate_comment_moderation", "--data", str(path))
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines[:8]] == CATEGORIES
    assert re.fullmatch(r"H auprc=\d\.\d{3} positives=1", lines[1])
    assert lines[0] == "S auprc=n/a positives=0"
    assert re.fullmatch(r"any_auprc=\d\.\d{3}", lines[-1])


def test_a_broken_file_gets_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "fine"}\nnot json\n')
    with pytest.raises(CommandError, match="line 2"):
        call_command("evaluate_comment_moderation", "--data", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("evaluate_comment_moderation", "--data", str(tmp_path / "missing.jsonl"))


def test_bench_prints_throughput_and_single_latency_last(capsys):
    call_command("bench_comment_moderation", "--n", "40", "--single", "10")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"comments_per_s=\d+ p95_single_ms=\d+\.\d", last)

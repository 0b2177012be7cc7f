"""evaluate_comment_moderation reads JSON Lines (gzip detected by content), treats a missing label as
unknown, prints a line per category, local_languages, any_auprc_known and ends with any_auprc over
every row; --scores-out writes each row's scores and the decision a real comment would get; bench
prints its figures last."""

import gzip
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from sklearn.metrics import average_precision_score

from moderation import services
from moderation.classifier import CATEGORIES, SHIPPED_DIR
from tests.factories import make_user, ready_video
from videos.models import Comment

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


def _run(path, *extra):
    out = io.StringIO()
    call_command("evaluate_comment_moderation", "--data", str(path), *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()


def test_any_auprc_counts_every_row_with_a_missing_label_as_zero(tmp_path):
    # Row 5 has no positive and unknown labels: left out of any_auprc_known, a negative in any_auprc.
    path = _write(tmp_path / "eval.jsonl", ROWS, gz=False)
    scores_out = tmp_path / "scores.jsonl"
    lines = _run(path, "--scores-out", str(scores_out))
    assert re.fullmatch(r"local_languages=en(,[a-z]{2,3})*", lines[-3])
    written = [json.loads(line) for line in scores_out.read_text().splitlines()]
    highest = [max(w["scores"].values()) for w in written]
    truth = [int(any(r.get(c) == 1 for c in CATEGORIES)) for r in ROWS]
    assert lines[-1] == f"any_auprc={average_precision_score(truth, highest):.3f}"
    known = [i for i, r in enumerate(ROWS) if truth[i] or all(r.get(c) == 0 for c in CATEGORIES)]
    expected_known = average_precision_score([truth[i] for i in known], [highest[i] for i in known])
    assert lines[-2] == f"any_auprc_known={expected_known:.3f}"


def test_scores_out_holds_each_row_in_order_decided_as_a_real_comment(tmp_path):
    rows = [*ROWS, {"prompt": "شكرا على هذا الفيديو الجميل، استمتعت كثيرا", "H": 0}, {"prompt": "\u200b\u200b"}]
    path = _write(tmp_path / "eval.jsonl.gz", rows, gz=True)
    scores_out = tmp_path / "scores.jsonl"
    _run(path, "--scores-out", str(scores_out))
    written = [json.loads(line) for line in scores_out.read_text().splitlines()]
    assert [w["row"] for w in written] == list(range(len(rows)))
    assert all(sorted(w["scores"]) == sorted(CATEGORIES) for w in written)
    video = ready_video(make_user("maker"), title="Talk", media=False)
    for i, (row, w) in enumerate(zip(rows, written, strict=True)):
        comment = Comment.objects.create(video=video, author=make_user(f"c{i}"), text=row["prompt"], state="held")
        assert services.comment_screen(comment=comment) == w["decision"], row["prompt"]
    assert written[-2]["decision"] == "held" and written[-1]["decision"] == "held"  # Arabic; nothing readable


def test_a_file_without_positives_or_labels_prints_na_and_still_writes_scores(tmp_path):
    path = _write(tmp_path / "plain.jsonl", [{"prompt": "nice video"}, {"prompt": "great song", "H": 0}], gz=False)
    scores_out = tmp_path / "scores.jsonl"
    lines = _run(path, "--scores-out", str(scores_out))
    assert lines[:8] == [f"{c} auprc=n/a positives=0" for c in CATEGORIES]
    assert lines[-2:] == ["any_auprc_known=n/a", "any_auprc=n/a"]
    assert len(scores_out.read_text().splitlines()) == 2


def test_scores_out_into_a_missing_folder_is_a_one_line_error(tmp_path):
    path = _write(tmp_path / "plain.jsonl", [{"prompt": "nice video"}], gz=False)
    with pytest.raises(CommandError, match="no folder"):
        call_command("evaluate_comment_moderation", "--data", str(path), "--scores-out", str(tmp_path / "x" / "s"))


def test_bench_compares_another_artifact_in_the_same_run(capsys):
    call_command("bench_comment_moderation", "--n", "20", "--single", "5", "--compare", str(SHIPPED_DIR))
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"version=\S+ comments_per_s=\d+ p95_single_ms=\d+\.\d", lines[0])
    assert re.fullmatch(r"version=\S+ comments_per_s=\d+ p95_single_ms=\d+\.\d", lines[1])
    assert re.fullmatch(r"comments_per_s=\d+ p95_single_ms=\d+\.\d", lines[-1])

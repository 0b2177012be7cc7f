"""The written training examples: the committed rows are exactly what the data file builds, every
set of examples states its labels from the taxonomy, and a bad data file is refused without touching the
rows."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from moderation.classifier import CATEGORIES

TRAINING = Path(__file__).resolve().parents[2] / "moderation" / "training"
DATA = TRAINING / "written_examples.yaml"
ROWS = TRAINING / "written.jsonl"
TAXONOMY = {"S", "H", "V", "HR", "SH", "S3", "H2", "V2", "OK"}


def test_the_committed_rows_are_what_the_data_file_builds(tmp_path, capsys):
    out = tmp_path / "written.jsonl"
    call_command("build_written_examples", "--output", str(out))
    assert out.read_bytes() == ROWS.read_bytes()
    assert capsys.readouterr().out.startswith(f"rows={len(ROWS.read_text().splitlines())} ")


def test_every_set_names_its_labels_from_the_taxonomy():
    assert TAXONOMY == {*CATEGORIES, "OK"}
    sets = yaml.safe_load(DATA.read_text(encoding="utf-8"))["sets"]
    assert len(sets) >= 13
    for one in sets:
        assert one["labels"], one["name"]
        label_sets = [one["labels"]] + [t["labels"] for t in one["texts"] if isinstance(t, dict)]
        for labels in label_sets:
            assert labels and set(labels) <= TAXONOMY, (one["name"], labels)
            assert "OK" not in labels or labels == ["OK"], (one["name"], labels)


@pytest.mark.parametrize(
    "edit, message",
    [
        ("labels: [S]\n", "labels: [S, X]\n"),
        ("labels: [S]\n", "labels: []\n"),
        ("labels: [S]\n", "labels: [S, OK]\n"),
        ("    labels: [S]\n", ""),
    ],
    ids=["unknown label", "empty labels", "OK combined", "no labels"],
)
def test_a_bad_data_file_is_refused_and_the_rows_are_left_as_they_were(tmp_path, edit, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DATA.read_text(encoding="utf-8").replace(edit, message, 1), encoding="utf-8")
    out = tmp_path / "written.jsonl"
    out.write_text("previous rows\n")
    with pytest.raises(CommandError, match="set S"):
        call_command("build_written_examples", "--source", str(bad), "--output", str(out))
    assert out.read_text() == "previous rows\n"
    assert [p.name for p in tmp_path.iterdir() if "written" in p.name] == ["written.jsonl"]

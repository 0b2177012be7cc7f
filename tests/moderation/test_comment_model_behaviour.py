"""The shipped comment model on the cases the first round got wrong, decided the way a real comment
is (`services.texts_screen`: language, model, the migrated policy rows). The functional checks in
data/functional_checks.jsonl were written apart from the training families (none of their sentences
or templates is in written_examples.yaml) and are never used for training or thresholds."""

import json
from pathlib import Path

import pytest

from moderation import services
from moderation.models import ModerationPolicy

pytestmark = pytest.mark.django_db
CHECKS = Path(__file__).parent / "data" / "functional_checks.jsonl"
# The share of each kind that must be decided as expected (the bars where it sets one).
BARS = {
    "negated_or_counter": 0.75,
    "hateful": 0.75,
    "slur_spelling": 0.75,
    "threats": 0.75,
    "safe_violent": 0.95,
    "everyday_titles": 0.95,
}


def _decide(texts):
    verdicts = services.texts_screen(texts=texts, scope=ModerationPolicy.Scope.COMMENTS, alone=True)
    return [services.STATE_FOR_OUTCOME[v.outcome] for v in verdicts]


MISSED = "the shipped model misses this (docs/comment-moderation.md, Known weaknesses); a better model turns it green"


@pytest.mark.xfail(strict=True, reason=MISSED)
def test_negation_and_counter_speech_are_published_and_plain_hate_and_spaced_slurs_are_not():
    published = ["I don't hate trans people", "Calling refugees vermin is vile, they are people like us"]
    stopped = ["I hate women.", "shut up you f a g g o t"]
    decisions = _decide(published + stopped)
    assert decisions[:2] == ["published", "published"], decisions
    assert "published" not in decisions[2:], decisions


@pytest.mark.xfail(strict=True, reason=MISSED)
def test_the_functional_checks_reach_their_bars(capsys):
    rows = [json.loads(line) for line in CHECKS.read_text().splitlines() if line.strip()]
    decisions = _decide([r["prompt"] for r in rows])
    shares, misses = {}, []
    for kind in BARS:
        mine = [(r, d) for r, d in zip(rows, decisions, strict=True) if r["kind"] == kind]
        right = [(d == "published") == (r["expect"] == "published") for r, d in mine]
        shares[kind] = sum(right) / len(right)
        misses += [f"{kind}: {r['prompt']!r} -> {d}" for (r, d), ok in zip(mine, right, strict=True) if not ok]
    with capsys.disabled():
        print("\n" + " ".join(f"{k}={v:.2f}" for k, v in shares.items()))
    assert all(shares[k] >= bar for k, bar in BARS.items()), (shares, misses)

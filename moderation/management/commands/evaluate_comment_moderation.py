"""Decide every row of a labelled JSON Lines file exactly as a comment with that text would be decided
(language handling, policy rows, Gemini when configured) and print AUPRC per category."""

import json
import sys
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from moderation import classifier, languages, services
from moderation.models import ModerationPolicy
from moderation.training import trainer

BATCH = 1024  # rows decided per call: one read of the policy rows and one language pass per batch


class Command(BaseCommand):
    help = (
        "Evaluate the text decision on a JSON Lines file (gzipped or not): "
        '{"prompt": "...", "S": 0, "H": 1, ...}; a missing label key means unknown. Prints one line per '
        "category (n/a without positives or labels), local_languages=..., any_auprc_known=<rows whose "
        "'any' is known> and, last, any_auprc=<every row, a missing label counted as 0>."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True, help="JSON Lines file, optionally gzipped")
        parser.add_argument(
            "--scores-out", type=Path, default=None, help='write {"row", "scores", "decision"} per input row here'
        )
        parser.add_argument("--artifact", type=Path, default=None, help="score with this artifact folder's heads")
        parser.add_argument(
            "--batched",
            action="store_true",
            help="run the encoder over many rows at once: faster, but int8 activation scales then depend on "
            "the batch, so scores differ slightly from a comment's (default: each row alone, as a comment)",
        )
        parser.add_argument(
            "--scope",
            choices=[s.value for s in ModerationPolicy.Scope],
            default=ModerationPolicy.Scope.COMMENTS,
            help="whose policy rows decide (default: comments)",
        )

    def handle(self, *args, **opts):
        try:
            rows = trainer.read_jsonl(opts["data"])
        except trainer.DataError as exc:
            raise CommandError(str(exc)) from exc
        if not rows:
            raise CommandError(f"{opts['data']} holds no rows")
        if opts["scores_out"] is not None and not opts["scores_out"].parent.is_dir():
            raise CommandError(f"cannot write {opts['scores_out']}: no folder {opts['scores_out'].parent}")
        try:
            heads = classifier.Heads.load(opts["artifact"]) if opts["artifact"] else None
            services.text_models_warm()
        except classifier.ClassifierUnavailable as exc:
            raise CommandError(str(exc)) from exc
        verdicts = []
        for start in range(0, len(rows), BATCH):
            texts = [r["prompt"] for r in rows[start : start + BATCH]]
            verdicts += services.texts_screen(texts=texts, scope=opts["scope"], heads=heads, alone=not opts["batched"])
            self.stderr.write(f"decided {len(verdicts)}/{len(rows)}")
        if not any(v.version for v in verdicts):
            raise CommandError("the comment classifier could not run (see the log above)")
        probs = np.array([[v.scores.get(c, 0.0) for c in classifier.CATEGORIES] for v in verdicts], dtype=np.float32)
        if opts["scores_out"] is not None:
            self._write_scores(opts["scores_out"], verdicts)
        result = trainer.metrics(probs, rows)
        self.stderr.write(f"model {verdicts[0].version or (heads.version if heads else '?')}, {len(rows)} rows")
        for c in classifier.CATEGORIES:
            m = result["categories"][c]
            self.stdout.write(f"{c} auprc={_fmt(m['auprc'])} positives={m['positives']}")
        decided = {}
        for v in verdicts:
            decided[services.STATE_FOR_OUTCOME[v.outcome]] = decided.get(services.STATE_FOR_OUTCOME[v.outcome], 0) + 1
        self.stderr.write("decisions: " + " ".join(f"{k}={n}" for k, n in sorted(decided.items())))
        self.stdout.write(f"local_languages={','.join([languages.ENGLISH, *languages.local_languages()])}")
        self.stdout.write(f"any_auprc_known={_fmt(result['any_auprc'])}")
        self.stdout.write(f"any_auprc={_fmt(any_auprc_all_rows(probs, rows))}")

    def _write_scores(self, path: Path, verdicts) -> None:
        try:
            with path.open("w", encoding="utf-8") as handle:
                for i, v in enumerate(verdicts):
                    scores = {c: round(float(v.scores.get(c, 0.0)), 6) for c in classifier.CATEGORIES}
                    decision = services.STATE_FOR_OUTCOME[v.outcome]
                    handle.write(json.dumps({"row": i, "scores": scores, "decision": decision}) + "\n")
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from exc
        print(f"wrote {len(verdicts)} rows to {path}", file=sys.stderr)


def any_auprc_all_rows(probs: np.ndarray, rows: list[dict]) -> float | None:
    """The published convention: every row counts, positive when any label is 1 (a missing label
    counts as 0), scored by the highest of the eight probabilities."""
    from sklearn.metrics import average_precision_score  # noqa: PLC0415  (~1 s to import; evaluation only)

    y = np.array([any(r.get(c) == 1 for c in classifier.CATEGORIES) for r in rows])
    if not y.any() or y.all():
        return None
    return float(average_precision_score(y, probs.max(axis=1)))


def _fmt(value):
    return "n/a" if value is None else f"{value:.3f}"

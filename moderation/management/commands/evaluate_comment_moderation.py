"""Score a labelled JSON Lines file with the comment classifier in use and print AUPRC per category."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation import classifier
from moderation.training import trainer


class Command(BaseCommand):
    help = (
        "Evaluate the active comment classifier on a JSON Lines file (gzipped or not): "
        '{"prompt": "...", "S": 0, "H": 1, ...}; a missing label key means unknown. '
        "Prints one line per category and ends with any_auprc=<value>."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True, help="JSON Lines file, optionally gzipped")
        parser.add_argument("--artifact", type=Path, default=None, help="evaluate this artifact folder instead")

    def handle(self, *args, **opts):
        try:
            rows = trainer.read_jsonl(opts["data"])
        except trainer.DataError as exc:
            raise CommandError(str(exc)) from exc
        if not rows:
            raise CommandError(f"{opts['data']} holds no rows")
        try:
            heads = classifier.Heads.load(opts["artifact"]) if opts["artifact"] else classifier.active_heads()
            probs = classifier.score_with(heads, [r["prompt"] for r in rows])
        except classifier.ClassifierUnavailable as exc:
            raise CommandError(str(exc)) from exc
        result = trainer.metrics(probs, rows)
        self.stderr.write(f"model {heads.version}, {len(rows)} rows")
        for c in classifier.CATEGORIES:
            m = result["categories"][c]
            auprc = "n/a" if m["auprc"] is None else f"{m['auprc']:.3f}"
            self.stdout.write(f"{c} auprc={auprc} positives={m['positives']}")
        any_auprc = "n/a" if result["any_auprc"] is None else f"{result['any_auprc']:.3f}"
        self.stdout.write(f"any_auprc={any_auprc}")

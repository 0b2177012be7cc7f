"""Train the comment classifier's heads from the shipped data and moderators' decisions."""

import json
import logging
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation import services
from moderation.training import trainer

log = logging.getLogger("moderation.training")


class Command(BaseCommand):
    help = (
        "Train, calibrate and register a comment classifier version under MODEL_ROOT; it becomes active "
        "only if it is not worse than the active one on the fixed held-out split."
    )

    def add_arguments(self, parser):
        parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength of the heads")
        parser.add_argument("--limit", type=int, default=None, help="use only the first N train/validation rows")
        parser.add_argument("--heldout-limit", type=int, default=None, help="compare on the first N held-out rows")
        parser.add_argument("--no-human", action="store_true", help="leave moderators' decisions out")
        parser.add_argument("--label", default=None, help="version label (default: cc-<timestamp>)")
        parser.add_argument(
            "--ship", type=Path, default=None, help="write the artifact to this folder instead of registering it"
        )

    def handle(self, *args, **opts):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        for name in ("moderation.training", "moderation.training.trainer"):
            logging.getLogger(name).addHandler(handler)
            logging.getLogger(name).setLevel(logging.INFO)
        if opts["C"] <= 0:
            raise CommandError("--C must be positive")
        try:
            run = trainer.train_candidate(
                limit=opts["limit"],
                heldout_limit=opts["heldout_limit"],
                C=opts["C"],
                include_human=not opts["no_human"],
                version=opts["label"],
            )
        except trainer.DataError as exc:
            raise CommandError(str(exc)) from exc
        candidate, current = run["heldout"], run["active"]
        log.info(
            "held-out any_auprc: candidate %s=%s, active %s=%s",
            run["heads"].version,
            _fmt(candidate["any_auprc"]),
            current["version"] if current else "none",
            _fmt(current["any_auprc"]) if current else "n/a",
        )
        if opts["ship"]:
            run["heads"].meta.update(validation=run["validation"], heldout=candidate, counts=run["counts"])
            run["heads"].save(opts["ship"])
            self.stdout.write(f"shipped={run['heads'].version} any_auprc={_fmt(candidate['any_auprc'])}")
            self.stdout.write(json.dumps(run["thresholds"]))
            return
        model_version, activated = services.comment_model_register(run=run)
        active_any = _fmt(current["any_auprc"]) if current else "n/a"
        self.stdout.write(
            f"version={model_version.version} activated={'yes' if activated else 'no'} "
            f"any_auprc={_fmt(candidate['any_auprc'])} active_any_auprc={active_any}"
        )


def _fmt(value):
    return "n/a" if value is None else f"{value:.3f}"

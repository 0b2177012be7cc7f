"""Train the comment classifier's heads from the shipped data and moderators' decisions."""

import json
import logging
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from moderation import services
from moderation.training import finetune, trainer

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
        ft = parser.add_argument_group("fine-tuning the encoder (--fine-tune)")
        ft.add_argument("--fine-tune", action="store_true", help="train a low-rank adapter for the encoder first")
        ft.add_argument("--resume", action="store_true", help="carry on from the last checkpoint in --work-dir")
        ft.add_argument("--work-dir", type=Path, default=None, help="checkpoints (default: MODEL_ROOT/cache/fine-tune)")
        ft.add_argument("--rows", type=int, default=None, help="fine-tune on at most N training rows")
        ft.add_argument("--epochs", type=float, default=1.0)
        ft.add_argument("--max-length", type=int, default=64, help="tokens per row while fine-tuning")
        ft.add_argument("--rank", type=int, default=16, help="rank of the adapter")
        ft.add_argument("--layers", type=int, default=3, help="adapt the top N transformer blocks")
        ft.add_argument("--batch-size", type=int, default=32)
        ft.add_argument("--lr", type=float, default=1e-3)
        ft.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core machine)")
        ft.add_argument("--minutes", type=float, default=None, help="stop training after this many minutes")
        ft.add_argument("--checkpoint-minutes", type=float, default=10.0)

    def handle(self, *args, **opts):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        for name in ("moderation.training", "moderation.training.trainer", "moderation.training.finetune"):
            logging.getLogger(name).addHandler(handler)
            logging.getLogger(name).setLevel(logging.INFO)
        if opts["C"] <= 0:
            raise CommandError("--C must be positive")
        common = {
            "limit": opts["limit"],
            "heldout_limit": opts["heldout_limit"],
            "C": opts["C"],
            "include_human": not opts["no_human"],
            "version": opts["label"],
        }
        try:
            if opts["fine_tune"]:
                run = trainer.fine_tune_candidate(
                    config=self._config(opts),
                    work_dir=opts["work_dir"] or Path(settings.MODEL_ROOT) / "cache" / "fine-tune",
                    rows=opts["rows"],
                    resume=opts["resume"],
                    **common,
                )
            else:
                run = trainer.train_candidate(**common)
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

    @staticmethod
    def _config(opts):
        for name in ("epochs", "max_length", "rank", "layers", "batch_size", "lr", "threads", "checkpoint_minutes"):
            if opts[name] <= 0:
                raise CommandError(f"--{name.replace('_', '-')} must be positive")
        if opts["rows"] is not None and opts["rows"] < 10:
            raise CommandError("--rows must be at least 10")
        if opts["layers"] > 6:
            raise CommandError("--layers: the encoder has 6 blocks")
        return finetune.FineTuneConfig(
            rank=opts["rank"],
            alpha=2.0 * opts["rank"],
            max_length=opts["max_length"],
            batch_size=opts["batch_size"],
            epochs=opts["epochs"],
            lr=opts["lr"],
            layers=opts["layers"],
            threads=opts["threads"],
            checkpoint_minutes=opts["checkpoint_minutes"],
            minutes=opts["minutes"],
            warmup_steps=min(100, max(1, int(opts["rows"] or 1000) // opts["batch_size"] // 10)),
        )


def _fmt(value):
    return "n/a" if value is None else f"{value:.3f}"

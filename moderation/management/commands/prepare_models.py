"""Prepare the offline models before the first request needs them: merge the comment artifact's
encoder adapter into the installed all-MiniLM-L6-v2 and export the result to ONNX (int8), and
assemble the Whisper model from its packages, all under MODEL_ROOT."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation import classifier, speech


class Command(BaseCommand):
    help = "Build the model caches under MODEL_ROOT (idempotent), so no request waits for them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--artifact", type=Path, default=None, help="a comment artifact folder (default: the one in use)"
        )
        parser.add_argument("--comment-only", action="store_true", help="leave the speech model out")

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            heads = classifier.Heads.load(options["artifact"]) if options["artifact"] else classifier.active_heads()
            encoder = classifier.get_encoder(heads.adapter)
            scores = classifier.score_with(heads, ["warming up the comment classifier"], encoder)[0]
        except classifier.ClassifierUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"comment classifier ready ({heads.version}), {len(scores)} categories, encoder {encoder.path}"
        )
        if not options["comment_only"]:
            whisper = speech.model_dir()
            self.stderr.write(f"speech model ready at {whisper}")
        self.stdout.write(f"models_ready=1 seconds={time.monotonic() - started:.1f}")

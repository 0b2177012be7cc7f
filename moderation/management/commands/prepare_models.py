"""Prepare the offline models before the first request needs them: export the comment encoder
to ONNX (int8) and assemble the Whisper model from its packages, both under MODEL_ROOT."""

import time

from django.core.management.base import BaseCommand

from moderation import classifier, speech


class Command(BaseCommand):
    help = "Build the model caches under MODEL_ROOT (idempotent), so no request waits for them."

    def handle(self, *args, **options):
        started = time.monotonic()
        classifier.get_encoder()
        scores = classifier.score_texts(["warming up the comment classifier"])[0]
        self.stderr.write(f"comment classifier ready ({classifier.active_version()}), {len(scores)} categories")
        whisper = speech.model_dir()
        self.stderr.write(f"speech model ready at {whisper}")
        self.stdout.write(f"models_ready=1 seconds={time.monotonic() - started:.1f}")

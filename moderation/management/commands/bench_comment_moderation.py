"""Throughput of the comment classifier: texts from the held-out split, batched and one at a time."""

import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from moderation import classifier
from moderation.training import trainer


class Command(BaseCommand):
    help = (
        "Score N held-out texts as they are, batched and then one at a time; prints "
        "comments_per_s=<batched> p95_single_ms=<one at a time> last."
    )

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=2000, help="number of texts (the held-out split repeats if short)")
        parser.add_argument("--single", type=int, default=None, help="texts scored one at a time (default: N)")

    def handle(self, *args, **opts):
        n = opts["n"]
        if n < 1:
            raise CommandError("--n must be at least 1")
        rows = trainer.load_split("heldout")
        texts = [rows[i % len(rows)]["prompt"] for i in range(n)]
        heads = classifier.active_heads()
        encoder = classifier.get_encoder()
        classifier.score_with(heads, texts[:32], encoder)  # warm-up: first calls allocate
        started = time.perf_counter()
        classifier.score_with(heads, texts, encoder)
        batched = n / (time.perf_counter() - started)
        single = []
        for text in texts[: opts["single"] or n]:
            started = time.perf_counter()
            classifier.score_with(heads, [text], encoder)
            single.append((time.perf_counter() - started) * 1000)
        p95 = float(np.percentile(single, 95))
        self.stderr.write(
            f"model {heads.version}, encoder {encoder.name} ({encoder.backend}), "
            f"median single {np.median(single):.1f} ms over {len(single)} texts"
        )
        self.stdout.write(f"comments_per_s={batched:.0f} p95_single_ms={p95:.1f}")

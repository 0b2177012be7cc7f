"""Throughput of the whole text decision (language detection, the classifier, the multilingual model,
the policy rows) on held-out texts, batched and one at a time."""

import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from moderation import classifier, services
from moderation.models import ModerationPolicy
from moderation.training import trainer


class Command(BaseCommand):
    help = (
        "Decide N held-out texts as comments, batched and then one at a time; prints "
        "comments_per_s=<batched> p95_single_ms=<one at a time> last. --compare DIR benches another "
        "artifact's heads first, in the same run, on the same texts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=2000, help="number of texts (the held-out split repeats if short)")
        parser.add_argument("--single", type=int, default=None, help="texts decided one at a time (default: N)")
        parser.add_argument(
            "--compare", type=Path, action="append", default=[], help="an artifact folder to bench first (repeatable)"
        )

    def handle(self, *args, **opts):
        n = opts["n"]
        if n < 1:
            raise CommandError("--n must be at least 1")
        rows = trainer.load_split("heldout")
        texts = [rows[i % len(rows)]["prompt"] for i in range(n)]
        single = texts[: opts["single"] or n]
        try:
            others = [classifier.Heads.load(path) for path in opts["compare"]]
            services.text_models_warm()
        except classifier.ClassifierUnavailable as exc:
            raise CommandError(str(exc)) from exc
        for heads in others:
            batched, p95 = self._bench(texts, single, heads)
            self.stdout.write(f"version={heads.version} comments_per_s={batched:.0f} p95_single_ms={p95:.1f}")
        batched, p95 = self._bench(texts, single, None)
        if others:
            version = classifier.active_version()
            self.stdout.write(f"version={version} comments_per_s={batched:.0f} p95_single_ms={p95:.1f}")
        self.stdout.write(f"comments_per_s={batched:.0f} p95_single_ms={p95:.1f}")

    def _bench(self, texts: list[str], single: list[str], heads) -> tuple[float, float]:
        scope = ModerationPolicy.Scope.COMMENTS
        services.texts_screen(texts=texts[:32], scope=scope, heads=heads)  # first calls allocate
        started = time.perf_counter()
        verdicts = services.texts_screen(texts=texts, scope=scope, heads=heads)
        batched = len(texts) / (time.perf_counter() - started)
        if not any(v.version for v in verdicts):
            raise CommandError("the comment classifier could not run (see the log above)")
        times = []
        for text in single:
            started = time.perf_counter()
            services.texts_screen(texts=[text], scope=scope, heads=heads)
            times.append((time.perf_counter() - started) * 1000)
        encoder = classifier.get_encoder()
        self.stderr.write(
            f"model {verdicts[0].version}, encoder {encoder.name} ({encoder.backend}): {batched:.0f} texts/s batched, "
            f"single median {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms over {len(times)} texts"
        )
        return batched, float(np.percentile(times, 95))

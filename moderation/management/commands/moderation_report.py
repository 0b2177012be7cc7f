"""Counts of moderation decisions over the last N days: by outcome, item type, category and provider,
the human-override rate, and the outcomes of appeals."""

from collections import Counter, defaultdict
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from moderation.models import CATEGORIES, ModerationDecision

# Rows about an account's standing or about reports are not verdicts on content.
NOT_VERDICTS = {"strike", "suspend", "ban", "reinstate", "hide", "reports", "appeal"}


class Command(BaseCommand):
    help = (
        "Summarise moderation over the last N days: decisions by outcome, item type, category (automatic "
        "decisions at or above the review threshold) and provider, the human-override rate (items decided "
        "automatically whose outcome a person changed), and appeals filed / accepted / upheld / pending."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, **options):
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.")
        since = timezone.now() - timedelta(days=days)
        rows = list(
            ModerationDecision.objects.filter(created_at__gte=since)
            .select_related("content_type")
            .order_by("created_at", "id")
        )
        out = self.stdout.write
        out(f"moderation report: last {days} day(s), since {since:%Y-%m-%d %H:%M} UTC")
        sources = Counter(d.source for d in rows)
        out(f"decisions: total={len(rows)} auto={sources['auto']} human={sources['human']}")
        verdicts = [d for d in rows if d.action not in NOT_VERDICTS]
        outcomes = Counter(d.outcome for d in verdicts)
        out("by outcome: " + " ".join(f"{o}={outcomes[o]}" for o in ("approved", "review", "rejected")))
        items = Counter(d.content_type.model for d in verdicts)
        out("by item: " + (" ".join(f"{k}={v}" for k, v in sorted(items.items())) or "none"))
        flagged = Counter()
        for d in verdicts:
            if d.source != "auto":
                continue
            for code in CATEGORIES:
                review_at = (d.thresholds.get(code) or {}).get("review")
                if review_at is not None and d.scores.get(code, 0.0) >= review_at:
                    flagged[code] += 1
        out("by category: " + " ".join(f"{c}={flagged[c]}" for c in CATEGORIES))
        providers = Counter()
        for d in verdicts:
            if d.source == "human":
                providers["human"] += 1
                continue
            names = [k for k in d.model_versions if d.model_versions[k]] or ["rules"]
            gemini = (d.stages or {}).get("gemini", {})
            if isinstance(gemini, dict) and gemini.get("status") == "failed":
                names.append("gemini(failed)")
            for name in names:
                providers[name] += 1
        out("by provider: " + (" ".join(f"{k}={v}" for k, v in sorted(providers.items())) or "none"))

        history = defaultdict(list)
        for d in verdicts:
            history[(d.content_type_id, d.object_id)].append(d)
        decided_auto, overridden = 0, 0
        for decisions in history.values():
            last_auto = None
            changed = False
            for d in decisions:
                if d.source == "auto":
                    last_auto = d
                elif last_auto is not None and d.outcome != last_auto.outcome:
                    changed = True
            if last_auto is not None:
                decided_auto += 1
                overridden += changed
        rate = overridden / decided_auto if decided_auto else 0.0
        out(f"human override rate: {rate:.3f} ({overridden} of {decided_auto} automatically decided items)")

        appeals = Counter()
        by_item = defaultdict(list)
        for d in rows:
            by_item[(d.content_type_id, d.object_id)].append(d)
        for decisions in by_item.values():
            for i, d in enumerate(decisions):
                if d.action != "appeal":
                    continue
                appeals["filed"] += 1
                answer = next((a for a in decisions[i + 1 :] if a.source == "human" and a.action == ""), None)
                if answer is None:
                    appeals["pending"] += 1
                elif answer.outcome == "approved":
                    appeals["accepted"] += 1
                elif answer.outcome == "rejected":
                    appeals["upheld"] += 1
                else:
                    appeals["pending"] += 1
        out("appeals: " + " ".join(f"{k}={appeals[k]}" for k in ("filed", "accepted", "upheld", "pending")))

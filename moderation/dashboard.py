"""The operators' dashboard in the admin: daily activity, moderation and the job queue, drawn
server-side as SVG so it needs no script and no chart library."""

import datetime as dt
from collections import Counter

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.template.response import TemplateResponse
from django.utils import timezone
from django_q.models import Failure, OrmQ, Success

from moderation.models import CATEGORIES, ModerationDecision
from videos.models import Comment, EngagementEvent, Like, Video

DAYS = 14


def _daily(queryset, field: str, days: list[dt.date], value=None) -> list[float]:
    rows = (
        queryset.filter(**{f"{field}__date__gte": days[0]})
        .annotate(day=TruncDate(field))
        .values("day")
        .annotate(v=value or Count("pk"))
        .values_list("day", "v")
    )
    by_day = {day: float(v or 0) for day, v in rows}
    return [by_day.get(day, 0.0) for day in days]


def _svg_bars(values: list[float], labels: list[str], width=560, height=140) -> dict:
    top = max(values) if values and max(values) > 0 else 1.0
    step = width / max(len(values), 1)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = (value / top) * (height - 20)
        bars.append(
            {
                "x": round(i * step + 2, 1),
                "y": round(height - h, 1),
                "w": round(step - 4, 1),
                "h": round(h, 1),
                "value": round(value, 1),
                "label": label,
            }
        )
    # Dates under the first, middle and last bars.
    ticks = [
        {"x": bars[i]["x"] + (bars[i]["w"] if anchor == "end" else bars[i]["w"] / 2 if anchor == "middle" else 0),
         "label": labels[i], "anchor": anchor}
        for i, anchor in ((0, "start"), (len(bars) // 2, "middle"), (len(bars) - 1, "end"))
    ] if bars else []  # fmt: skip
    return {"width": width, "height": height, "full_height": height + 12, "bars": bars, "ticks": ticks, "max": top}


# A moderator's verdict on an item, and the automatic decisions it can override: the staged
# text's decision for an edit, the item's own screening otherwise. Reports hiding an item, strikes,
# sanctions, appeals (the creator's) and demo seeding ("seed") are not verdicts on an automatic outcome.
VERDICT_ACTIONS = ("", "edit", "reports")
AUTO_ACTIONS_FOR = {"": ("", "screen"), "reports": ("", "screen"), "edit": ("edit",)}


def _overrides(decisions) -> dict:
    """How often moderators changed an automatic outcome, and the appeals apart: a moderator's
    verdict on an appealed video answers the appeal and is counted there, not as an override."""
    verdicts = list(
        decisions.filter(source="human", action__in=VERDICT_ACTIONS, actor__is_staff=True).values_list(
            "id", "content_type_id", "object_id", "action", "outcome", "created_at"
        )
    )
    appeals_made = decisions.filter(source="human", action="appeal").count()
    history: dict[tuple[int, int], list] = {}
    if verdicts:
        rows = ModerationDecision.objects.filter(
            content_type_id__in={v[1] for v in verdicts}, object_id__in={v[2] for v in verdicts}
        ).values_list("id", "content_type_id", "object_id", "source", "action", "outcome", "created_at")
        for row in rows:
            history.setdefault((row[1], row[2]), []).append(row)
    reviewed = overrides = accepted = refused = 0
    for pk, ct, oid, action, outcome, created in verdicts:
        earlier = sorted(
            (r for r in history.get((ct, oid), []) if (r[6], r[0]) < (created, pk)), key=lambda r: (r[6], r[0])
        )
        autos = [r for r in earlier if r[3] == "auto" and r[4] in AUTO_ACTIONS_FOR[action]]
        if not autos:
            continue  # nothing automatic to change (a decision made before any screening)
        last_auto = autos[-1]
        if action == "" and any(r[4] == "appeal" and (r[6], r[0]) > (last_auto[6], last_auto[0]) for r in earlier):
            accepted += outcome == "approved"
            refused += outcome != "approved"
            continue
        reviewed += 1
        overrides += last_auto[5] != outcome
    return {
        "reviewed": reviewed,
        "overrides": overrides,
        "appeals": {"made": appeals_made, "accepted": accepted, "refused": refused},
    }


def moderation_figures(since: dt.datetime) -> dict:
    decisions = ModerationDecision.objects.filter(created_at__gte=since)
    by_category: Counter[str] = Counter()
    for scores in decisions.exclude(outcome="approved").values_list("scores", flat=True).iterator():
        flagged = [c for c in CATEGORIES if isinstance(scores, dict) and (scores.get(c) or 0) >= 0.5]
        for category in flagged or ["(none scored)"]:
            by_category[category] += 1
    auto = decisions.filter(source="auto", action__in=("", "screen", "edit")).count()
    figures = _overrides(decisions)
    return {
        "by_outcome": dict(decisions.values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n")),
        "by_category": sorted(by_category.items(), key=lambda kv: -kv[1]),
        "auto": auto,
        "human": decisions.filter(source="human", action__in=VERDICT_ACTIONS, actor__is_staff=True).count(),
        **figures,
        "override_rate": round(figures["overrides"] / auto, 3) if auto else 0.0,
    }


def dashboard_view(request, admin_site):
    today = timezone.localdate()
    days = [today - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    labels = [d.strftime("%d %b") for d in days]
    series = {
        "Uploads": _daily(Video.objects.all(), "created_at", days),
        "Views": _daily(EngagementEvent.objects.filter(kind="play"), "created_at", days),
        "Watch time (minutes)": [
            v / 60
            for v in _daily(EngagementEvent.objects.filter(kind="watch"), "created_at", days, Sum("watch_seconds"))
        ],
        "Likes": _daily(Like.objects.all(), "created_at", days),
        "Comments": _daily(Comment.objects.all(), "created_at", days),
    }
    since = timezone.now() - dt.timedelta(days=DAYS)
    day_ago = timezone.now() - dt.timedelta(days=1)
    context = {
        **admin_site.each_context(request),
        "title": "Dashboard",
        "charts": [(name, _svg_bars(values, labels), round(sum(values), 1)) for name, values in series.items()],
        "moderation": moderation_figures(since),
        "queue": {
            "depth": OrmQ.objects.count(),
            "failures_24h": Failure.objects.filter(stopped__gte=day_ago).count(),
            "successes_24h": Success.objects.filter(stopped__gte=day_ago).count(),
            "recent_failures": list(Failure.objects.order_by("-stopped").values("name", "func", "stopped")[:10]),
        },
        "days": DAYS,
    }
    return TemplateResponse(request, "admin/dashboard.html", context)

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


def moderation_figures(since: dt.datetime) -> dict:
    decisions = ModerationDecision.objects.filter(created_at__gte=since)
    by_category: Counter[str] = Counter()
    for scores in decisions.exclude(outcome="approved").values_list("scores", flat=True).iterator():
        flagged = [c for c in CATEGORIES if isinstance(scores, dict) and (scores.get(c) or 0) >= 0.5]
        for category in flagged or ["(none scored)"]:
            by_category[category] += 1
    human = list(decisions.filter(source="human").values_list("content_type_id", "object_id", "outcome", "created_at"))
    overrides = 0
    for ct, oid, outcome, created in human:
        previous = (
            ModerationDecision.objects.filter(content_type_id=ct, object_id=oid, created_at__lt=created, source="auto")
            .order_by("-created_at")
            .values_list("outcome", flat=True)
            .first()
        )
        if previous is not None and previous != outcome:
            overrides += 1
    auto = decisions.filter(source="auto").count()
    return {
        "by_outcome": dict(decisions.values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n")),
        "by_category": sorted(by_category.items(), key=lambda kv: -kv[1]),
        "auto": auto,
        "human": len(human),
        "overrides": overrides,
        "override_rate": round(overrides / auto, 3) if auto else 0.0,
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

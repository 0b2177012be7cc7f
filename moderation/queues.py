"""What waits for a moderator: one definition per queue, read by the queues' default filters and by
the counts on the admin's index page and in its navigation."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from accounts.models import User
from moderation.models import Report
from videos.models import Comment, Video


def _open_reports(model) -> Exists:
    return Exists(
        Report.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=OuterRef("pk"), status=Report.Status.OPEN
        )
    )


def videos_waiting(queryset):
    """Videos a moderator must decide: held for review (appeals included), a staged edit of the
    title or description, or open reports."""
    waiting = _open_reports(Video) | Q(moderation=Video.Moderation.REVIEW) | Q(staged_at__isnull=False)
    return queryset.filter(waiting, deleted_at__isnull=True)


def profiles_waiting(queryset):
    """Profiles with a staged edit that the text decision held for a moderator (or could not
    decide)."""
    return queryset.filter(staged_at__isnull=False, is_active=True)


def appeals_waiting(queryset):
    return queryset.filter(appealed_at__isnull=False, moderation=Video.Moderation.REVIEW, deleted_at__isnull=True)


def reported_items_waiting() -> int:
    """Reported items (not reports) with at least one open report."""
    return Report.objects.filter(status=Report.Status.OPEN).values("content_type_id", "object_id").distinct().count()


def pending_counts(user) -> list[dict]:
    """[{"label", "count", "url"}] for each queue `user` may open, in the order moderators work."""
    rows = []
    if user.has_perm("moderation.view_videoreview"):
        videos = videos_waiting(Video.objects.all()).count()
        rows.append({"label": "videos", "count": videos, "url": reverse("admin:moderation_videoreview_changelist")})
    if user.has_perm("moderation.view_commentreview"):
        comments = Comment.objects.filter(state=Comment.State.HELD).count()
        rows.append(
            {"label": "comments", "count": comments, "url": reverse("admin:moderation_commentreview_changelist")}
        )
    if user.has_perm("moderation.view_report"):
        rows.append(
            {
                "label": "reports",
                "count": reported_items_waiting(),
                "url": reverse("admin:reported_items"),
            }
        )
    if user.has_perm("moderation.view_videoreview"):
        appeals = appeals_waiting(Video.objects.all()).count()
        url = reverse("admin:moderation_videoreview_changelist") + "?appealed=open"
        rows.append({"label": "appeals", "count": appeals, "url": url})
    if user.has_perm("moderation.view_profilereview"):
        profiles = profiles_waiting(User.objects.all()).count()
        rows.append(
            {"label": "profile edits", "count": profiles, "url": reverse("admin:moderation_profilereview_changelist")}
        )
    return rows


def reported_items(*, limit: int = 100) -> list[dict]:
    """Open reports grouped per reported item, heaviest first: the item, how many reports, the
    reasons (category counts and notes), the reporters with their weight, and whether a possible
    brigade is among them. Items that no longer exist are left out."""
    reports = list(
        Report.objects.filter(status=Report.Status.OPEN)
        .select_related("reporter", "content_type")
        .order_by("created_at", "pk")
    )
    groups: dict[tuple[int, int], dict] = {}
    for report in reports:
        group = groups.setdefault(
            (report.content_type_id, report.object_id),
            {"content_type": report.content_type, "object_id": report.object_id, "reports": [], "weight": 0.0},
        )
        group["reports"].append(report)
        if not report.brigade:
            group["weight"] += report.weight
    by_type: dict[int, list[int]] = {}
    for ct_id, object_id in groups:
        by_type.setdefault(ct_id, []).append(object_id)
    items = {}
    for ct_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        for pk, item in model.objects.in_bulk(ids).items():
            items[(ct_id, pk)] = item
    rows = []
    for key, group in groups.items():
        if key not in items:
            continue
        reasons: dict[str, int] = {}
        for report in group["reports"]:
            reasons[report.category] = reasons.get(report.category, 0) + 1
        rows.append(
            {
                **group,
                "item": items[key],
                "kind": group["content_type"].model,
                "count": len(group["reports"]),
                "weight": round(group["weight"], 3),
                "reasons": sorted(reasons.items(), key=lambda kv: -kv[1]),
                "notes": [r.note for r in group["reports"] if r.note],
                "brigade": any(r.brigade for r in group["reports"]),
                "first": group["reports"][0].created_at,
            }
        )
    rows.sort(key=lambda row: (-row["weight"], -row["count"], row["first"]))
    return rows[:limit]

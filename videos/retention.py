"""Retention: raw engagement events older than EVENT_RETENTION_DAYS become daily aggregates."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from tiktok.models import EngagementDaily
from videos.models import EngagementEvent

logger = logging.getLogger(__name__)


def events_roll_up(*, older_than_days: int | None = None, batch_days: int = 1) -> int:
    """Aggregate and delete raw events before the cutoff, one day per transaction, so a crash
    loses nothing and double-counts nothing. Returns the number of raw events rolled up."""
    days = settings.EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.localdate() - dt.timedelta(days=days)
    total = 0
    while True:
        first = EngagementEvent.objects.filter(created_at__date__lt=cutoff).order_by("created_at").first()
        if first is None:
            return total
        day = timezone.localtime(first.created_at).date()
        end = min(day + dt.timedelta(days=batch_days), cutoff)
        with transaction.atomic():
            window = EngagementEvent.objects.filter(created_at__date__gte=day, created_at__date__lt=end)
            rows = (
                window.annotate(day=TruncDate("created_at"))
                .values("video_id", "day", "kind")
                .annotate(
                    n=Count("pk"),
                    signed=Count("user"),
                    seconds=Sum("watch_seconds"),
                    completion=Sum("completion"),
                )
            )
            for row in rows:
                updated = EngagementDaily.objects.filter(
                    video_id=row["video_id"], day=row["day"], kind=row["kind"]
                ).update(
                    count=F("count") + row["n"],
                    signed_in=F("signed_in") + row["signed"],
                    watch_seconds=F("watch_seconds") + (row["seconds"] or 0.0),
                    completion_sum=F("completion_sum") + (row["completion"] or 0.0),
                )
                if not updated:
                    EngagementDaily.objects.create(
                        video_id=row["video_id"],
                        day=row["day"],
                        kind=row["kind"],
                        count=row["n"],
                        signed_in=row["signed"],
                        watch_seconds=row["seconds"] or 0.0,
                        completion_sum=row["completion"] or 0.0,
                    )
            deleted, _ = window.delete()
        total += deleted
        logger.info("rolled up %d events of %s", deleted, day)

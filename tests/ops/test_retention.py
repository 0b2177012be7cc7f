"""Old raw events become daily aggregates with the same totals; recent events stay raw."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from tiktok.models import EngagementDaily
from videos.models import EngagementEvent, Video

pytestmark = pytest.mark.django_db


def test_old_events_roll_up_into_daily_aggregates(make_user, capsys):
    viewer = make_user()
    video = Video.objects.create(creator=make_user(), title="t")
    old = timezone.now() - dt.timedelta(days=100)
    for hours, kind, seconds in [(0, "watch", 4.0), (1, "watch", 6.0), (2, "like", 0.0), (30, "watch", 2.0)]:
        EngagementEvent.objects.create(
            user=viewer,
            video=video,
            kind=kind,
            watch_seconds=seconds,
            completion=seconds / 10,
            created_at=old + dt.timedelta(hours=hours),
        )
    EngagementEvent.objects.create(session_key="anon", video=video, kind="watch", watch_seconds=1.0, created_at=old)
    recent = EngagementEvent.objects.create(user=viewer, video=video, kind="watch", watch_seconds=3.0)

    call_command("roll_up_events", "--older-than-days", "90")
    assert capsys.readouterr().out.strip() == "rolled_up=5"

    assert list(EngagementEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    watch_days = EngagementDaily.objects.filter(kind="watch").order_by("day")
    assert sum(row.count for row in watch_days) == 4
    assert sum(row.watch_seconds for row in watch_days) == pytest.approx(13.0)
    assert sum(row.signed_in for row in watch_days) == 3
    assert EngagementDaily.objects.get(kind="like").count == 1

    call_command("roll_up_events", "--older-than-days", "90")
    assert sum(row.count for row in EngagementDaily.objects.filter(kind="watch")) == 4

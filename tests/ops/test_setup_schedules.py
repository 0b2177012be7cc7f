"""setup_schedules creates every recurring job once, however often it runs."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from tiktok.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_it_is_idempotent_and_puts_nightly_jobs_at_their_hour(settings):
    settings.TIME_ZONE = "UTC"
    call_command("setup_schedules")
    first = {s.name: (s.func, s.next_run) for s in Schedule.objects.all()}
    call_command("setup_schedules")
    second = {s.name: (s.func, s.next_run) for s in Schedule.objects.all()}
    assert first == second
    assert Schedule.objects.count() == len(SCHEDULES)
    for item in SCHEDULES:
        schedule = Schedule.objects.get(name=item.name)
        assert schedule.func == item.func
        assert schedule.cluster == item.cluster
        if item.daily_at:
            assert schedule.schedule_type == Schedule.DAILY
            assert schedule.next_run.strftime("%H:%M") == item.daily_at

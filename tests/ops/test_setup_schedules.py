"""setup_schedules creates every recurring job once, however often it runs."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string
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
            assert schedule.schedule_type == (Schedule.DAILY if item.weekday is None else Schedule.WEEKLY)
            assert schedule.next_run.strftime("%H:%M") == item.daily_at


def test_every_scheduled_job_names_a_function_that_exists():
    for item in SCHEDULES:
        assert callable(import_string(item.func)), item.func


def test_a_job_whose_function_moved_is_updated_in_place_not_duplicated(settings):
    settings.TIME_ZONE = "UTC"
    item = next(item for item in SCHEDULES if item.name == "remove orphaned media")
    old = Schedule.objects.create(
        name=item.name,
        func="tiktok.tasks.cleanup_media",  # where the job lived before it moved to videos
        schedule_type=Schedule.DAILY,
        repeats=-1,
        next_run=timezone.now(),
    )
    call_command("setup_schedules")
    assert Schedule.objects.filter(name=item.name).count() == 1
    old.refresh_from_db()
    assert old.func == item.func == "videos.tasks.cleanup_media"

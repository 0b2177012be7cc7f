"""Create or update the django-q2 schedules listed in tiktok.schedules (idempotent)."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

from tiktok.schedules import SCHEDULES


def next_daily_run(hhmm: str, now: dt.datetime, weekday: int | None = None) -> dt.datetime:
    """The next HH:MM in TIME_ZONE after `now`; with `weekday` (0 Monday), the next on that day."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    hour, minute = (int(part) for part in hhmm.split(":"))
    local_now = now.astimezone(tz)
    candidate = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if weekday is not None:
        candidate += dt.timedelta(days=(weekday - candidate.weekday()) % 7)
    if candidate <= local_now:
        candidate += dt.timedelta(days=1 if weekday is None else 7)
    return candidate


class Command(BaseCommand):
    help = "Create or update the recurring background jobs (safe to run any number of times)."

    def handle(self, *args, **options):
        now = timezone.now()
        names = []
        for item in SCHEDULES:
            defaults = {"func": item.func, "cluster": item.cluster, "repeats": -1}
            if item.daily_at:
                kind = Schedule.WEEKLY if item.weekday is not None else Schedule.DAILY
                defaults.update(schedule_type=kind, minutes=None)
                existing = Schedule.objects.filter(name=item.name).first()
                if existing is None or existing.schedule_type != kind:
                    defaults["next_run"] = next_daily_run(item.daily_at, now, item.weekday)
            else:
                defaults.update(schedule_type=Schedule.MINUTES, minutes=item.minutes)
            _, created = Schedule.objects.update_or_create(name=item.name, defaults=defaults)
            names.append(item.name)
            self.stderr.write(f"{'created' if created else 'updated'} schedule: {item.name}")
        stale = Schedule.objects.exclude(name__in=names).filter(name__isnull=False)
        for schedule in stale:
            self.stderr.write(f"removed schedule no longer listed: {schedule.name}")
        stale.delete()
        self.stdout.write(f"schedules={len(names)}")

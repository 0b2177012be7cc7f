"""Roll raw engagement events older than the retention window into daily aggregates."""

from django.core.management.base import BaseCommand

from videos.retention import events_roll_up


class Command(BaseCommand):
    help = (
        "Aggregate raw engagement events older than EVENT_RETENTION_DAYS per video, day and kind; delete the raw rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None)

    def handle(self, *args, older_than_days, **options):
        self.stdout.write(f"rolled_up={events_roll_up(older_than_days=older_than_days)}")

"""Requeue transcodes whose worker died, and re-send jobs whose retry is due (also a schedule)."""

from django.core.management.base import BaseCommand

from videos.transcoding import encodings_sweep_stuck


class Command(BaseCommand):
    help = "Requeue encodings without a heartbeat for TRANSCODE_STALE_SECONDS and re-send due retries."

    def handle(self, *args, **options):
        counts = encodings_sweep_stuck()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))

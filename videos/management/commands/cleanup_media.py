"""Remove media files no row points at: folders of deleted videos, replaced avatars, stale uploads."""

from django.core.management.base import BaseCommand

from videos.maintenance import media_orphans_remove


class Command(BaseCommand):
    help = "Delete orphaned media (no database row refers to it); --dry-run only lists it."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument(
            "--upload-age-hours", type=float, default=24.0, help="Uploads in flight older than this are abandoned."
        )

    def handle(self, *args, dry_run, upload_age_hours, **options):
        result = media_orphans_remove(dry_run=dry_run, upload_age_hours=upload_age_hours)
        for path in result.removed:
            self.stderr.write(f"{'would remove' if dry_run else 'removed'} {path}")
        self.stdout.write(f"orphans={len(result.removed)} bytes={result.bytes}{' (dry run)' if dry_run else ''}")

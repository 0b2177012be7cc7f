"""Remove media files no row points at: folders of deleted videos, replaced avatars, stale uploads."""

import shutil
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User
from videos.models import Video


class Command(BaseCommand):
    help = "Delete orphaned media (no database row refers to it). Prints what it removed; --dry-run lists only."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument(
            "--upload-age-hours",
            type=float,
            default=24.0,
            help="Uploads in flight older than this are abandoned and removed.",
        )

    def handle(self, *args, dry_run, upload_age_hours, **options):
        media = Path(settings.MEDIA_ROOT)
        orphans: list[Path] = []
        live_ids = set(Video.objects.filter(deleted_at__isnull=True).values_list("public_id", flat=True))
        for folder_name in ("videos", "moderation"):
            root = media / folder_name
            if root.is_dir():
                orphans += [p for p in root.iterdir() if p.name not in live_ids]
        avatars = media / "avatars"
        if avatars.is_dir():
            used = {Path(name).name for name in User.objects.exclude(avatar="").values_list("avatar", flat=True)}
            orphans += [p for p in avatars.iterdir() if p.name not in used]
        uploads = Path(settings.UPLOAD_TMP_ROOT)
        if uploads.is_dir():
            cutoff = time.time() - upload_age_hours * 3600
            orphans += [p for p in uploads.iterdir() if p.stat().st_mtime < cutoff]
        freed = 0
        for path in orphans:
            size = (
                sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
            )
            freed += size
            self.stderr.write(f"{'would remove' if dry_run else 'removing'} {path.relative_to(path.parents[1])}")
            if not dry_run:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        self.stdout.write(f"orphans={len(orphans)} bytes={freed}{' (dry run)' if dry_run else ''}")

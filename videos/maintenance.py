"""Housekeeping services: orphaned media."""

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from accounts.models import User
from videos.models import Video

logger = logging.getLogger(__name__)


@dataclass
class Cleanup:
    removed: list[Path] = field(default_factory=list)
    bytes: int = 0


def media_orphans_remove(*, dry_run: bool = False, upload_age_hours: float = 24.0) -> Cleanup:
    """Delete media no row refers to: folders of deleted videos, replaced avatars, abandoned uploads."""
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
    result = Cleanup()
    for path in orphans:
        files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
        result.bytes += sum(f.stat().st_size for f in files)
        logger.info("%s orphaned media %s", "would remove" if dry_run else "removing", path.name)
        if not dry_run:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        result.removed.append(path)
    return result

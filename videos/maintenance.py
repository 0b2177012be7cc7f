"""Housekeeping services: orphaned media, on local disk or in the bucket alike."""

import logging
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings

from accounts.models import User
from tiktok import media_store
from videos.models import Video

logger = logging.getLogger(__name__)


@dataclass
class Cleanup:
    removed: list[str] = field(default_factory=list)
    bytes: int = 0


def _stored_orphans(*, cutoff: datetime) -> dict[str, list[media_store.Stored]]:
    """Stored files no row refers to, grouped by what goes together (a video's folder, one file)."""
    live_ids = set(Video.objects.filter(deleted_at__isnull=True).values_list("public_id", flat=True))
    groups: dict[str, list[media_store.Stored]] = {}
    for prefix in ("videos", "moderation"):
        for item in media_store.listing(prefix):
            owner = item.name.split("/")[1]
            if owner not in live_ids:
                groups.setdefault(f"{prefix}/{owner}/", []).append(item)
    used = {Path(name).name for name in User.objects.exclude(avatar="").values_list("avatar", flat=True)}
    used |= {Path(name).name for name in User.objects.exclude(staged_avatar="").values_list("staged_avatar", flat=True)}
    for item in media_store.listing("avatars"):
        if Path(item.name).name not in used:
            groups[item.name] = [item]
    # Uploads and kept originals: an upload is stored just before its row commits, so only
    # unreferenced ones older than the cutoff are abandoned.
    sources = set(
        Video.objects.filter(deleted_at__isnull=True).exclude(source_path="").values_list("source_path", flat=True)
    )
    for prefix in (media_store.INCOMING, media_store.ORIGINALS):
        for item in media_store.listing(prefix):
            if item.name not in sources and item.modified < cutoff:
                groups[item.name] = [item]
    return groups


def media_orphans_remove(*, dry_run: bool = False, upload_age_hours: float = 24.0) -> Cleanup:
    """Delete media no row refers to: files of deleted videos, replaced avatars, abandoned uploads
    (in the store, in this machine's upload folder and work folder)."""
    cutoff = datetime.now(tz=UTC) - timedelta(hours=upload_age_hours)
    result = Cleanup()
    for key, items in sorted(_stored_orphans(cutoff=cutoff).items()):
        result.bytes += sum(item.size for item in items)
        logger.info("%s orphaned media %s", "would remove" if dry_run else "removing", key)
        if not dry_run:
            if key.endswith("/"):
                media_store.delete_prefix(key)
            else:
                media_store.delete(key)
        result.removed.append(key.rstrip("/"))
    # This machine's scratch space: uploads never accepted, work folders of a worker that died.
    for root in (Path(settings.UPLOAD_TMP_ROOT), Path(settings.MEDIA_WORK_ROOT)):
        if not root.is_dir():
            continue
        for path in root.iterdir():
            if path.stat().st_mtime >= time.time() - upload_age_hours * 3600:
                continue
            files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
            result.bytes += sum(f.stat().st_size for f in files)
            logger.info("%s abandoned %s", "would remove" if dry_run else "removing", path.name)
            if not dry_run:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            result.removed.append(path.name)
    return result

"""A person's data: a copy of everything, built in the background into a zip; and deletion of
the account for good.

Each app says what it holds about a person through `accounts.registry` (from its
AppConfig.ready()); this module only walks the registry, so accounts imports no other app. The
zip holds one JSON file per kind of data and a media/ folder (avatar, videos). It is built by a
job (`accounts.tasks.build_data_export`) into the media store's exports/, downloaded by its owner only,
at most once per DATA_EXPORT_INTERVAL_HOURS, and removed after DATA_EXPORT_KEEP_DAYS.

Deletion runs every app's erase part and deletes the user row (every foreign key to it
cascades) in one transaction, then removes the files once it commits. See docs/security.md,
"Privacy: export and deletion"."""

import json
import logging
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user

from accounts.models import Block, DataExport, Follow, Notification, User
from accounts.registry import admin_log_erase, registered
from tiktok import jobs, media_store
from tiktok.errors import Refused

logger = logging.getLogger(__name__)

EXPORT_DIR = "exports"  # in the media store
BUILD_TASK = "accounts.tasks.build_data_export"
Status = DataExport.Status


def _rows(queryset, *fields) -> list[dict]:
    return list(queryset.values(*fields))


# ---------------------------------------------------------------------------------------------
# accounts' own part (registered by AccountsConfig.ready())


def export(user: User) -> dict:
    return {
        "profile.json": {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "bio": user.bio,
            # An edit waiting for moderation (tiktok.staging): null when none waits.
            "edit_under_review": (
                {"display_name": user.staged_display_name, "bio": user.staged_bio, "since": user.staged_at}
                if user.staged_at
                else None
            ),
            "profile_state": user.profile_state,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "age_confirmed_at": user.age_confirmed_at,
            "strikes": user.strikes,
            "suspended_until": user.suspended_until,
            "banned_at": user.banned_at,
            "groups": list(user.groups.values_list("name", flat=True)),
        },
        "following.json": _rows(
            Follow.objects.filter(follower=user).order_by("created_at"), "followee__username", "created_at"
        ),
        "followers.json": _rows(
            Follow.objects.filter(followee=user).order_by("created_at"), "follower__username", "created_at"
        ),
        "blocks.json": _rows(
            Block.objects.filter(blocker=user).order_by("created_at"), "blocked__username", "created_at"
        ),
        "notifications.json": _rows(
            Notification.objects.filter(recipient=user).order_by("created_at"), "kind", "text", "created_at", "read_at"
        ),
        # Names and state only: a device's secret key never leaves the server.
        "two_factor_devices.json": [
            {"type": type(device).__name__, "name": device.name, "confirmed": device.confirmed}
            for device in devices_for_user(user, confirmed=None)
        ],
    }


def export_media(user: User) -> list[tuple[Path | str, str]]:
    files = []
    if user.avatar:
        files.append((user.avatar.name, f"media/avatar{Path(user.avatar.name).suffix}"))
    if user.staged_avatar and user.staged_avatar.name != user.avatar.name:  # waiting for moderation
        files.append((user.staged_avatar.name, f"media/avatar-under-review{Path(user.staged_avatar.name).suffix}"))
    return files


def erase(user: User) -> None:
    # The admin log describes a changed account by its username; the entry outlives the account.
    admin_log_erase(User, [user.pk])


def media(user: User) -> list[Path | str]:
    names: list[Path | str] = list(DataExport.objects.filter(user=user).exclude(file="").values_list("file", flat=True))
    if user.avatar:
        names.append(user.avatar.name)
    if user.staged_avatar:  # an avatar edit still waiting for moderation
        names.append(user.staged_avatar.name)
    return names


# ---------------------------------------------------------------------------------------------
# The export


def user_export_write(*, user: User, target: Path) -> int:
    """Write the zip of everything the registered apps hold about `user` to `target`; returns
    its size in bytes. Videos are stored uncompressed (they are compressed already)."""
    data: dict[str, object] = {}
    media: list[tuple[Path | str, str]] = []
    for part in registered():
        for name, payload in (part.export(user) if part.export else {}).items():
            if "/" in name or not name.endswith(".json"):
                raise ImproperlyConfigured(f"{part.name}: export names are plain .json file names, not {name!r}")
            if name in data:
                raise ImproperlyConfigured(f"{part.name}: {name} is exported by another app already")
            data[name] = payload
        for path, arcname in part.export_media(user) if part.export_media else []:
            if not arcname.startswith("media/") or ".." in arcname.split("/"):
                raise ImproperlyConfigured(f"{part.name}: media goes under media/, not {arcname!r}")
            media.append((path, arcname))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, payload in data.items():
            archive.writestr(name, json.dumps(payload, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        for source, arcname in media:
            # Stored files come one at a time through a private folder (a download from a bucket).
            with media_store.work_dir() as folder:
                try:
                    path = source if isinstance(source, Path) else media_store.fetch(source, folder)
                except FileNotFoundError:
                    continue
                if path.is_file():
                    archive.write(path, arcname, compress_type=zipfile.ZIP_STORED)
    return target.stat().st_size


def _stale_before() -> datetime:
    # A job still preparing after two attempts on the long cluster and as long again waiting in
    # its queue has been lost; the person may ask again.
    return timezone.now() - timedelta(seconds=settings.Q_LONG_RETRY * 3)


def data_export_latest(*, user: User) -> DataExport | None:
    """The person's newest export; one lost while preparing reads as failed."""
    export = DataExport.objects.filter(user=user).first()
    if export and export.status == Status.PREPARING and export.created_at < _stale_before():
        export.status = Status.FAILED
    return export


def data_export_next_allowed(*, user: User) -> datetime | None:
    """When the person may ask for a new export; None when they may now."""
    hours = settings.DATA_EXPORT_INTERVAL_HOURS
    if not hours:
        return None
    since = timezone.now() - timedelta(hours=hours)
    last = (
        DataExport.objects.filter(user=user, created_at__gte=since)
        .exclude(status=Status.FAILED)
        .exclude(status=Status.PREPARING, created_at__lt=_stale_before())
        .first()
    )
    return last.created_at + timedelta(hours=hours) if last else None


def data_export_request(*, user: User) -> DataExport:
    """Ask for a copy of the data: a new export, built in the background once this commits. An
    export still preparing is returned as is; within DATA_EXPORT_INTERVAL_HOURS of the last
    one, Refused (429) and nothing changes."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time per person
        current = data_export_latest(user=user)
        if current is not None and current.status == Status.PREPARING:
            return current
        next_at = data_export_next_allowed(user=user)
        if next_at is not None:
            when = timezone.localtime(next_at).strftime("%Y-%m-%d %H:%M %Z")
            hours = settings.DATA_EXPORT_INTERVAL_HOURS
            raise Refused(
                f"You can ask for a copy of your data once every {hours} hours; the next from {when}.", status=429
            )
        export = DataExport.objects.create(user=user)
        jobs.enqueue(BUILD_TASK, export.pk, long=True)
    return export


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the zip of a preparing export. Safe to run twice (a re-delivered job): only a
    preparing row is built. A failure marks the export failed (the person may ask again) and
    leaves no file behind."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != Status.PREPARING:
        return export
    final = f"{EXPORT_DIR}/{export.token}.zip"
    try:
        with media_store.work_dir() as folder:
            partial = folder / f"{export.token}.zip"
            size = user_export_write(user=export.user, target=partial)
            media_store.put_file(partial, final)
    except Exception as exc:  # whatever broke, the person sees "failed" and no file stays
        logger.exception("data export %s failed", export.pk)
        DataExport.objects.filter(pk=export.pk, status=Status.PREPARING).update(
            status=Status.FAILED, error=f"{type(exc).__name__}"[:300], finished_at=timezone.now()
        )
        export.refresh_from_db()
        return export
    done = DataExport.objects.filter(pk=export.pk, status=Status.PREPARING).update(
        status=Status.READY,
        file=final,
        size_bytes=size,
        finished_at=timezone.now(),
    )
    if not done:  # the account was deleted (or the export expired) while the zip was written
        media_store.delete(final)
        return None
    export.refresh_from_db()
    logger.info("data export %s ready: %d bytes", export.pk, size)
    return export


def data_export_file(*, user: User, token) -> str | None:
    """The stored name of the zip of the person's own ready export named by `token`; None for
    anyone else's, an unknown token, or an export not ready (or expired)."""
    if not user.is_authenticated:
        return None
    export = DataExport.objects.filter(user=user, token=token, status=Status.READY).exclude(file="").first()
    if export is None:
        return None
    return export.file if media_store.exists(export.file) else None


def data_exports_expire(*, now: datetime | None = None) -> int:
    """Remove the zips of exports older than DATA_EXPORT_KEEP_DAYS (the rows stay, expired, for
    the rate limit, and go once older than both limits); mark lost preparing ones failed; and
    remove leftover partial files. Returns how many files were removed."""
    now = now or timezone.now()
    keep_until = now - timedelta(days=settings.DATA_EXPORT_KEEP_DAYS)
    removed = 0
    for export in DataExport.objects.filter(created_at__lt=keep_until).exclude(status=Status.EXPIRED):
        if export.file and media_store.exists(export.file):
            media_store.delete(export.file)
            removed += 1
        DataExport.objects.filter(pk=export.pk).update(status=Status.EXPIRED, file="")
    DataExport.objects.filter(status=Status.PREPARING, created_at__lt=_stale_before()).update(
        status=Status.FAILED, error="lost while preparing", finished_at=now
    )
    forget_before = now - max(
        timedelta(days=settings.DATA_EXPORT_KEEP_DAYS), timedelta(hours=settings.DATA_EXPORT_INTERVAL_HOURS)
    )
    DataExport.objects.filter(created_at__lt=forget_before, status__in=[Status.EXPIRED, Status.FAILED]).delete()
    known = set(DataExport.objects.exclude(file="").values_list("file", flat=True))
    day_ago = now - timedelta(days=1)
    for item in media_store.listing(EXPORT_DIR):
        if item.name not in known and item.modified < day_ago:
            media_store.delete(item.name)
            removed += 1
    if removed:
        logger.info("removed %d expired data export files", removed)
    return removed


# ---------------------------------------------------------------------------------------------
# Deletion


def user_delete(*, user: User) -> None:
    """Delete the account and everything personal: every registered app erases its part inside
    one transaction (moderation keeps tombstones), the user row goes (its foreign keys cascade),
    and the files go once that commits."""
    parts = registered()
    paths = [path for part in parts if part.media for path in part.media(user)]
    with transaction.atomic():
        for part in parts:
            if part.erase:
                part.erase(user)
        user.delete()

    def _remove_files():
        for path in paths:
            if isinstance(path, str):
                try:
                    media_store.delete_prefix(path) if path.endswith("/") else media_store.delete(path)
                except media_store.StoreError as exc:  # no row refers to it: cleanup_media removes it later
                    logger.warning("a deleted account's %s stays in the store for now: %s", path, exc)
            elif path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink(missing_ok=True)
        logger.info("removed %d media paths of a deleted account", len(paths))

    transaction.on_commit(_remove_files)

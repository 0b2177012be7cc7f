"""What each app holds about a person, for the data export and for account deletion.

accounts imports no other app, so it cannot list the others' rows itself. Instead each app says,
from its AppConfig.ready(), how to export its part and how to erase it:

    register_personal_data(
        "videos",
        export=lambda user: {"comments.json": [...]},   # one JSON file per kind, in the zip
        export_media=lambda user: [("videos/abc/720p.mp4", "media/videos/abc.mp4")],  # copied into the zip
        erase=lambda user: ...,   # inside the deletion transaction, before the user row goes
        media=lambda user: ["videos/abc/", ...],  # files and folders removed once the deletion commits
    )

A file is named by its media-store name (`videos/abc/720p.mp4`, a folder `videos/abc/`), wherever
the store keeps it (MEDIA_ROOT or a bucket, see tiktok/media_store.py), or by a local Path for a
file that only ever lives on this machine's disk.

`accounts.privacy` only walks this registry, in the order the apps registered (INSTALLED_APPS)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured

# What replaces a person's text in records that outlive the account (moderation history).
ERASED = "[erased]"


@dataclass(frozen=True)
class PersonalData:
    name: str
    export: Callable[[Any], dict[str, Any]] | None = None
    export_media: Callable[[Any], list[tuple[Path | str, str]]] | None = None
    erase: Callable[[Any], None] | None = None
    media: Callable[[Any], list[Path | str]] | None = None


_registry: dict[str, PersonalData] = {}


def register_personal_data(
    name: str,
    *,
    export: Callable[[Any], dict[str, Any]] | None = None,
    export_media: Callable[[Any], list[tuple[Path | str, str]]] | None = None,
    erase: Callable[[Any], None] | None = None,
    media: Callable[[Any], list[Path | str]] | None = None,
) -> PersonalData:
    """Register (or, under the same name, replace) one app's part of a person's data."""
    if not name:
        raise ImproperlyConfigured("register_personal_data needs a name")
    entry = PersonalData(name=name, export=export, export_media=export_media, erase=erase, media=media)
    _registry[name] = entry
    return entry


def unregister_personal_data(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[PersonalData]:
    return list(_registry.values())


def admin_log_erase(model, pks) -> int:
    """Blank the admin log's description of the given rows of `model` (and of its proxies: the
    review queues log under their own content type). The log's `object_repr` is the row's str(),
    a video's title or a comment's text, and it outlives the row. Returns how many entries."""
    ids = [str(pk) for pk in pks]
    if not ids:
        return 0
    types = [
        ContentType.objects.get_for_model(m, for_concrete_model=False)
        for m in model._meta.apps.get_models()
        if m._meta.concrete_model is model._meta.concrete_model
    ]
    return LogEntry.objects.filter(content_type__in=types, object_id__in=ids).update(object_repr=ERASED)

"""Staged versions: an edit of something others already see (a profile's display name, bio and
avatar; a published video's title and description) waits beside the approved version until
moderation decides. The owner sees the staged version, marked under review; everyone else sees the
approved one, which an edit never takes down. On approval the staged version replaces the live
one; on rejection it is discarded.

A model opts in with `STAGED_FIELDS` (the live fields), a `staged_<field>` column for each and a
`staged_at` column: when `staged_at` is set, the `staged_*` columns hold one whole proposed
version. The live columns always hold the approved version, so every reader that is not the owner
keeps reading them as before. The owning app's services call these helpers; moderation decides
through the content gate and never assigns the columns itself."""

from django.utils import timezone


def staged_column(field: str) -> str:
    return f"staged_{field}"


def has_staged(obj) -> bool:
    return obj.staged_at is not None


def _value(obj, column: str):
    value = getattr(obj, column)
    if hasattr(value, "storage"):  # a FieldFile: compared and copied by its name
        return value.name or ""
    return value


def live_version(obj) -> dict:
    return {field: _value(obj, field) for field in obj.STAGED_FIELDS}


def owner_version(obj) -> dict:
    """What the owner sees and edits: the staged version while one waits, else the live one."""
    if not has_staged(obj):
        return live_version(obj)
    return {field: _value(obj, staged_column(field)) for field in obj.STAGED_FIELDS}


def _columns(obj) -> list[str]:
    return [staged_column(field) for field in obj.STAGED_FIELDS] + ["staged_at"]


def _clear(obj) -> None:
    for field in obj.STAGED_FIELDS:
        setattr(obj, staged_column(field), "")
    obj.staged_at = None


def stage(obj, changes: dict) -> bool:
    """Propose `changes` (some of STAGED_FIELDS) on top of the version the owner sees now and save.
    Returns whether a version now waits for moderation: a proposal equal to the live version
    withdraws the waiting one instead."""
    unknown = set(changes) - set(obj.STAGED_FIELDS)
    if unknown:
        raise ValueError(f"not staged fields: {sorted(unknown)}")
    proposed = {**owner_version(obj), **changes}
    if proposed == live_version(obj):
        _clear(obj)
    else:
        for field, value in proposed.items():
            setattr(obj, staged_column(field), value)
        obj.staged_at = timezone.now()
    obj.save(update_fields=_columns(obj))
    return has_staged(obj)


def promote(obj) -> dict:
    """The staged version becomes the live one; returns the live version it replaced ({} if
    nothing was staged)."""
    if not has_staged(obj):
        return {}
    replaced = live_version(obj)
    for field, value in owner_version(obj).items():
        setattr(obj, field, value)
    _clear(obj)
    obj.save(update_fields=[*obj.STAGED_FIELDS, *_columns(obj)])
    return replaced


def discard(obj) -> dict:
    """Drop the staged version; returns it ({} if nothing was staged). The live one stays."""
    if not has_staged(obj):
        return {}
    dropped = owner_version(obj)
    _clear(obj)
    obj.save(update_fields=_columns(obj))
    return dropped

"""Trained artifacts shared by machines that share no disk.

A trained artifact (the comment classifier's heads, the recommender's arrays) is written under this
machine's MODEL_ROOT, named by its ModelVersion row's `artifact_path`. With media in a bucket it is
also published there (under models/, whole files only) before its row is created, and every
machine loads the active version from its own MODEL_ROOT, fetching it from the store first when
another machine trained it. Version names are never reused, so a fetched copy never goes stale.
On local disk (one machine, or a shared MODEL_ROOT) both calls do nothing."""

import logging
import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings

from tiktok import media_store

logger = logging.getLogger(__name__)
PREFIX = "models"


def artifact_publish(relative: str | Path) -> None:
    """Upload the artifact at MODEL_ROOT/relative (a file or a folder) to the store."""
    if not media_store.is_remote():
        return
    root = Path(settings.MODEL_ROOT)
    path = root / relative
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    with media_store.work_dir() as work:
        for file in files:
            copy = work / file.name
            shutil.copyfile(file, copy)
            media_store.put_file(copy, f"{PREFIX}/{file.relative_to(root).as_posix()}")
    logger.info("published model artifact %s (%d files)", relative, len(files))


def artifact_local(relative: str | Path) -> Path:
    """MODEL_ROOT/relative, fetched from the store first if this machine lacks it. The copy
    appears whole (downloaded beside it, then renamed). Raises OSError (StoreError) when the store
    fails; a missing artifact is left for the caller to notice."""
    path = Path(settings.MODEL_ROOT) / relative
    if path.exists() or not media_store.is_remote():
        return path
    name = f"{PREFIX}/{Path(relative).as_posix()}"
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        if media_store.exists(name):  # one file
            staging.mkdir()
            os.replace(media_store.fetch(name, staging), path)
        else:  # a folder
            items = list(media_store.listing(name))
            if not items:
                return path
            for item in items:
                inner = Path(item.name).relative_to(name)
                media_store.fetch(item.name, staging / inner.parent)
            os.replace(staging, path)
        logger.info("fetched model artifact %s from the media store", relative)
    except FileExistsError:  # another worker of this machine fetched it first
        pass
    except OSError:
        if not path.exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path

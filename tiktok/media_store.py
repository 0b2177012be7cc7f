"""Where media files live: MEDIA_ROOT on this machine's disk, or an S3-compatible bucket
(MEDIA_STORAGE=s3), behind one small API that the upload, transcoding, moderation, deletion,
clean-up and export code share.

Names are storage names with their extension (`videos/<public_id>/720p.mp4`), the object keys in
the bucket. Every write is whole: a local file takes its name by an atomic rename, an object
appears when its (multipart) upload completes, so a reader never sees part of a file. ffmpeg and
the moderation stages only ever read a local private copy (`local_copy`)."""

import logging
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

logger = logging.getLogger(__name__)

# Objects above this size are uploaded in parts of this size (S3 assembles them on completion).
MULTIPART_BYTES = 16 * 1024 * 1024
INCOMING = "incoming"  # accepted uploads, never served: only jobs read them
ORIGINALS = "originals"  # kept originals (KEEP_ORIGINALS), never served
_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".vtt": "text/vtt", ".webp": "image/webp", ".png": "image/png"}


class StoreError(OSError):
    """The store could not be reached or refused the operation. An OSError, so every caller that
    already treats a failed disk write as retryable treats a failed upload the same way."""


@dataclass(frozen=True)
class Stored:
    name: str
    size: int
    modified: datetime


def is_remote() -> bool:
    """Whether media lives in a bucket (shared by every machine) rather than on this disk."""
    return not isinstance(default_storage, FileSystemStorage)


def _check_name(name: str) -> str:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"not a storage name: {name!r}")
    return path.as_posix()


def _local_path(name: str) -> Path:
    return Path(default_storage.path(_check_name(name)))


def _client():
    return default_storage.connection.meta.client


def _bucket() -> str:
    return default_storage.bucket_name


@contextmanager
def _remote(action: str, name: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchKey", "NotFound"):
            raise FileNotFoundError(f"{name} is not in the media store") from None
        raise StoreError(f"The media store refused to {action} {name}: {code or exc}") from exc
    except BotoCoreError as exc:
        raise StoreError(f"The media store could not {action} {name}: {exc}") from exc


@contextmanager
def work_dir() -> Iterator[Path]:
    """A private (0700) temporary folder on this machine, removed with everything in it."""
    root = Path(settings.MEDIA_WORK_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix="work-") as folder:
        yield Path(folder)


def exists(name: str) -> bool:
    if not name:
        return False
    if not is_remote():
        return _local_path(name).is_file()
    with _remote("look up", name):
        try:
            _client().head_object(Bucket=_bucket(), Key=_check_name(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
    return True


def fetch(name: str, folder: Path) -> Path:
    """A local path holding the stored file: the file itself on local disk; from a bucket, a
    download into `folder` (the caller's private folder; a download is written under another
    name and renamed when complete). Raises FileNotFoundError when there is no such file,
    StoreError when the store fails."""
    if not is_remote():
        path = _local_path(name)
        if not path.is_file():
            raise FileNotFoundError(f"{name} is not in the media store")
        return path
    target = Path(folder) / PurePosixPath(_check_name(name)).name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with _remote("download", name):
            _client().download_file(_bucket(), name, str(partial))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """`fetch` into a private temporary folder that is removed after the block."""
    if not is_remote():
        yield fetch(name, Path(settings.MEDIA_WORK_ROOT))
        return
    with work_dir() as folder:
        yield fetch(name, folder)


def put_file(local_path: Path | str, name: str, *, cache_control: str = "") -> str:
    """Store a whole local file under `name`, replacing what was there; readers see the old file
    or the new one, never part of one. The local file is taken (moved when it can be). Returns
    the name."""
    local_path = Path(local_path)
    name = _check_name(name)
    if not is_remote():
        final = _local_path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(final.name + ".part")
        try:
            try:
                os.replace(local_path, partial)
            except OSError:  # another filesystem: copy, then rename
                shutil.copyfile(local_path, partial)
                local_path.unlink(missing_ok=True)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        return name
    from boto3.s3.transfer import TransferConfig  # noqa: PLC0415 (boto3: only the s3 backend loads it)

    extra = {"ContentType": content_type_for(name)}
    if cache_control:
        extra["CacheControl"] = cache_control
    config = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES)
    with _remote("upload", name):
        _client().upload_file(str(local_path), _bucket(), name, ExtraArgs=extra, Config=config)
    local_path.unlink(missing_ok=True)
    return name


def put_bytes(data: bytes, name: str) -> str:
    with work_dir() as folder:
        path = folder / PurePosixPath(_check_name(name)).name
        path.write_bytes(data)
        return put_file(path, name)


def move(name: str, new_name: str) -> str:
    """Rename a stored file (a server-side copy, then delete, in a bucket)."""
    name, new_name = _check_name(name), _check_name(new_name)
    if not is_remote():
        target = _local_path(new_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(_local_path(name), target)
        return new_name
    with _remote("move", name):
        _client().copy_object(Bucket=_bucket(), Key=new_name, CopySource={"Bucket": _bucket(), "Key": name})
        _client().delete_object(Bucket=_bucket(), Key=name)
    return new_name


def delete(names: Iterable[str] | str) -> None:
    """Delete stored files; a name that is not there is no error."""
    names = [_check_name(n) for n in ([names] if isinstance(names, str) else names) if n]
    if not names:
        return
    if not is_remote():
        for name in names:
            _local_path(name).unlink(missing_ok=True)
        return
    for start in range(0, len(names), 1000):  # DeleteObjects takes 1,000 keys a call
        batch = names[start : start + 1000]
        with _remote("delete", batch[0]):
            answer = _client().delete_objects(
                Bucket=_bucket(), Delete={"Objects": [{"Key": n} for n in batch], "Quiet": True}
            )
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise StoreError(f"The media store refused to delete {first.get('Key')}: {first.get('Code')}")


def delete_prefix(prefix: str) -> None:
    """Delete every stored file under a folder (`videos/<public_id>/`)."""
    prefix = _check_name(prefix).rstrip("/") + "/"
    if not is_remote():
        shutil.rmtree(_local_path(prefix), ignore_errors=True)
        return
    delete([item.name for item in listing(prefix)])


def listing(prefix: str) -> Iterator[Stored]:
    """Every stored file under a folder, with its size and modification time."""
    prefix = _check_name(prefix).rstrip("/") + "/"
    if not is_remote():
        root = Path(settings.MEDIA_ROOT)
        folder = _local_path(prefix)
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
                yield Stored(path.relative_to(root).as_posix(), stat.st_size, modified)
        return
    with _remote("list", prefix):
        pages = _client().get_paginator("list_objects_v2").paginate(Bucket=_bucket(), Prefix=prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield Stored(item["Key"], item["Size"], item["LastModified"])


def url_for(name: str, *, expires: int, download_as: str = "") -> str | None:
    """A presigned GET URL valid `expires` seconds, for a bucket; None on local disk, where the
    media views stream the file themselves. Call it only after the permission check: the URL
    itself is the permission. Browsers may cache the response for the URL's lifetime, privately."""
    if not is_remote() or not name:
        return None
    params = {
        "Bucket": _bucket(),
        "Key": _check_name(name),
        "ResponseCacheControl": f"private, max-age={expires}",
    }
    if download_as:
        params["ResponseContentDisposition"] = f'attachment; filename="{download_as}"'

    with _remote("sign a URL for", name):
        return _client().generate_presigned_url("get_object", Params=params, ExpiresIn=expires)


def content_type_for(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def media_origin() -> str:
    """The scheme and host the presigned URLs point at (for the Content-Security-Policy); "" locally."""
    url = url_for("videos/origin-probe.mp4", expires=60)
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"

"""Media behind permission checks: renditions (with HTTP Range), posters, captions, avatars.

Nothing under MEDIA_ROOT has a plain static route. In development these views stream the file
themselves and answer Range requests; in production (MEDIA_X_ACCEL_PREFIX set) they hand the
file to nginx with X-Accel-Redirect, after the same permission check. With media in a bucket
(MEDIA_STORAGE=s3) they redirect, after the same check, to a presigned URL that expires soon
(MEDIA_URL_EXPIRES_SECONDS; avatars and public posters MEDIA_PUBLIC_URL_EXPIRES_SECONDS), and the
browser's Range requests go to the store.
"""

import logging
import os
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.views.decorators.http import require_safe

from tiktok import media_store
from videos.models import Encoding
from videos.selectors import staff_may_view_hidden, video_for_actor
from videos.transcoding import POSTER_TILE

logger = logging.getLogger(__name__)
# Held and rejected profiles are decided in moderation's report queue: its permission, by name.
HELD_PROFILE_PERMISSION = "moderation.view_report"
RENDITIONS = ("720p", "360p")
CHUNK = 64 * 1024
# ASCII digits only: \d also matches other scripts' digits, which int() would read.
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
_AVATAR_NAME = re.compile(r"^[\w.-]{1,200}$")


def wants_low_rendition(request) -> bool:
    """The Save-Data client hint asks for the small rendition. (Small screens get it from the
    templates: a `<source media="(max-width: 480px)">` pointing at 360p comes first.)"""
    return request.headers.get("Save-Data", "").strip().lower() == "on"


def _media_path(relative: str) -> Path:
    """Resolve a stored path relative to MEDIA_ROOT, refusing anything that escapes it."""
    if not relative:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    return path


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """One byte range from a Range header, as inclusive (start, end).

    None means "serve the whole file" (no header, a malformed one, or several ranges, which
    RFC 9110 lets a server ignore); "unsatisfiable" means answer 416. Positions of any length
    are accepted: one beyond the file counts as the file's size, and is never parsed in full
    (Python refuses an int of more than 4,300 digits).
    """
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last N bytes
        length = _position(last, size)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = _position(first, size)
    end = size - 1 if last == "" else min(_position(last, size), size - 1)
    if start >= size:
        return "unsatisfiable"
    if end < start:
        return None  # syntactically invalid: ignore the header
    return start, end


def _position(digits: str, size: int) -> int:
    """The number `digits` spell, or `size` when it is larger: a position past the end of the
    file means the same whatever its length."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(size)):
        return size
    return min(int(digits), size)


def _read_span(handle, start: int, length: int):
    with handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            block = handle.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def serve_media_file(request, path: Path, content_type: str) -> HttpResponse:
    """Answer with the file: X-Accel-Redirect in production, Range-aware streaming otherwise."""
    prefix = settings.MEDIA_X_ACCEL_PREFIX
    if prefix:
        relative = path.relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix()
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + relative
    else:
        try:
            # Opened now, not when the body is sent: a file deleted since it was found (its video
            # deleted or re-transcoded meanwhile) is a 404, not a server error.
            handle = path.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        size = os.fstat(handle.fileno()).st_size  # the size of the file this answer reads
        span = parse_range(request.headers.get("Range", ""), size)
        if span == "unsatisfiable":
            handle.close()
            response = HttpResponse(status=416, content_type=content_type)
            response["Content-Range"] = f"bytes */{size}"
        elif span is None:
            response = FileResponse(handle, content_type=content_type)
        else:
            start, end = span
            length = end - start + 1
            response = StreamingHttpResponse(_read_span(handle, start, length), status=206, content_type=content_type)
            response["Content-Length"] = str(length)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Accept-Ranges"] = "bytes"
    # Whether this viewer may fetch it depends on who they are: never a shared cache.
    response["Cache-Control"] = "private, max-age=3600"
    response["Vary"] = "Cookie, Save-Data"
    return response


def serve_stored(request, relative: str, content_type: str, *, public: bool = False) -> HttpResponse:
    """Answer with a stored file, once the caller has checked permission: the file itself from
    local disk, or a redirect to a presigned URL into the bucket. `public`: anyone may see it
    (an avatar of a published profile, the poster of a public video), so its URL lives longer."""
    if not media_store.is_remote():
        return serve_media_file(request, _media_path(relative), content_type)
    if not relative:
        raise Http404
    expires = settings.MEDIA_PUBLIC_URL_EXPIRES_SECONDS if public else settings.MEDIA_URL_EXPIRES_SECONDS
    try:
        url = media_store.url_for(relative, expires=expires)
    except (ValueError, media_store.StoreError):
        raise Http404 from None
    response = HttpResponseRedirect(url)
    # The redirect is this viewer's: kept briefly, well inside the URL's lifetime, so a change of
    # visibility or a moderation decision takes effect within a minute.
    response["Cache-Control"] = "private, max-age=60"
    response["Vary"] = "Cookie, Save-Data"
    return response


def _viewer_video(request, public_id):
    video = video_for_actor(public_id=public_id, user=request.user)
    if video is None:
        raise Http404
    return video


@require_safe
def rendition(request, public_id, rendition):
    video = _viewer_video(request, public_id)
    if rendition == "preview":
        return serve_stored(request, video.preview, "video/mp4")
    if rendition not in RENDITIONS:
        raise Http404
    wanted = "360p" if rendition == "720p" and wants_low_rendition(request) else rendition
    paths = dict(
        # While a ready video is re-transcoded, its renditions are queued or running again but
        # their files are whole until each is replaced atomically: keep serving them.
        Encoding.objects.filter(video=video, rendition__in=RENDITIONS)
        .exclude(status=Encoding.Status.FAILED)
        .exclude(path="")
        .values_list("rendition", "path")
    )
    # With PUBLISH_360P_FIRST a published video may have only its 360p for a while.
    relative = paths.get(wanted) or paths.get(rendition) or paths.get("360p")
    if not relative:
        raise Http404
    return serve_stored(request, relative, "video/mp4")


@require_safe
def poster(request, public_id):
    video = _viewer_video(request, public_id)
    return serve_stored(request, video.poster, "image/jpeg", public=video.is_listable)


@require_safe
def poster_tile(request, public_id):
    """The tile-sized WebP poster (profile and search grids); a video made before tiles existed
    answers with its JPEG poster."""
    video = _viewer_video(request, public_id)
    if not video.poster:
        raise Http404
    tile = f"{video.poster.rpartition('/')[0]}/{POSTER_TILE}"
    try:
        found = media_store.exists(tile)
    except media_store.StoreError:
        found = False
    if not found:
        return serve_stored(request, video.poster, "image/jpeg", public=video.is_listable)
    return serve_stored(request, tile, "image/webp", public=video.is_listable)


@require_safe
def captions(request, public_id):
    video = _viewer_video(request, public_id)
    if not video.captions_vtt.strip():
        raise Http404
    response = HttpResponse(video.captions_vtt, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_safe
def avatar(request, name):
    if not _AVATAR_NAME.match(name):
        raise Http404
    relative = f"avatars/{name}"
    owner = (
        get_user_model()
        .objects.filter(Q(avatar=relative) | Q(staged_avatar=relative), is_active=True, banned_at__isnull=True)
        .only("pk", "username", "profile_state", "avatar")
        .first()
    )
    if owner is None:
        raise Http404
    # A profile held by reports, or rejected, shows only its username to others, and a staged
    # avatar (tiktok.staging) waits unseen: its owner sees it, and a moderator of the report queue
    # (where profiles are decided), logged.
    viewer = request.user
    state = owner.profile_state if owner.avatar.name == relative else "staged"
    if state != "published" and not (viewer.is_authenticated and viewer.pk == owner.pk):
        if not staff_may_view_hidden(viewer, HELD_PROFILE_PERMISSION):
            raise Http404
        logger.info("staff %s viewed the avatar of %s, whose profile is %s", viewer.username, owner.username, state)
    content_type = "image/png" if name.lower().endswith(".png") else "image/jpeg"
    if name.lower().endswith(".webp"):
        content_type = "image/webp"
    return serve_stored(request, relative, content_type, public=state == "published")

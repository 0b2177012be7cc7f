"""What every viewer action checks first (who may act, blocks, rate limits) and how its short
write transaction survives lock contention. The actions themselves: likes.py (likes and
favourites), commenting.py (comments), engagement.py (events, views, shares, "not interested")."""

import time

from django.db import OperationalError
from django.urls import reverse

from tiktok import ratelimit
from tiktok.errors import Refused
from videos.models import Video
from videos.selectors import is_blocked_between


def viewer_key(*, user, session_key: str) -> str:
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return f"s:{session_key}"


def retry_on_lock(fn, attempts: int = 6):
    """Run a short write transaction again when the database reports a deadlock or lock timeout
    (InnoDB under concurrent likes; SQLite's busy timeout) instead of failing the request."""
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            code = exc.args[0] if exc.args else None
            retryable = code in (1205, 1213) or "locked" in str(exc).lower() or "deadlock" in str(exc).lower()
            if not retryable or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None


def rate_limit_hit(*, key: str, limit: int, window_s: int) -> bool:
    """True when this call goes over `limit` per `window_s` (the shared-cache limiter)."""
    return not ratelimit.hit("viewer", key, limit=limit, window=window_s)


def watch_url(video: Video) -> str:
    return reverse("videos:watch", args=[video.public_id])


def quote(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def require_actor(user) -> None:
    if user is None or not user.is_authenticated:
        raise Refused("Log in to do that.", status=403)
    if user.is_restricted:
        raise Refused("Your account is restricted.", status=403)


def check_not_blocked(*, user, video: Video) -> None:
    if is_blocked_between(user=user, other=video.creator):
        raise Refused("No such video.", status=404)

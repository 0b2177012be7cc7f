"""Fixed-window rate limits in the shared cache, so they hold across gunicorn workers."""

import hashlib
import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    # Behind nginx the real address arrives in X-Real-IP (set by our nginx config, not the client).
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR", "")


def _key(scope: str, ident: str, window: int) -> str:
    bucket = int(time.time() // window)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{bucket}"


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one hit; True while the caller is within `limit` hits per `window` seconds.

    If the cache itself is down, the limit is not enforced (logged): an outage of Redis must not
    turn every upload, comment and log-in into an error."""
    key = _key(scope, ident, window)
    try:
        if hasattr(cache, "incr_window"):  # Redis: one round trip
            return cache.incr_window(key, window + 1) <= limit
        if cache.add(key, 1, timeout=window + 1):
            return limit >= 1
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 1)
            count = 1
    except Exception as exc:  # the cache backend's own connection errors
        logger.warning("rate limit %s not enforced, cache unavailable: %s", scope, exc)
        return True
    return count <= limit


def count(scope: str, ident: str, *, window: int) -> int:
    try:
        return cache.get(_key(scope, ident, window), 0)
    except Exception as exc:
        logger.warning("rate limit %s not read, cache unavailable: %s", scope, exc)
        return 0


def reset(scope: str, ident: str, *, window: int) -> None:
    try:
        cache.delete(_key(scope, ident, window))
    except Exception as exc:
        logger.warning("rate limit %s not reset, cache unavailable: %s", scope, exc)

"""Sessions read from the cache and written through to the database, surviving a cache outage
(Django's cached_db backend still raises when it re-fills or clears the cache during one); and
the rule for when a signed-out visitor gets a session at all.

A session row is written only when there is something to keep: a log-in, a message, or a
signed-out viewer's engagement event (their feed profile is keyed by the session). Reading pages
never starts one, so crawlers, link-preview bots and load generators write nothing."""

import functools
import hashlib
import logging
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends import cached_db, db
from django.core.cache import cache

logger = logging.getLogger(__name__)

JOIN_SECONDS = 60


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            return super().load()
        except Exception as exc:  # the cache is down: the database holds every session
            logger.warning("session cache unavailable, reading the database: %s", exc)
            session = self._get_session_from_db()
            return self.decode(session.session_data) if session else {}

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception:
            return db.SessionStore.exists(self, session_key)

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except Exception as exc:  # the database row is gone already; only the cache copy stays
            logger.warning("session cache unavailable while deleting: %s", exc)


def session_key_started(request, *, viewer: str = "") -> str:
    """This browser's session key, starting (and saving) a session when it has none. Only for a
    request with something to keep: a signed-out viewer's engagement event.

    `viewer` is the id from the signed-out viewer's token (tiktok.viewer_tokens): a token starts
    one session for its whole life, so a request that carries the token but not the session
    cookie joins that session instead of becoming another viewer."""
    if request.session.session_key:
        return request.session.session_key
    request.session_start_claim = _start_claim(request, viewer)
    if viewer and _join(request, _claimed(request.session_start_claim)):
        return request.session.session_key
    request.session["v"] = 1
    request.session.save()
    request.session_started_here = True
    _join_concurrent_start(request, viewer)
    return request.session.session_key


def _start_claim(request, viewer: str = "") -> str:
    if viewer:
        return f"session-start:viewer:{hashlib.sha256(viewer.encode()).hexdigest()}"
    seed = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    return f"session-start:{hashlib.sha256(seed.encode()).hexdigest()}" if seed else ""


def _claimed(claim: str) -> str:
    if not claim:
        return ""
    try:
        return cache.get(claim) or ""
    except Exception as exc:  # the cache backend's own errors: start a session of its own
        logger.warning("session start not shared, cache unavailable: %s", exc)
        return ""


def _join(request, winner: str) -> bool:
    """Make `winner` this request's session (the answer carries its cookie); False if it is gone."""
    if not winner:
        return False
    joined = import_module(settings.SESSION_ENGINE).SessionStore(winner)
    if not joined.exists(winner):  # gone since (refused and dropped, or flushed at log-out)
        return False
    joined.get("v")  # load it
    joined.modified = True  # so the answer carries its cookie too
    request.session = joined
    request.session_started_here = False
    return True


def _join_concurrent_start(request, viewer: str = "") -> None:
    """The player sends its first beacons (impression, play) at once, before any answer has set
    a session cookie: each would start a session of its own and split the viewer's events. The
    first to start a session records its key under a claim for the others to join (they delete
    their own). The claim is the viewer token's id, held for the token's life; without a token
    (a share), the browser's CSRF cookie, which all its requests carry, for JOIN_SECONDS."""
    claim = request.session_start_claim
    if not claim:
        return
    mine = request.session.session_key
    timeout = settings.VIEWER_TOKEN_MAX_AGE if viewer else JOIN_SECONDS
    try:
        if cache.add(claim, mine, timeout=timeout):
            return
        winner = cache.get(claim)
    except Exception as exc:  # the cache backend's own errors: keep this request's session
        logger.warning("session start not shared, cache unavailable: %s", exc)
        return
    if not winner or winner == mine:
        return
    mine_store = request.session
    if _join(request, winner):
        mine_store.delete()
        return
    try:  # the claimed session is gone: this one takes the claim over
        cache.set(claim, mine, timeout=timeout)
    except Exception as exc:
        logger.warning("session start claim not taken over, cache unavailable: %s", exc)


def session_dropped_if_refused(view):
    """A session that `view` started for this request is deleted again when the request is
    refused (a 4xx/5xx answer or an exception): bad input writes no session row."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Exception:
            _drop_started(request)
            raise
        if response.status_code >= 400:
            _drop_started(request)
        return response

    return wrapper


def _drop_started(request) -> None:
    if getattr(request, "session_started_here", False):
        claim = getattr(request, "session_start_claim", "")
        try:
            if claim and cache.get(claim) == request.session.session_key:
                cache.delete(claim)
        except Exception as exc:
            logger.warning("session start claim not removed, cache unavailable: %s", exc)
        request.session.flush()  # the row goes; an empty session is not saved, no cookie is set
        request.session_started_here = False

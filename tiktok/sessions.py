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


def session_key_started(request) -> str:
    """This browser's session key, starting (and saving) a session when it has none. Only for a
    request with something to keep: a signed-out viewer's engagement event."""
    if request.session.session_key:
        return request.session.session_key
    request.session["v"] = 1
    request.session.save()
    request.session_started_here = True
    _join_concurrent_start(request)
    return request.session.session_key


def _start_claim(request) -> str:
    seed = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    return f"session-start:{hashlib.sha256(seed.encode()).hexdigest()}" if seed else ""


def _join_concurrent_start(request) -> None:
    """The player sends its first beacons (impression, play) at once, before any answer has set
    a session cookie: each would start a session of its own and split the viewer's events. All
    of one browser's requests carry its CSRF cookie, so the first to start a session records its
    key under that cookie for JOIN_SECONDS, and the others join that session and delete theirs."""
    claim = _start_claim(request)
    if not claim:
        return
    mine = request.session.session_key
    try:
        if cache.add(claim, mine, timeout=JOIN_SECONDS):
            return
        winner = cache.get(claim)
    except Exception as exc:  # the cache backend's own errors: keep this request's session
        logger.warning("session start not shared, cache unavailable: %s", exc)
        return
    if not winner or winner == mine:
        return
    joined = import_module(settings.SESSION_ENGINE).SessionStore(winner)
    if not joined.exists(winner):  # gone since (refused and dropped): keep this one
        return
    request.session.delete()
    joined.get("v")  # load it
    joined.modified = True  # so the answer carries its cookie too
    request.session = joined
    request.session_started_here = False


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
        claim = _start_claim(request)
        try:
            if claim and cache.get(claim) == request.session.session_key:
                cache.delete(claim)
        except Exception as exc:
            logger.warning("session start claim not removed, cache unavailable: %s", exc)
        request.session.flush()  # the row goes; an empty session is not saved, no cookie is set
        request.session_started_here = False

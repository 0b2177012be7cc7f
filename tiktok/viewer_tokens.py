"""Signed-out viewers' tokens: a page view gives a signed-out browser a signed, expiring token (a
cookie holding a random viewer id and its issue time; no database row), and the engagement beacon
takes a signed-out viewer's events only with a valid one. Without it any client could be a new
viewer on every request and add a view each time.

The token is signed with SECRET_KEY under its own salt (django.core.signing), so it cannot be made
or altered without the key, and it is refused once older than VIEWER_TOKEN_MAX_AGE. Page views
refresh it, keeping the same viewer id, once it is half that age."""

import secrets
import time

from django.conf import settings
from django.core import signing
from django.utils.cache import patch_cache_control

COOKIE_NAME = "clip_viewer"
SALT = "tiktok.viewer_tokens"
MAX_TOKEN_CHARS = 200  # a real one is about 90; longer is refused unread


def issue(viewer: str | None = None) -> str:
    """A token for `viewer` (a new random viewer id if None), issued now."""
    payload = {"v": viewer or secrets.token_urlsafe(16), "t": int(time.time())}
    return signing.dumps(payload, salt=SALT, compress=False)


def _read(raw: str | None) -> dict | None:
    if not raw or len(raw) > MAX_TOKEN_CHARS:
        return None
    try:
        payload = signing.loads(raw, salt=SALT, max_age=settings.VIEWER_TOKEN_MAX_AGE)
    except signing.BadSignature:  # forged, altered, or expired (SignatureExpired)
        return None
    if not isinstance(payload, dict):
        return None
    viewer, issued = payload.get("v"), payload.get("t")
    if not isinstance(viewer, str) or not 16 <= len(viewer) <= 64 or not isinstance(issued, int):
        return None
    return payload


def viewer_id(request) -> str | None:
    """The viewer id of this request's valid token, or None (none, forged or expired)."""
    payload = _read(request.COOKIES.get(COOKIE_NAME))
    return payload["v"] if payload else None


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class ViewerTokenMiddleware:
    """Sets the token on a signed-out viewer's page views (GET, 200, HTML) when it is missing,
    invalid or past half its age. It writes a cookie only: never the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not _signed_in(request)
        ):
            payload = _read(request.COOKIES.get(COOKIE_NAME))
            if payload is None or time.time() - payload["t"] > settings.VIEWER_TOKEN_MAX_AGE / 2:
                self._set(response, issue(payload["v"] if payload else None))
        return response

    @staticmethod
    def _set(response, token: str) -> None:
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=settings.VIEWER_TOKEN_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        # A shared cache must never hand one visitor's token to the next.
        patch_cache_control(response, private=True)

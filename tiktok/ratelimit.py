"""Fixed-window rate limits in the shared cache, so they hold across gunicorn workers; the
client's address they count; and the log-in lockout that every log-in form goes through."""

import functools
import hashlib
import ipaddress
import logging
import time
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction

logger = logging.getLogger(__name__)

# --- The client's address ------------------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> IPAddress | None:
    try:
        parsed = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped  # ::ffff:192.0.2.1 is the IPv4 peer 192.0.2.1
    return parsed


@functools.lru_cache(maxsize=8)
def _trusted(proxies: tuple[str, ...]) -> tuple[bool, tuple]:
    """(whether a Unix-socket peer is trusted, the trusted networks); settings.py has checked them."""
    networks = tuple(ipaddress.ip_network(p, strict=False) for p in proxies if p != "unix")
    return "unix" in proxies, networks


def _from_trusted_proxy(remote: str) -> bool:
    unix, networks = _trusted(tuple(settings.TRUSTED_PROXIES))
    if remote == "":  # gunicorn on a Unix socket gives no peer address
        return unix
    peer = _address(remote)
    return peer is not None and any(peer in network for network in networks)


def client_ip(request) -> str:
    """The address a request comes from: the connection's own (REMOTE_ADDR), unless the
    connection is from one of TRUSTED_PROXIES and TRUSTED_PROXY_HEADER is set, in which case it
    is the address that proxy wrote in that header (the last one, if the header is a list the
    proxy appends to). A header that does not hold an address is ignored."""
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.TRUSTED_PROXY_HEADER
    if header and _from_trusted_proxy(remote):
        claimed = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        parsed = _address(claimed.rsplit(",", 1)[-1])
        if parsed is not None:
            return str(parsed)
    return remote


def address_key(address: str) -> str:
    """What a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (one
    subscriber's network is a /64, so its 2^64 addresses are one counter)."""
    parsed = _address(address)
    if parsed is None:
        return "other:" + hashlib.sha256(address.encode(errors="replace")).hexdigest()[:16]
    if parsed.version == 6:
        return str(ipaddress.IPv6Network((int(parsed), 64), strict=False))
    return str(parsed)


def client_key(request) -> str:
    return address_key(client_ip(request))


# --- Counting ------------------------------------------------------------------------------------


def _key(scope: str, ident: str, window: int) -> str:
    bucket = int(time.time() // window)
    digest = hashlib.sha256(ident.encode(errors="replace")).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{bucket}"


def _database_add(backend: DatabaseCache, key: str, delta: int, timeout: int | None) -> int | None:
    """Add `delta` to a counter in the database cache, whose own incr is a read then a separate
    write (two workers reading 3 both write 4). The read and the write happen in one transaction
    that holds the row: SQLite's IMMEDIATE transactions (settings.py) take the write lock at
    BEGIN; MySQL and PostgreSQL lock the row with SELECT ... FOR UPDATE once it exists. With a
    `timeout`, a missing counter is created; without one, a missing counter stays missing (None)."""
    db = router.db_for_write(backend.cache_model_class)
    connection = connections[db]
    table = connection.ops.quote_name(backend._table)
    with transaction.atomic(using=db):
        if timeout is not None and backend.add(key, delta, timeout=timeout):
            return delta
        if connection.features.has_select_for_update:
            with connection.cursor() as cursor:
                full = backend.make_and_validate_key(key)
                cursor.execute(f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE", [full])
        try:
            return backend.incr(key, delta)
        except ValueError:  # expired or missing
            if timeout is None:
                return None
            backend.set(key, delta, timeout=timeout)
            return delta


def _count_one(key: str, timeout: int) -> int:
    backend = caches[DEFAULT_CACHE_ALIAS]
    if hasattr(backend, "incr_window"):  # Redis: INCR, one round trip
        return backend.incr_window(key, timeout)
    if isinstance(backend, DatabaseCache):
        return _database_add(backend, key, 1, timeout)
    # Other backends (local memory in development): add and incr are each atomic.
    if backend.add(key, 1, timeout=timeout):
        return 1
    try:
        return backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.add(key, 1, timeout=timeout)
        return 1


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one hit and say, from that same atomic step, whether the caller is within `limit`
    hits per `window` seconds: concurrent hits can never all read a count under the limit.

    If the cache itself is down, the limit is not enforced (logged): an outage of Redis must not
    turn every upload, comment and log-in into an error."""
    try:
        return _count_one(_key(scope, ident, window), window + 1) <= limit
    except Exception as exc:  # the cache backend's own connection errors
        logger.warning("rate limit %s not enforced, cache unavailable: %s", scope, exc)
        return True


def uncount(scope: str, ident: str, *, window: int) -> None:
    """Take one hit back (a hit that turned out not to be abuse); nothing if none is counted."""
    key = _key(scope, ident, window)
    try:
        backend = caches[DEFAULT_CACHE_ALIAS]
        if isinstance(backend, DatabaseCache):
            _database_add(backend, key, -1, None)
        else:
            backend.decr(key)
    except ValueError:  # nothing counted in this window
        pass
    except Exception as exc:
        logger.warning("rate limit %s not uncounted, cache unavailable: %s", scope, exc)


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


# --- The log-in lockout --------------------------------------------------------------------------

LOCKED_MESSAGE = "Too many failed attempts. Please wait a few minutes and try again, or reset your password."


def account_for(username: str):
    """The account a log-in name signs in to, found as the log-in form and the authentication
    backend find it (NFKC, then a case-insensitive match), or None."""
    name = unicodedata.normalize("NFKC", username.strip())
    User = get_user_model()
    return User._default_manager.filter(**{f"{User.USERNAME_FIELD}__iexact": name}).first()


class LoginThrottle:
    """LOGIN_MAX_FAILURES attempts per LOGIN_LOCKOUT_SECONDS for one account and for one
    address. Every attempt is counted before its password is checked, and the count decides in
    the same atomic step, so parallel attempts cannot all slip under the limit. A success
    clears the account's counter and takes its own attempt back off the address's counter."""

    def __init__(self, request, username: str):
        self.account = account_for(username)
        if self.account is not None:
            self.name_key = f"account:{self.account.pk}"
        else:  # no such account: every spelling that would name the same one shares a counter
            self.name_key = "name:" + unicodedata.normalize("NFKC", username.strip()).casefold()
        self.address_key = client_key(request)

    def admit(self) -> bool:
        limit, window = settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_SECONDS
        by_name = hit("login-user", self.name_key, limit=limit, window=window)
        by_address = hit("login-ip", self.address_key, limit=limit, window=window)
        return by_name and by_address

    def succeeded(self) -> None:
        window = settings.LOGIN_LOCKOUT_SECONDS
        reset("login-user", self.name_key, window=window)
        uncount("login-ip", self.address_key, window=window)


class ThrottledLoginMixin:
    """For Django's AuthenticationForm and its subclasses: the lockout comes before any
    password is checked. `refuse_before_password` lets a form turn an account away before that
    check (the admin's turns away accounts that are not staff)."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # a missing field: nothing is authenticated
        throttle = LoginThrottle(self.request, username)
        if not throttle.admit():
            raise ValidationError(LOCKED_MESSAGE, code="locked")
        self.refuse_before_password(throttle.account, password)
        cleaned = super().clean()
        throttle.succeeded()
        return cleaned

    def refuse_before_password(self, account, password: str) -> None:
        """Raise the form's invalid-login error to refuse `account` without checking `password`."""

    def refuse_without_checking(self, password: str):
        """The invalid-login error, after hashing the password once as a real check would, so
        that a refusal takes as long as a wrong password."""
        make_password(password)
        return self.get_invalid_login_error()

    @property
    def locked(self) -> bool:
        return self.has_error("__all__", "locked")

"""Project-wide views: health check and error pages."""

import logging
import time

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django_q.models import OrmQ, Success

from tiktok.schedules import SCHEDULES

logger = logging.getLogger(__name__)


def healthz(request):
    """200 or 503 with `{"ok": ...}` for anyone (load balancers, uptime checks); staff also get
    each dependency's state, error text, queue depth and the nightly jobs' last runs."""
    checks: dict[str, dict] = {}
    ok = True
    start = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as exc:  # any driver error means the dependency is down
        checks["database"] = {"ok": False, "error": str(exc)[:200]}
        ok = False
        logger.warning("healthz: database unavailable: %s", exc)
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = {"ok": cache.get("healthz") == "1"}
    except Exception as exc:
        checks["cache"] = {"ok": False, "error": str(exc)[:200]}
        logger.warning("healthz: cache unavailable: %s", exc)
    ok = ok and checks["cache"]["ok"]
    status = 200 if ok else 503
    if not (checks["database"]["ok"] and _is_staff(request)):
        # Error text names hosts and drivers, and job times tell when the site is busy: not for
        # everyone. (Without the database nobody can be known to be staff either.)
        response = JsonResponse({"ok": ok}, status=status)
    else:
        try:
            oldest = OrmQ.objects.order_by("id").values_list("lock", flat=True).first()
            lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
            checks["queue"] = {"ok": True, "depth": OrmQ.objects.count(), "lag_seconds": round(max(lag, 0.0), 1)}
        except Exception as exc:
            checks["queue"] = {"ok": False, "error": str(exc)[:200]}
        checks["nightly_jobs"] = _nightly_jobs()
        checks["elapsed_ms"] = round((time.monotonic() - start) * 1000, 1)
        response = JsonResponse({"ok": ok, "checks": checks}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _is_staff(request) -> bool:
    try:
        return bool(request.user.is_authenticated and request.user.is_staff)
    except DatabaseError:  # the session or the user could not be read
        return False


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def _nightly_jobs() -> dict:
    """When each daily job last succeeded (None: never). Informational: a fresh install has none."""
    result = {}
    for item in SCHEDULES:
        if item.daily_at:
            last = Success.objects.filter(func=item.func).order_by("-stopped").values_list("stopped", flat=True).first()
            result[item.func] = last.isoformat() if last else None
    return result

"""Request-wide concerns: a request id on every log line, and a proper 503 when the database is
unreachable (the app recovers by itself once it is back: connections are health-checked)."""

import contextvars
import json
import logging
import secrets

from django.db import OperationalError, close_old_connections
from django.shortcuts import render

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("tiktok.request")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record):
        payload = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        rid = incoming if incoming.isalnum() and len(incoming) <= 64 else secrets.token_hex(8)
        token = request_id_var.set(rid)
        request.request_id = rid
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = rid
        return response


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection into a 503 page with Retry-After instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except OperationalError as exc:
            return self._unavailable(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError):
            return self._unavailable(request, exception)
        return None

    def _unavailable(self, request, exc):
        logger.error("database unavailable: %s", exc)
        close_old_connections()
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "5"
        return response

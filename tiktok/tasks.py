"""Housekeeping jobs (thin: each calls one service)."""

from django.core.management import call_command


def clear_expired_sessions() -> None:
    # Django's clearsessions: nothing else ever removes the rows of expired sessions.
    call_command("clearsessions")

"""Queueing background jobs. Jobs are queued on commit, so a worker never sees a row that was
rolled back; long jobs (transcoding, video moderation, training) go to the "long" cluster.

`inline()` is for callers that want the whole pipeline done before they return (`ingest_video
--wait`, `seed_demo --wait`, tests): inside it, a queued job runs at once in this process, and a
retry runs at once instead of at its time."""

import contextlib
import contextvars
import logging
import uuid

from django.db import transaction
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

logger = logging.getLogger(__name__)

LONG = "long"
_inline: contextvars.ContextVar[bool] = contextvars.ContextVar("jobs_inline", default=False)


@contextlib.contextmanager
def inline():
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def running_inline() -> bool:
    return _inline.get()


def enqueue(func: str, *args, long: bool = False, **kwargs) -> None:
    """Queue `func` (a dotted path) once the current transaction commits."""
    if _inline.get():
        import_string(func)(*args, **kwargs)
        return
    options = {"cluster": LONG} if long else {}

    def _send():
        try:
            async_task(func, *args, q_options=options, **kwargs)
        except Exception as exc:  # the broker (Redis) is down: the row's state is what matters
            # Every job's state lives in database rows that a sweeper re-sends, so the request
            # that caused this job still succeeds and the work runs once the broker is back.
            logger.error("could not queue %s (the sweeper will send it again): %s", func, exc)

    transaction.on_commit(_send)


def enqueue_at(func: str, *args, when, long: bool = False) -> None:
    """Run `func` once at `when` (a retry after a back-off), through a one-off schedule row."""
    if _inline.get():
        import_string(func)(*args)
        return

    def _send():
        schedule(
            func,
            *args,
            name=f"{func.rsplit('.', 1)[-1]} {args[0] if args else ''} {uuid.uuid4().hex[:8]}",
            schedule_type=Schedule.ONCE,
            next_run=when,
            repeats=1,
            cluster=LONG if long else None,
        )

    transaction.on_commit(_send)

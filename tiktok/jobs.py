"""Queueing background jobs. Jobs are queued on commit, so a worker never sees a row that was
rolled back; long jobs (transcoding, video moderation, training) go to the "long" cluster."""

import logging

from django.db import transaction
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

LONG = "long"


def enqueue(func: str, *args, long: bool = False, **kwargs) -> None:
    """Queue `func` (a dotted path) once the current transaction commits."""
    options = {"cluster": LONG} if long else {}

    def _send():
        try:
            async_task(func, *args, q_options=options, **kwargs)
        except Exception as exc:  # the broker (Redis) is down: the row's state is what matters
            # Every job's state lives in database rows that a sweeper re-sends, so the request
            # that caused this job still succeeds and the work runs once the broker is back.
            logger.error("could not queue %s (the sweeper will send it again): %s", func, exc)

    transaction.on_commit(_send)

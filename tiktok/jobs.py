"""Queueing background jobs. Jobs are queued on commit, so a worker never sees a row that was
rolled back; long jobs (transcoding, video moderation, training) go to the "long" cluster."""

from django.db import transaction
from django_q.tasks import async_task

LONG = "long"


def enqueue(func: str, *args, long: bool = False, **kwargs) -> None:
    """Queue `func` (a dotted path) once the current transaction commits."""
    options = {"cluster": LONG} if long else {}

    def _send():
        async_task(func, *args, q_options=options, **kwargs)

    transaction.on_commit(_send)

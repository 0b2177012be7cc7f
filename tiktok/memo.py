"""A value each process computes at most once every few seconds.

For small, rarely edited tables that every feed page reads (the recommender's knobs, the
category list): a query per request costs more than the staleness is worth. Saving or deleting
a row of the model it is built from clears this process's copy at once (`forget_on_change`);
other processes pick the change up within the TTL."""

import threading
import time
from collections.abc import Callable

from django.db.models.signals import post_delete, post_save


class ProcessMemo:
    def __init__(self, load: Callable[[], object], ttl_s: float):
        self._load, self.ttl_s = load, ttl_s
        self._lock = threading.Lock()
        self._at, self._value, self._fresh = 0.0, None, False

    def get(self):
        now = time.monotonic()
        if not self._fresh or now - self._at > self.ttl_s:
            value = self._load()
            with self._lock:
                self._at, self._value, self._fresh = now, value, True
        return self._value

    def forget(self, **_signal_kwargs) -> None:
        with self._lock:
            self._fresh = False

    def forget_on_change(self, model) -> None:
        """Clear this process's copy whenever a row of `model` is saved or deleted."""
        uid = f"memo-{id(self)}-{model._meta.label}"
        post_save.connect(self.forget, sender=model, weak=False, dispatch_uid=f"{uid}-saved")
        post_delete.connect(self.forget, sender=model, weak=False, dispatch_uid=f"{uid}-deleted")

"""The active recommender artifact, loaded once per process and swapped when a newer
ModelVersion is activated. Which version is active is checked at most every few seconds (a
cached id), so a feed request deserialises nothing."""

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tiktok.artifacts import artifact_local
from tiktok.models import ModelVersion

log = logging.getLogger(__name__)
CHECK_EVERY_S = 10.0


@dataclass
class Model:
    version_id: int
    video_ids: np.ndarray  # sorted; position i is video video_ids[i]
    arrays: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def positions(self, ids) -> np.ndarray:
        """Positions of these video ids in the model (-1 where unknown)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.video_ids) or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.searchsorted(self.video_ids, ids)
        pos = np.minimum(pos, len(self.video_ids) - 1)
        return np.where(self.video_ids[pos] == ids, pos, -1)


_lock = threading.Lock()
_state = {"model": None, "checked": 0.0, "active_id": None}


def load_artifact(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def active_model() -> Model | None:
    """The active model, or None when none was trained yet."""
    now = time.monotonic()
    if now - _state["checked"] < CHECK_EVERY_S:
        return _state["model"]
    row = (
        ModelVersion.objects.filter(kind="recommender", active=True)
        .order_by("-activated_at", "-id")
        .values("id", "artifact_path", "params")
        .first()
    )
    with _lock:
        _state["checked"] = now
        if row is None:
            _state["model"], _state["active_id"] = None, None
        elif row["id"] != _state["active_id"]:
            try:
                arrays = load_artifact(artifact_local(row["artifact_path"]))
            except OSError as exc:
                log.error("recommender artifact %s unreadable: %s", row["artifact_path"], exc)
                return _state["model"]
            _state["model"] = Model(row["id"], arrays.pop("video_ids"), arrays, row["params"] or {})
            _state["active_id"] = row["id"]
            log.info("recommender model %s loaded", row["id"])
    return _state["model"]


def forget() -> None:
    """Drop the cached model (tests; a process that switched databases)."""
    with _lock:
        _state.update(model=None, checked=0.0, active_id=None)

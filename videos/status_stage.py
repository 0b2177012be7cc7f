"""Where a video is on its way to being published, in words, for the creator's status page:
the stage (checking, converting 720p / 360p, moderating), the overall percent and an estimate
of the time left, read from the video's state and its Encoding rows."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from videos.models import Encoding, Video

# The steps the page lists, in order; "uploading" is over by the time the status page exists.
STEPS = (
    ("uploading", "Uploading"),
    ("checking", "Checking the file"),
    ("converting 720p", "Converting to 720p"),
    ("converting 360p", "Converting to 360p"),
    ("moderating", "Moderating"),
)
# No estimate before this much of the work is done: the first seconds say little about the rest.
ESTIMATE_FROM = 0.05


@dataclass(frozen=True)
class Stage:
    key: str  # "checking", "converting 720p", "moderating", "done", "failed"
    label: str
    percent: int  # of the conversion, 0-100
    seconds_left: int | None  # an estimate while converting, else None
    steps: tuple  # (key, label, "done" | "current" | "todo") for each of STEPS

    @property
    def time_left(self) -> str:
        if self.seconds_left is None:
            return ""
        if self.seconds_left < 60:
            return f"about {max(5, round(self.seconds_left / 5) * 5)} s left"
        return f"about {round(self.seconds_left / 60)} min left"


def _steps(current: set[str], finished: set[str]) -> tuple:
    return tuple(
        (key, label, "done" if key in finished else "current" if key in current else "todo") for key, label in STEPS
    )


def video_stage(*, video: Video, now: datetime | None = None) -> Stage:
    now = now or timezone.now()
    encodings = list(video.encodings.all())
    done = {f"converting {e.rendition}" for e in encodings if e.status == Encoding.Status.DONE}
    values = [1.0 if e.status == Encoding.Status.DONE else e.progress for e in encodings]
    fraction = sum(values) / len(values) if values else 0.0
    percent = int(100 * fraction)
    if video.processing == Video.Processing.FAILED:
        return Stage("failed", "Processing failed", percent, None, _steps(set(), {"uploading"}))
    if video.processing in (Video.Processing.RECEIVED, Video.Processing.PROBING):
        return Stage("checking", "Checking the file", 0, None, _steps({"checking"}, {"uploading"}))
    if video.processing == Video.Processing.TRANSCODING:
        running = sorted((e.rendition for e in encodings if e.status != Encoding.Status.DONE), key=_rendition_order)
        running = running or ["720p"]
        current = {f"converting {r}" for r in running}
        started = [e.claimed_at for e in encodings if e.claimed_at]
        seconds_left = None
        if started and fraction >= ESTIMATE_FROM:
            elapsed = (now - min(started)).total_seconds()
            seconds_left = int(elapsed * (1 - fraction) / fraction)
        steps = _steps(current, {"uploading", "checking", *done})
        label = "Converting to " + " and ".join(running)
        return Stage(f"converting {running[0]}", label, percent, seconds_left, steps)
    converted = {"uploading", "checking", "converting 720p", "converting 360p"}
    if video.moderation == Video.Moderation.PENDING:
        return Stage("moderating", "Moderating", 100, None, _steps({"moderating"}, converted))
    return Stage("done", "Done", 100, None, _steps(set(), {*converted, "moderating"}))


def _rendition_order(rendition: str) -> int:
    return -int(rendition.rstrip("p") or 0)

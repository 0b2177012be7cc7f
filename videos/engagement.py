"""Engagement: the player's events (impressions, plays, watch time, skips, replays), views counted
once per viewer, shares, "not interested", and the events that likes, comments and follows
record. Every stored event is announced with videos.signals.engagement_recorded (the
recommender's real-time profile listens). Counters change only by increments in the database,
in the transaction that stored the event."""

import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from tiktok.errors import Refused
from tiktok.prepared import Prepared, instance, row_insert, row_update
from videos.interactions import check_not_blocked, rate_limit_hit, require_actor, retry_on_lock, viewer_key
from videos.models import EngagementEvent, NotInterested, Video, VideoView
from videos.selectors import blocked_between_creator, watchable_videos
from videos.signals import engagement_recorded

# Events the player may send; the others are recorded by the action that causes them.
CLIENT_EVENT_KINDS = {"impression", "play", "watch", "skip", "replay"}


SLOTS = {"", "ranked", "explore", "trending", "following", "again", "watch", "profile", "search"}


# A watch event describes one viewing (a loop starts a new one): it cannot run much past the end.
WATCH_SLACK_RATIO = 1.1


WATCH_SLACK_SECONDS = 2.0


COMPLETION_MAX = 1.1


def share_record(*, user, session_key: str, video: Video, slot: str = "") -> int:
    if rate_limit_hit(key=f"share:{viewer_key(user=user, session_key=session_key)}", limit=30, window_s=60):
        raise Refused("Too many shares; wait a minute.", status=429)
    if user is not None and user.is_authenticated:
        check_not_blocked(user=user, video=video)
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).update(share_count=F("share_count") + 1)
        record_event(user=user, session_key=session_key, video=video, kind="share", slot=slot)
    return Video.objects.filter(pk=video.pk).values_list("share_count", flat=True).get()


def not_interested_mark(*, user, video: Video, slot: str = "", session_key: str = "") -> None:
    require_actor(user)
    video_hide_from_feed(user=user, video=video, slot=slot, session_key=session_key)


def video_hide_from_feed(*, user, video: Video, slot: str = "", session_key: str = "") -> None:
    """The video never shows in this person's feed again (they said "not interested", or
    reported it); recorded once, as a negative signal for the recommender."""
    try:
        with transaction.atomic():
            NotInterested.objects.create(user=user, video=video)
    except IntegrityError:
        return  # already marked: the signal was recorded the first time
    record_event(user=user, session_key=session_key, video=video, kind="not_interested", slot=slot)


def _view_seen_again(*, key: str, video: Video) -> bool:
    """Refresh the history's time of an existing view; False when this viewer has none yet."""
    return bool(
        row_update(VideoView, {"video_id": video.pk, "viewer_key": key}, set_to={"last_seen_at": timezone.now()})
    )


def _view_insert(*, key: str, user, video: Video) -> bool:
    """A play's first view (see events_record). Inside a transaction that already raised the
    video's view_count (the counter's row lock before the child insert, see _set_flag): add the
    view row, or take the count back when a concurrent first play of the same viewer won."""
    uid = user.pk if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            row_insert(VideoView, video_id=video.pk, viewer_key=key, user_id=uid)
    except IntegrityError:
        row_update(Video, {"id": video.pk}, add={"view_count": -1})
        return False
    return True


def record_event(*, user, session_key: str, video: Video, kind: str, slot: str = "", watch_seconds=0.0, completion=0.0):
    # The player sends several events a second per viewer: one prepared INSERT, no ORM compile.
    event = row_insert(
        EngagementEvent,
        user=user if user is not None and user.is_authenticated else None,
        session_key="" if user is not None and user.is_authenticated else (session_key or "")[:40],
        video=video,
        kind=kind,
        slot=slot if slot in SLOTS else "",
        watch_seconds=watch_seconds,
        completion=completion,
    )
    # The viewer's profile follows in the same request (recommendations listens).
    engagement_recorded.send(sender=EngagementEvent, event=event)
    return event


def follow_event_record(*, user, session_key: str, video: Video, slot: str = ""):
    """A follow made from a video's card: a strong positive signal for that video."""
    return record_event(user=user, session_key=session_key, video=video, kind="follow", slot=slot)


def _number(raw, name: str) -> float:
    if raw in (None, ""):
        return 0.0
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise Refused(f"{name} must be a number.") from None
    if not math.isfinite(value):
        raise Refused(f"{name} must be a finite number.")
    return value


def _event_video_query(public_id, user_id):
    return (
        watchable_videos()
        .filter(public_id=public_id)
        .annotate(blocked=blocked_between_creator(user_id=user_id))
        .values_list("pk", "creator_id", "duration", "blocked")[:1]
    )


# The beacon's one read, compiled once per process (the player sends one every few seconds).
_event_video = Prepared(_event_video_query, public_id=str, user_id=int)


def events_record(*, user, session_key: str, public_id: str, kind: str, watch_seconds=None, completion=None, slot=""):
    """Validate and store one event the player sent, update the video's aggregates, and feed
    the viewer's profile. Forged values are refused whole, nothing stored."""
    if not session_key and (user is None or not user.is_authenticated):
        raise Refused("No session.", status=403)
    if kind not in CLIENT_EVENT_KINDS:
        raise Refused(f"Unknown event kind {kind!r}.")
    slot = slot or ""
    if slot not in SLOTS:
        raise Refused(f"Unknown slot {slot!r}.")
    seconds = _number(watch_seconds, "watch_seconds")
    ratio = _number(completion, "completion")
    key = viewer_key(user=user, session_key=session_key)
    if rate_limit_hit(key=f"events:{key}", limit=settings.EVENTS_RATE_PER_MINUTE, window_s=60):
        raise Refused("Too many events; slow down.", status=429)
    # One query: the few columns needed, and whether a block stands between viewer and creator.
    found = _event_video.rows(public_id=str(public_id)[:40], user_id=user.pk if user and user.is_authenticated else 0)
    video = instance(Video, ["id", "creator_id", "duration"], found[0][:3]) if found else None
    if video is None or found[0][3]:
        raise Refused("No such video.", status=404)
    duration = video.duration or 0.0
    if seconds < 0 or ratio < 0:
        raise Refused("Values cannot be negative.")
    if seconds > duration * WATCH_SLACK_RATIO + WATCH_SLACK_SECONDS:
        raise Refused(f"watch_seconds {seconds:g} is beyond the video's {duration:g} s.")
    if ratio > COMPLETION_MAX:
        raise Refused(f"completion {ratio:g} is out of range 0..{COMPLETION_MAX:g}.")
    if kind != "watch" and kind != "skip" and (seconds or ratio):
        raise Refused(f"A {kind} event carries no watch time.")

    bump = {
        "impression": {"impression_count": 1},
        "play": {"play_count": 1},
        "watch": {"watch_seconds_sum": seconds, "completion_sum": min(ratio, 1.0)},
    }.get(kind)

    # A play is also a view: counted once per viewer; later plays refresh the history's time.
    first_view = kind == "play" and not _view_seen_again(key=key, video=video)

    def run():
        with transaction.atomic():
            # The video row's exclusive lock first: inserting the event takes a shared lock on
            # it (the foreign key), and two requests that each held that shared lock and then
            # asked for the exclusive one would deadlock on InnoDB.
            counters = dict(bump or {})
            if first_view:
                counters["view_count"] = 1
            if counters:
                row_update(Video, {"id": video.pk}, add=counters)
            if first_view:
                _view_insert(key=key, user=user, video=video)
            return record_event(
                user=user,
                session_key=session_key,
                video=video,
                kind=kind,
                slot=slot,
                watch_seconds=seconds,
                completion=ratio,
            )

    return retry_on_lock(run)


def video_events_summary(*, video: Video) -> dict[str, int]:
    """This video's event counts by kind (served by the (video, kind) index)."""
    rows = EngagementEvent.objects.filter(video=video).values("kind").annotate(n=Count("pk"))
    return {r["kind"]: r["n"] for r in rows}


def recent_events(*, user, limit: int = 50):
    """This viewer's most recent events (served by the (user, -created_at) index)."""
    return list(EngagementEvent.objects.filter(user=user).order_by("-created_at")[:limit])

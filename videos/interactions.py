"""Viewer writes: likes, favourites, comments, shares, "not interested", engagement events,
views and notifications. Counters on Video change only by increments in the database (`F()`, or
`row_update(add=...)` on the beacon's path) in the transaction that changed the row they count,
so they stay equal to the rows under concurrency."""

import logging
import math
import time

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.services import notification_send
from tiktok import gate, ratelimit
from tiktok.errors import Refused
from tiktok.prepared import Prepared, instance, row_insert, row_update
from videos.models import Comment, EngagementEvent, Favourite, Like, NotInterested, Video, VideoView
from videos.selectors import blocked_between_creator, is_blocked_between, watchable_videos
from videos.signals import engagement_recorded

log = logging.getLogger(__name__)

COMMENT_MAX_CHARS = 2000


# Events the player may send; the others are recorded by the action that causes them.
CLIENT_EVENT_KINDS = {"impression", "play", "watch", "skip", "replay"}
SLOTS = {"", "ranked", "explore", "trending", "following", "watch", "profile", "search"}
# A watch event describes one viewing (a loop starts a new one): it cannot run much past the end.
WATCH_SLACK_RATIO = 1.1
WATCH_SLACK_SECONDS = 2.0
COMPLETION_MAX = 1.1


def viewer_key(*, user, session_key: str) -> str:
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return f"s:{session_key}"


def _retry_on_lock(fn, attempts: int = 6):
    """Run a short write transaction again when the database reports a deadlock or lock timeout
    (InnoDB under concurrent likes; SQLite's busy timeout) instead of failing the request."""
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            code = exc.args[0] if exc.args else None
            retryable = code in (1205, 1213) or "locked" in str(exc).lower() or "deadlock" in str(exc).lower()
            if not retryable or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None


def rate_limit_hit(*, key: str, limit: int, window_s: int) -> bool:
    """True when this call goes over `limit` per `window_s` (the shared-cache limiter)."""
    return not ratelimit.hit("viewer", key, limit=limit, window=window_s)


def _watch_url(video: Video) -> str:
    return reverse("videos:watch", args=[video.public_id])


def _quote(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# --- Likes and favourites ---------------------------------------------------------------------


def _require_actor(user) -> None:
    if user is None or not user.is_authenticated:
        raise Refused("Log in to do that.", status=403)
    if user.is_restricted:
        raise Refused("Your account is restricted.", status=403)


def _set_flag(*, model, counter: str, user, video: Video, on: bool) -> bool:
    """Create or delete the (user, video) row and move the counter by what actually changed.
    Returns whether the row now exists."""

    def run():
        with transaction.atomic():
            # Lock the video row before touching the child row: the insert's foreign-key check
            # takes a shared lock on it, and shared-then-exclusive in two requests deadlocks.
            list(Video.objects.select_for_update().filter(pk=video.pk).values_list("pk", flat=True))
            if not on:
                deleted, _ = model.objects.filter(user=user, video=video).delete()
                if deleted:
                    Video.objects.filter(pk=video.pk).update(**{counter: F(counter) - deleted})
                return False
            try:
                with transaction.atomic():
                    model.objects.create(user=user, video=video)
            except IntegrityError:
                return True  # already there (a concurrent request won): nothing to count
            Video.objects.filter(pk=video.pk).update(**{counter: F(counter) + 1})
            return True

    return _retry_on_lock(run)


def like_set(*, user, video: Video, liked: bool, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    """Like or unlike; idempotent. Returns (liked now, like count)."""
    _require_actor(user)
    _check_not_blocked(user=user, video=video)
    existed = Like.objects.filter(user=user, video=video).exists()
    now = _set_flag(model=Like, counter="like_count", user=user, video=video, on=liked)
    if now != existed:
        _event(user=user, session_key=session_key, video=video, kind="like" if now else "unlike", slot=slot)
        if now:
            notification_send(
                recipient=video.creator,
                actor=user,
                kind=Notification.Kind.LIKE,
                text=f"{user.name} liked your video “{_quote(video.title)}”",
                url=_watch_url(video),
                dedupe_hours=24,
            )
    count = Video.objects.filter(pk=video.pk).values_list("like_count", flat=True).get()
    return now, count


def like_toggle(*, user, video: Video, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    liked = Like.objects.filter(user=user, video=video).exists() if user and user.is_authenticated else False
    return like_set(user=user, video=video, liked=not liked, slot=slot, session_key=session_key)


def favourite_set(*, user, video: Video, on: bool, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    _require_actor(user)
    _check_not_blocked(user=user, video=video)
    existed = Favourite.objects.filter(user=user, video=video).exists()
    now = _set_flag(model=Favourite, counter="favourite_count", user=user, video=video, on=on)
    if now and not existed:
        _event(user=user, session_key=session_key, video=video, kind="favourite", slot=slot)
    count = Video.objects.filter(pk=video.pk).values_list("favourite_count", flat=True).get()
    return now, count


def favourite_toggle(*, user, video: Video, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    on = Favourite.objects.filter(user=user, video=video).exists() if user and user.is_authenticated else False
    return favourite_set(user=user, video=video, on=not on, slot=slot, session_key=session_key)


def _check_not_blocked(*, user, video: Video) -> None:
    if is_blocked_between(user=user, other=video.creator):
        raise Refused("No such video.", status=404)


# --- Comments ---------------------------------------------------------------------------------


def comment_count_refresh(*, video: Video) -> None:
    """Recount the comments others can see (published, not hidden); call after a comment's
    state changes (moderation) so the count never shows comments nobody can read."""
    visible = (
        Comment.objects.filter(video=OuterRef("pk"), state=Comment.State.PUBLISHED, hidden=False)
        .order_by()
        .values("video")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Video.objects.filter(pk=video.pk).update(comment_count=Coalesce(Subquery(visible), 0))


def comment_published_notify(*, comment: Comment) -> None:
    """Tell the creator (and, for a reply, the thread's top author) about a comment once others
    can read it; the moderation path calls this when it publishes a held comment. A block made
    while the comment was held is honoured here too: `notification_send` drops anything whose
    actor and recipient are blocked either way."""
    video = comment.video
    url = _watch_url(video)
    text = _quote(comment.text)
    if comment.parent_id:
        notification_send(
            recipient=comment.parent.author,
            actor=comment.author,
            kind=Notification.Kind.REPLY,
            text=f"{comment.author.name} replied: “{text}”",
            url=url,
        )
    if not comment.parent_id or comment.parent.author_id != video.creator_id:
        notification_send(
            recipient=video.creator,
            actor=comment.author,
            kind=Notification.Kind.COMMENT,
            text=f"{comment.author.name} commented on “{_quote(video.title, 40)}”: “{text}”",
            url=url,
        )


def comment_apply_moderation(*, comment: Comment, state: str) -> Comment:
    """Set a comment's state from a moderation decision (the only writer of `Comment.state`):
    the counts follow, and a comment others can now read is announced to the people it concerns."""
    if state not in Comment.State.values:
        raise ValueError(f"unknown comment state {state!r}")
    was_published = comment.state == Comment.State.PUBLISHED
    comment.state = state
    comment.save(update_fields=["state"])
    comment_count_refresh(video=comment.video)
    if state == Comment.State.PUBLISHED and not was_published:
        comment_published_notify(comment=comment)
    return comment


def comment_post(*, user, video: Video, text: str, parent_id=None, slot: str = "", session_key: str = "") -> Comment:
    """Create a comment (held) and hand it to the content gate, which decides it at once; the
    returned comment carries its state. A gate that fails leaves it held."""
    _require_actor(user)
    _check_not_blocked(user=user, video=video)
    if not video.allow_comments:
        raise Refused("Comments are turned off for this video.", status=403)
    text = (text or "").strip()
    if not text:
        raise Refused("Write something first.")
    if len(text) > COMMENT_MAX_CHARS:
        raise Refused(f"A comment can be at most {COMMENT_MAX_CHARS:,} characters ({len(text):,} given).")
    if rate_limit_hit(key=f"comment:{user.pk}", limit=settings.COMMENT_RATE_PER_MINUTE, window_s=60):
        raise Refused("You are commenting too fast; wait a minute.", status=429)
    parent = None
    if parent_id not in (None, ""):
        try:
            parent = Comment.objects.select_related("author").get(pk=int(parent_id), video=video)
        except (ValueError, TypeError, Comment.DoesNotExist):
            raise Refused("The comment you reply to does not exist.", status=404) from None
        # One level of replies: an answer to a reply goes to the thread's top comment, so it lands
        # in that comment's thread and its author's inbox. The person answered and the thread's
        # owner must both be readable, and a block with either refuses the reply, with the same
        # answer as a comment that does not exist (a block is not announced).
        top = parent
        if parent.parent_id:
            top = Comment.objects.select_related("author").get(pk=parent.parent_id)
        for answered in {parent, top}:
            if answered.author_id != user.pk and (answered.state != Comment.State.PUBLISHED or answered.hidden):
                raise Refused("The comment you reply to does not exist.", status=404)
            if is_blocked_between(user=user, other=answered.author):
                raise Refused("The comment you reply to does not exist.", status=404)
        parent = top
    with transaction.atomic():
        comment = Comment.objects.create(video=video, author=user, parent=parent, text=text, state=Comment.State.HELD)
        gate.comment_created(comment=comment)
        comment.refresh_from_db(fields=["state"])
        _event(user=user, session_key=session_key, video=video, kind="comment", slot=slot)
    return comment


def comment_delete(*, user, comment: Comment) -> None:
    """Authors delete their own comments and creators any on their videos. Moderators remove
    others' comments in the admin's comment queue, where the removal is a recorded decision."""
    _require_actor(user)
    video = comment.video
    if user.pk not in (comment.author_id, video.creator_id):
        raise Refused("You can only delete your own comments or comments on your videos.", status=403)
    with transaction.atomic():
        comment.delete()
        comment_count_refresh(video=video)


# --- Shares, not interested, views ------------------------------------------------------------


def share_record(*, user, session_key: str, video: Video, slot: str = "") -> int:
    if rate_limit_hit(key=f"share:{viewer_key(user=user, session_key=session_key)}", limit=30, window_s=60):
        raise Refused("Too many shares; wait a minute.", status=429)
    if user is not None and user.is_authenticated:
        _check_not_blocked(user=user, video=video)
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).update(share_count=F("share_count") + 1)
        _event(user=user, session_key=session_key, video=video, kind="share", slot=slot)
    return Video.objects.filter(pk=video.pk).values_list("share_count", flat=True).get()


def not_interested_mark(*, user, video: Video, slot: str = "", session_key: str = "") -> None:
    _require_actor(user)
    video_hide_from_feed(user=user, video=video, slot=slot, session_key=session_key)


def video_hide_from_feed(*, user, video: Video, slot: str = "", session_key: str = "") -> None:
    """The video never shows in this person's feed again (they said "not interested", or
    reported it); recorded once, as a negative signal for the recommender."""
    try:
        with transaction.atomic():
            NotInterested.objects.create(user=user, video=video)
    except IntegrityError:
        return  # already marked: the signal was recorded the first time
    _event(user=user, session_key=session_key, video=video, kind="not_interested", slot=slot)


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


# --- Engagement events ------------------------------------------------------------------------


def _event(*, user, session_key: str, video: Video, kind: str, slot: str = "", watch_seconds=0.0, completion=0.0):
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
    return _event(user=user, session_key=session_key, video=video, kind="follow", slot=slot)


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
            return _event(
                user=user,
                session_key=session_key,
                video=video,
                kind=kind,
                slot=slot,
                watch_seconds=seconds,
                completion=ratio,
            )

    return _retry_on_lock(run)


def video_events_summary(*, video: Video) -> dict[str, int]:
    """This video's event counts by kind (served by the (video, kind) index)."""
    rows = EngagementEvent.objects.filter(video=video).values("kind").annotate(n=Count("pk"))
    return {r["kind"]: r["n"] for r in rows}


def recent_events(*, user, limit: int = 50):
    """This viewer's most recent events (served by the (user, -created_at) index)."""
    return list(EngagementEvent.objects.filter(user=user).order_by("-created_at")[:limit])

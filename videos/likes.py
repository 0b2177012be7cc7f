"""Likes and favourites: one row per (person, video), and a counter on the video moved by what
actually changed, under the video row's lock."""

from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import Notification
from accounts.services import notification_send
from videos.engagement import record_event
from videos.interactions import check_not_blocked, quote, require_actor, retry_on_lock, watch_url
from videos.models import Favourite, Like, Video


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

    return retry_on_lock(run)


def like_set(*, user, video: Video, liked: bool, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    """Like or unlike; idempotent. Returns (liked now, like count)."""
    require_actor(user)
    check_not_blocked(user=user, video=video)
    existed = Like.objects.filter(user=user, video=video).exists()
    now = _set_flag(model=Like, counter="like_count", user=user, video=video, on=liked)
    if now != existed:
        record_event(user=user, session_key=session_key, video=video, kind="like" if now else "unlike", slot=slot)
        if now:
            notification_send(
                recipient=video.creator,
                actor=user,
                kind=Notification.Kind.LIKE,
                text=f"{user.name} liked your video “{quote(video.title)}”",
                url=watch_url(video),
                dedupe_hours=24,
            )
    count = Video.objects.filter(pk=video.pk).values_list("like_count", flat=True).get()
    return now, count


def like_toggle(*, user, video: Video, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    liked = Like.objects.filter(user=user, video=video).exists() if user and user.is_authenticated else False
    return like_set(user=user, video=video, liked=not liked, slot=slot, session_key=session_key)


def favourite_set(*, user, video: Video, on: bool, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    require_actor(user)
    check_not_blocked(user=user, video=video)
    existed = Favourite.objects.filter(user=user, video=video).exists()
    now = _set_flag(model=Favourite, counter="favourite_count", user=user, video=video, on=on)
    if now and not existed:
        record_event(user=user, session_key=session_key, video=video, kind="favourite", slot=slot)
    count = Video.objects.filter(pk=video.pk).values_list("favourite_count", flat=True).get()
    return now, count


def favourite_toggle(*, user, video: Video, slot: str = "", session_key: str = "") -> tuple[bool, int]:
    on = Favourite.objects.filter(user=user, video=video).exists() if user and user.is_authenticated else False
    return favourite_set(user=user, video=video, on=not on, slot=slot, session_key=session_key)

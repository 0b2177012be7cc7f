"""Reads about videos. `listable_videos` and `watchable_videos` are the only definitions of
what others may see; every read path starts from one of them."""

import logging

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)

from accounts.models import Block, Follow, User
from tiktok.memo import ProcessMemo
from tiktok.prepared import Prepared, columns, instance
from videos import search_index
from videos.models import Category, Comment, EngagementEvent, Favourite, Hashtag, Like, Video, VideoView

logger = logging.getLogger(__name__)

LISTABLE = Q(
    processing=Video.Processing.READY,
    moderation=Video.Moderation.APPROVED,
    visibility=Video.Visibility.PUBLIC,
    hidden=False,
    deleted_at__isnull=True,
    creator__banned_at__isnull=True,
)
WATCHABLE = Q(
    processing=Video.Processing.READY,
    moderation=Video.Moderation.APPROVED,
    visibility__in=[Video.Visibility.PUBLIC, Video.Visibility.UNLISTED],
    hidden=False,
    deleted_at__isnull=True,
    creator__banned_at__isnull=True,
)


def listable_videos() -> QuerySet[Video]:
    return Video.objects.filter(LISTABLE)


def watchable_videos() -> QuerySet[Video]:
    return Video.objects.filter(WATCHABLE)


# The video review queue's permission (moderation's VideoReview proxy model): a permission
# string names it without importing moderation.
HIDDEN_VIDEO_PERMISSION = "moderation.view_videoreview"


def staff_may_view_hidden(user, permission: str = HIDDEN_VIDEO_PERMISSION) -> bool:
    """Whether this account may see, as a moderator, what is not public: active staff holding
    `permission` and, when STAFF_2FA is on, with a second factor verified in this session
    (django-otp's middleware gives the request's user `is_verified`; a user without it counts
    as unverified). Staff status alone opens nothing. The one rule for every kind of item; each
    caller names the permission of the queue where that kind is decided, and logs the view."""
    if user is None or not user.is_authenticated or not user.is_staff or not user.has_perm(permission):
        return False
    return not settings.STAFF_2FA or bool(getattr(user, "is_verified", lambda: False)())


def _why_not_public(video: Video) -> str:
    reasons = []
    if video.visibility == Video.Visibility.PRIVATE:
        reasons.append("private")
    if video.moderation != Video.Moderation.APPROVED:
        reasons.append(f"moderation {video.moderation}")
    if video.processing != Video.Processing.READY:
        reasons.append(f"processing {video.processing}")
    if video.hidden:
        reasons.append("hidden")
    if video.creator.banned_at is not None:
        reasons.append("creator banned")
    return ", ".join(reasons)


def _may_watch(video: Video, user) -> bool:
    """Watchable by link, or the creator's own, or a moderator's look (`staff_may_view_hidden`
    with the review queue's permission), which is logged: who, which video, why it is not public."""
    if video.is_watchable and video.creator.banned_at is None:
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.pk == video.creator_id:
        return True
    if not staff_may_view_hidden(user):
        return False
    logger.info(
        "staff %s viewed video %s, which is not public (%s)", user.username, video.public_id, _why_not_public(video)
    )
    return True


def video_for_viewer(*, public_id: str, user) -> Video | None:
    """The video if this viewer may watch it: watchable by link, or the creator's own, or a
    moderator's (see `_may_watch`)."""
    video = Video.objects.select_related("creator").filter(public_id=public_id, deleted_at__isnull=True).first()
    return video if video is not None and _may_watch(video, user) else None


# --- Viewer reads (feed cards, comments, profiles, discovery) -------------------------------
# Everything below starts from listable_videos()/watchable_videos() and additionally hides the
# content of users blocked in either direction.


def blocked_user_ids(*, user) -> set[int]:
    """Users this viewer blocked or who blocked this viewer: neither sees the other."""
    if user is None or not user.is_authenticated:
        return set()
    rows = Block.objects.filter(Q(blocker=user) | Q(blocked=user)).values_list("blocker_id", "blocked_id")
    return {other for pair in rows for other in pair if other != user.pk}


def is_blocked_between(*, user, other) -> bool:
    if user is None or not user.is_authenticated or other is None or user.pk == other.pk:
        return False
    return Block.objects.filter(Q(blocker=user, blocked=other) | Q(blocker=other, blocked=user)).exists()


def blocked_between_creator(*, user_id: int):
    """An expression for annotating videos: True where a block stands between this viewer and
    the video's creator (a signed-out viewer's `user_id` is 0, which no block names)."""
    return Exists(
        Block.objects.filter(
            Q(blocker_id=user_id, blocked=OuterRef("creator_id"))
            | Q(blocker=OuterRef("creator_id"), blocked_id=user_id)
        )
    )


def visible_to(qs: QuerySet[Video], *, user) -> QuerySet[Video]:
    blocked = blocked_user_ids(user=user)
    return qs.exclude(creator_id__in=blocked) if blocked else qs


def video_with_creator(video_names, creator_names, row) -> Video:
    """A video and its creator from one row (`video_names` columns, then `creator_names`, then
    anything else), as `select_related("creator").only(...)` builds them."""
    n, m = len(video_names), len(creator_names)
    video = instance(Video, video_names, row[:n])
    Video.creator.field.set_cached_value(video, instance(User, creator_names, row[n : n + m]))
    return video


# (video id, category id) pairs for a list of videos: the profile update and every feed page.
category_pairs = Prepared(
    lambda video_ids: Video.categories.through.objects.filter(video_id__in=video_ids).values_list(
        "video_id", "category_id"
    ),
    video_ids=list,
)


def _actor_video_query(public_id, user_id):
    return (
        Video.objects.filter(public_id=public_id, deleted_at__isnull=True)
        .annotate(blocked=blocked_between_creator(user_id=user_id))
        .values_list(*columns(Video), *(f"creator__{c}" for c in columns(User)), "blocked")[:1]
    )


# Every like, favourite, share and comment panel starts here: compiled once per process.
_actor_video = Prepared(_actor_video_query, public_id=str, user_id=int)


def video_for_actor(*, public_id: str, user) -> Video | None:
    """The video if this viewer may see and act on it: `video_for_viewer` minus blocked creators
    (one query: the video, its creator, and whether a block stands between them and the viewer)."""
    signed_in = user is not None and user.is_authenticated
    found = _actor_video.rows(public_id=str(public_id)[:40], user_id=user.pk if signed_in else 0)
    if not found:
        return None
    row = found[0]
    video = video_with_creator(columns(Video), columns(User), row)
    blocked = row[-1]  # a block stands between the viewer and the creator, either way
    return video if not blocked and _may_watch(video, user) else None


def with_card_relations(qs: QuerySet[Video]) -> QuerySet[Video]:
    return qs.select_related("creator").prefetch_related("categories")


def _flags_query(user_id, video_ids, creator_ids=None):
    parts = [
        Like.objects.filter(user_id=user_id, video_id__in=video_ids).values_list(Value("liked"), "video_id"),
        Favourite.objects.filter(user_id=user_id, video_id__in=video_ids).values_list(Value("favourited"), "video_id"),
    ]
    if creator_ids is not None:
        parts.append(
            Follow.objects.filter(follower_id=user_id, followee_id__in=creator_ids).values_list(
                Value("following"), "followee_id"
            )
        )
    return parts[0].union(*parts[1:], all=True)


# Every page of cards asks: compiled once per process (see tiktok.prepared).
_flags = Prepared(_flags_query, user_id=int, video_ids=list, creator_ids=list)
_flags_without_follows = Prepared(_flags_query, user_id=int, video_ids=list)


def viewer_flags(*, user, videos, followed: set[int] | None = None) -> dict[str, set[int]]:
    """Batch "liked / favourited by me" and "I follow the creator" for a page of cards: one
    query however many cards there are (`followed`, when the caller knows it, spares the
    follow lookup)."""
    flags = {"liked": set(), "favourited": set(), "following": set()}
    videos = list(videos)
    if user is None or not user.is_authenticated or not videos:
        return flags
    ids = [v.pk for v in videos]
    creators = {v.creator_id for v in videos}
    if followed is None:
        rows = _flags.rows(user_id=user.pk, video_ids=ids, creator_ids=list(creators))
    else:
        rows = _flags_without_follows.rows(user_id=user.pk, video_ids=ids)
        flags["following"] = creators & followed
    for flag, pk in rows:
        flags[flag].add(int(pk))
    return flags


def _category_load() -> dict:
    return {c.pk: c for c in Category.objects.all()}


# Categories are few and rarely edited: each process keeps the table for a minute.
category_memo = ProcessMemo(_category_load, ttl_s=60.0)


def category_table() -> dict:
    """Every category by id (active or not: a video keeps showing the ones it has)."""
    return category_memo.get()


def following_videos(*, user, offset: int = 0, limit: int = 10) -> list[Video]:
    """Followed creators' listable videos, newest first."""
    qs = (
        listable_videos()
        .filter(creator__follower_set__follower=user)
        .exclude(creator_id__in=blocked_user_ids(user=user))
        .order_by("-published_at", "-pk")
    )
    return list(with_card_relations(qs)[offset : offset + limit])


REPLIES_SHOWN = 3  # replies under each comment in the panel; the rest come a page at a time
REPLIES_PAGE_SIZE = 20  # replies per "more replies" page


def _comments_shown(user) -> Q:
    """Others see published, non-hidden comments; authors also see their own in any state."""
    shown = Q(state=Comment.State.PUBLISHED, hidden=False)
    if user is not None and user.is_authenticated:
        shown |= Q(author=user)
    return shown


def comments_for_video(*, video: Video, user, before: int | None = None, limit: int = 20):
    """Top-level comments, newest first, each with its first `REPLIES_SHOWN` replies
    (oldest first) in `shown_replies`, and `more_replies` set when it has more: the panel pages
    the rest with `comment_replies`, so one page costs the same however long a thread grows.

    Others see published, non-hidden comments; authors also see their own in any state."""
    shown = _comments_shown(user)
    blocked = blocked_user_ids(user=user)
    first = REPLIES_SHOWN
    replies = Comment.objects.filter(shown).exclude(author_id__in=blocked).select_related("author").order_by("pk")
    qs = (
        Comment.objects.filter(shown, video=video, parent__isnull=True)
        .exclude(author_id__in=blocked)
        .select_related("author")
        # A sliced prefetch: one query, at most first + 1 replies per comment (a window function).
        .prefetch_related(Prefetch("replies", queryset=replies[: first + 1], to_attr="shown_replies"))
        .order_by("-pk")
    )
    if before:
        qs = qs.filter(pk__lt=before)
    page = list(qs[: limit + 1])
    for comment in page:
        comment.more_replies = len(comment.shown_replies) > first
        comment.shown_replies = comment.shown_replies[:first]
    return page[:limit], len(page) > limit


def comment_replies(*, video: Video, parent_id: int, user, after: int | None = None):
    """One page (`REPLIES_PAGE_SIZE`) of a comment's replies, oldest first, after reply `after`:
    (parent, replies, has_more), or None when `parent_id` is not a top-level comment on `video`
    that this viewer may see (the same rules as the panel's, blocks both ways included)."""
    limit = REPLIES_PAGE_SIZE
    shown = _comments_shown(user)
    blocked = blocked_user_ids(user=user)
    parent = (
        Comment.objects.filter(shown, pk=parent_id, video=video, parent__isnull=True)
        .exclude(author_id__in=blocked)
        .first()
    )
    if parent is None:
        return None
    qs = Comment.objects.filter(shown, parent=parent).exclude(author_id__in=blocked).select_related("author")
    if after:
        qs = qs.filter(pk__gt=after)
    page = list(qs.order_by("pk")[: limit + 1])
    return parent, page[:limit], len(page) > limit


def profile_videos(*, person, viewer) -> QuerySet[Video]:
    """A creator's grid: listable videos to others; every own video (any state) to the owner."""
    if viewer is not None and viewer.is_authenticated and viewer.pk == person.pk:
        qs = Video.objects.filter(creator=person, deleted_at__isnull=True).order_by("-created_at")
    else:
        qs = listable_videos().filter(creator=person).order_by("-published_at")
    return qs.select_related("creator")


def liked_videos(*, person, viewer) -> QuerySet[Video]:
    qs = listable_videos().filter(likes__user=person).order_by("-likes__created_at")
    return visible_to(qs, user=viewer).select_related("creator")


def favourite_videos(*, person) -> QuerySet[Video]:
    qs = listable_videos().filter(favourites__user=person).order_by("-favourites__created_at")
    return qs.select_related("creator")


def profile_counts(*, person) -> dict[str, int]:
    likes = listable_videos().filter(creator=person).aggregate(n=Sum("like_count"))["n"] or 0
    return {
        "followers": Follow.objects.filter(followee=person).count(),
        "following": Follow.objects.filter(follower=person).count(),
        "likes": likes,
    }


def creator_video_stats(*, person) -> dict[int, dict]:
    """Per-video figures for the owner: views, average watch time, completion rate, likes,
    comments, shares (watch figures averaged over the recorded viewings)."""
    rows = (
        EngagementEvent.objects.filter(video__creator=person, kind=EngagementEvent.Kind.WATCH)
        .values("video_id")
        .annotate(n=Count("pk"), avg_watch=Avg("watch_seconds"), avg_completion=Avg("completion"))
    )
    return {r["video_id"]: r for r in rows}


ENGAGEMENT_SCORE = F("like_count") + 2 * F("comment_count") + 3 * F("share_count") + 2 * F("favourite_count")


def discovery_order(qs: QuerySet[Video], *, sort: str) -> QuerySet[Video]:
    """`newest`, or `engaging`: weighted interactions per view, smoothed so a video with three
    views and one like does not outrank a popular one."""
    if sort == "engaging":
        qs = qs.annotate(
            engagement=ExpressionWrapper(
                (ENGAGEMENT_SCORE + Value(1.0)) / (F("view_count") + Value(20.0)), output_field=FloatField()
            )
        )
        return qs.order_by("-engagement", "-published_at")
    return qs.order_by("-published_at", "-pk")


def category_videos(*, category, viewer, sort: str = "newest") -> QuerySet[Video]:
    qs = visible_to(listable_videos().filter(categories=category), user=viewer)
    return with_card_relations(discovery_order(qs, sort=sort))


def listed_hashtag(*, name: str) -> Hashtag | None:
    """The tag called `name`, if at least one listable video carries it. A tag written only in
    private or unlisted descriptions (or on videos not approved) is None, exactly like a tag
    nobody wrote: its page must not tell anyone what private descriptions say."""
    carried = listable_videos().filter(hashtags=OuterRef("pk"))
    return Hashtag.objects.filter(name=name.lower()).filter(Exists(carried)).first()


def hashtag_videos(*, hashtag, viewer, sort: str = "newest") -> QuerySet[Video]:
    qs = visible_to(listable_videos().filter(hashtags=hashtag), user=viewer)
    return with_card_relations(discovery_order(qs, sort=sort))


def search_videos(*, q: str, viewer) -> QuerySet[Video]:
    """Listable videos whose title, description, hashtags or creator's username / published
    display name have a word starting with each query word (matched literally, at most
    `search_index.MAX_QUERY_WORDS` words), newest first. Each word costs one range of the token
    index (videos/search_index.py); no video's text is scanned."""
    qs = listable_videos()
    for word in search_index.query_words(q):
        qs = qs.filter(pk__in=search_index.matching_video_ids(word))
    return with_card_relations(visible_to(qs, user=viewer).order_by("-published_at", "-pk"))


def search_people(*, q: str, viewer, limit: int = 8):
    word = q.strip().lstrip("@")
    if not word:
        return []
    qs = User.objects.filter(is_active=True, banned_at__isnull=True).filter(
        Q(username__icontains=word) | Q(display_name__icontains=word, profile_state="published")
    )
    blocked = blocked_user_ids(user=viewer)
    if blocked:
        qs = qs.exclude(pk__in=blocked)
    return list(qs.order_by("username")[:limit])


def watch_history(*, user, limit: int = 60) -> list[Video]:
    """Videos this viewer played, most recent first, still watchable to them."""
    views = (
        VideoView.objects.filter(user=user, video__in=visible_to(watchable_videos(), user=user))
        .select_related("video__creator")
        .order_by("-last_seen_at")[:limit]
    )
    return [v.video for v in views]


def comment_count(*, video: Video) -> int:
    """The comment count others see, as it stands now (re-read after a post or a delete)."""
    return Video.objects.filter(pk=video.pk).values_list("comment_count", flat=True).first() or 0

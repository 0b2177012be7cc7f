"""What the feed shows. `feed_for_viewer` is the interface the viewer pages call; the
recommender replaces its insides, never its signature."""

from dataclasses import dataclass

from videos.models import Video
from videos.selectors import listable_videos


@dataclass
class FeedItem:
    video: Video
    slot: str  # "ranked" | "explore" | "trending" | "following"
    reason: str  # plain-words, true "why am I seeing this"


def feed_for_viewer(*, user, session_key: str, exclude_ids: set[int], limit: int = 10) -> list[FeedItem]:
    """One page of the For You feed, never containing a video in `exclude_ids`.

    Until the recommender lands: newest listable videos, skipping those already on the page."""
    qs = listable_videos().exclude(pk__in=exclude_ids).select_related("creator").order_by("-published_at")
    if user is not None and user.is_authenticated:
        qs = qs.exclude(creator=user)
    return [FeedItem(video=v, slot="trending", reason="New on the platform.") for v in qs[:limit]]

"""The Discover page's rows, read from the recommender's nightly pools: trending videos (the
model's `trending` list, by time-decayed engagement), rising hashtags and creators to follow
(the hashtags and creators of those videos, by the same decayed popularity). Without a trained
model yet, the most liked recent videos stand in for the pool."""

from collections import defaultdict
from dataclasses import dataclass, field

from accounts.models import Follow, User
from recommendations import store
from videos.models import Video
from videos.selectors import blocked_user_ids, listable_videos, visible_to, with_card_relations

TRENDING_ROWS = 12  # videos shown
HASHTAG_ROWS = 10
CREATOR_ROWS = 6
POOL = 300  # trending pool entries read (the model keeps up to training.TRENDING_SIZE)


@dataclass
class Discover:
    trending: list = field(default_factory=list)  # Video rows, best first
    hashtags: list = field(default_factory=list)  # (name, videos in the pool), rising first
    creators: list = field(default_factory=list)  # User rows to follow
    from_model: bool = False


def _pool(user) -> tuple[list[int], dict[int, float], bool]:
    """Listable video ids of the trending pool, best first, with their decayed popularity."""
    model = store.active_model()
    if model is not None and len(model.arrays.get("trending", ())):
        positions = model.arrays["trending"][:POOL]
        ids = [int(v) for v in model.video_ids[positions]]
        pop = dict(zip(ids, (float(p) for p in model.arrays["pop"][positions]), strict=True))
        allowed = set(visible_to(listable_videos().filter(pk__in=ids), user=user).values_list("pk", flat=True))
        return [v for v in ids if v in allowed], pop, True
    rows = list(
        visible_to(listable_videos(), user=user)
        .filter(like_count__gt=0)
        .order_by("-like_count", "-published_at")
        .values_list("pk", "like_count")[:POOL]
    )
    top = max((likes for _, likes in rows), default=1)
    return [pk for pk, _ in rows], {pk: likes / top for pk, likes in rows}, False


def discover_for_viewer(*, user) -> Discover:
    ids, pop, from_model = _pool(user)
    if not ids:
        return Discover(from_model=from_model)
    order = {pk: i for i, pk in enumerate(ids)}
    shown = with_card_relations(Video.objects.filter(pk__in=ids[:TRENDING_ROWS]))
    trending = sorted(shown, key=lambda v: order[v.pk])

    tag_score: dict[str, float] = defaultdict(float)
    tag_count: dict[str, int] = defaultdict(int)
    for pk, name in Video.hashtags.through.objects.filter(video_id__in=ids).values_list("video_id", "hashtag__name"):
        tag_score[name] += pop.get(pk, 0.0)
        tag_count[name] += 1
    hashtags = [(n, tag_count[n]) for n in sorted(tag_score, key=lambda n: (-tag_score[n], n))[:HASHTAG_ROWS]]

    creator_score: dict[int, float] = defaultdict(float)
    for pk, creator_id in Video.objects.filter(pk__in=ids).values_list("pk", "creator_id"):
        creator_score[creator_id] += pop.get(pk, 0.0)
    skip = blocked_user_ids(user=user)
    if user is not None and user.is_authenticated:
        skip |= {user.pk} | set(Follow.objects.filter(follower=user).values_list("followee_id", flat=True))
    best = [c for c in sorted(creator_score, key=lambda c: -creator_score[c]) if c not in skip][: CREATOR_ROWS * 2]
    people = User.objects.filter(pk__in=best, is_active=True, banned_at__isnull=True)
    rank = {c: i for i, c in enumerate(best)}
    creators = sorted(people, key=lambda p: rank[p.pk])[:CREATOR_ROWS]
    return Discover(trending, hashtags, creators, from_model)

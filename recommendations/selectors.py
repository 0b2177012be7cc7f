"""What the feed shows. `feed_for_viewer` is the interface the viewer pages call: candidates
from the viewer's live profile and the nightly model's precomputed pools (a few hundred per
page, never a catalogue scan), scored by `ranking.score_for_profile`, with Thompson-sampling
exploration slots and a true reason on each video."""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.utils import timezone

from accounts.models import Block, Follow
from recommendations import ranking, store
from recommendations.services import profile_state, session_profile_state, settings_memo, settings_params
from tiktok.memo import ProcessMemo
from tiktok.prepared import Prepared
from videos.models import EngagementEvent, NotInterested, Video, VideoView
from videos.selectors import category_pairs, category_table, listable_videos, video_with_creator

SEEN_WINDOW = 500  # recently seen videos left out of the feed
CATEGORY_CANDIDATES = 60
TRENDING_CANDIDATES = 150
FRESH_CANDIDATES = 40
EXPLORE_POOL = 150
FRESH_TTL_S = 30.0
# Scoring needs only these columns; whole Video objects are built for the ten that are shown.
FIELDS = ("pk", "creator_id", "published_at", "like_count", "impression_count", "completion_sum", "play_count")
Row = namedtuple("Row", FIELDS)
# What a feed card shows of a video and its creator (a full row is twice as slow to build).
CARD_FIELDS = (
    "public_id",
    "creator_id",
    "title",
    "description",
    "visibility",
    "duration",
    "captions_vtt",
    "published_at",
    "view_count",
    "like_count",
    "comment_count",
    "favourite_count",
    "share_count",
    "creator__username",
    "creator__display_name",
    "creator__profile_state",
    "creator__avatar",
)


def caches_clear() -> None:
    """Forget the per-process model, settings and fresh list (tests; a process that switched
    databases)."""
    store.forget()
    settings_memo.forget()
    fresh_memo.forget()


def _newest_ids() -> list[int]:
    return list(listable_videos().order_by("-published_at").values_list("pk", flat=True)[:FRESH_CANDIDATES])


# The newest listable videos, shared by every viewer of this process for a few seconds.
fresh_memo = ProcessMemo(_newest_ids, ttl_s=FRESH_TTL_S)


def _fresh_ids() -> list[int]:
    return fresh_memo.get()


@dataclass
class FeedItem:
    video: Video
    slot: str  # "ranked" | "explore" | "trending" | "following" | "again" (seen before, see _caught_up_fill)
    reason: str  # plain-words, true "why am I seeing this"
    categories: list = field(default_factory=list)  # the video's Category rows, for its card
    following: bool = False  # the viewer follows the video's creator


def _history_query(**viewer):
    """The viewer's most recent views, newest first (`user_id=` or a session's `viewer_key=`)."""
    return VideoView.objects.filter(**viewer).order_by("-last_seen_at").values_list("video_id")[:SEEN_WINDOW]


def _lists_query(user_id):
    """One union of a signed-in viewer's lists: ("video" | "creator" | "follow", id). A video the
    viewer reported is among their "not interested" ones (moderation marks it so)."""
    lists = (
        NotInterested.objects.filter(user_id=user_id).values_list(Value("video"), "video_id"),
        Block.objects.filter(blocker_id=user_id).values_list(Value("creator"), "blocked_id"),
        Block.objects.filter(blocked_id=user_id).values_list(Value("creator"), "blocker_id"),
        Follow.objects.filter(follower_id=user_id).values_list(Value("follow"), "followee_id"),
    )
    return lists[0].union(*lists[1:], all=True)


# The feed's per-page reads, compiled once per process (see tiktok.prepared).
_user_history = Prepared(_history_query, user_id=int)
_session_history = Prepared(_history_query, viewer_key=str)
_lists = Prepared(_lists_query, user_id=int)
_candidate_rows = Prepared(
    lambda video_ids, creator_ids: (
        listable_videos().filter(pk__in=video_ids).exclude(creator_id__in=creator_ids).values_list(*FIELDS)
    ),
    video_ids=list,
    creator_ids=list,
)
_titles = Prepared(lambda video_ids: Video.objects.filter(pk__in=video_ids).values_list("pk", "title"), video_ids=list)


_card_rows = Prepared(
    lambda video_ids: Video.objects.filter(pk__in=video_ids).values_list("pk", *CARD_FIELDS), video_ids=list
)
_VIDEO_CARD_FIELDS = ["id"] + [f for f in CARD_FIELDS if "__" not in f]
_CREATOR_CARD_FIELDS = ["id"] + [f.removeprefix("creator__") for f in CARD_FIELDS if f.startswith("creator__")]


def _card_videos(video_ids) -> dict[int, Video]:
    """The shown videos with their creators, as `select_related("creator").only(*CARD_FIELDS)`
    would build them (other fields deferred)."""
    out = {}
    n = len(_VIDEO_CARD_FIELDS)
    for row in _card_rows.rows(video_ids=list(video_ids)):
        # The creator's id is the video's creator_id; its other columns follow the video's.
        row = (*row[:n], row[_VIDEO_CARD_FIELDS.index("creator_id")], *row[n:])
        video = video_with_creator(_VIDEO_CARD_FIELDS, _CREATOR_CARD_FIELDS, row)
        out[video.pk] = video
    return out


def _exclusions(user, session_key: str, exclude_ids) -> tuple[set[int], set[int], set[int]]:
    """(video ids, creator ids) this viewer must not be shown, and the creators the viewer
    follows. Two queries for a signed-in viewer: the recent history, and one union of the
    other per-viewer lists."""
    videos = set(exclude_ids)
    creators: set[int] = set()
    followed: set[int] = set()
    if user is not None and user.is_authenticated:
        creators.add(user.pk)
        videos.update(vid for (vid,) in _user_history.rows(user_id=user.pk))
        into = {"video": videos, "creator": creators, "follow": followed}
        for what, pk in _lists.rows(user_id=user.pk):
            into[what].add(int(pk))
    elif session_key:
        videos.update(vid for (vid,) in _session_history.rows(viewer_key=f"s:{session_key}"))
    return videos, creators, followed - creators


def _top(keys, scores, n):
    if len(keys) <= n:
        return keys[np.argsort(-scores, kind="stable")]
    idx = np.argpartition(-scores, n)[:n]
    return keys[idx[np.argsort(-scores[idx], kind="stable")]]


def _candidates(model, state, params, followed, excluded_videos, rng):
    """Candidate ids with the pools they came from. Exploration's pool (a random sample of the
    model's new and little-seen videos) is among them, so it is scored like everything else."""
    sources: dict[int, set[str]] = defaultdict(set)
    anchor_ids, anchor_w = ranking.profile_anchors(state["recent"], params)
    positive_cats = [int(k) for k, v in sorted(state["category_weights"].items(), key=lambda kv: -kv[1]) if v > 0][:5]
    if model is not None:
        ids = model.video_ids
        a_pos = model.positions(anchor_ids)
        ok = a_pos >= 0
        pos, score = ranking.neighbour_scores(
            a_pos[ok], anchor_w[ok], model.arrays["nbr_indptr"], model.arrays["nbr_idx"], model.arrays["nbr_sim"]
        )
        # What the viewer has seen goes before the cut, or it would take the pool's places.
        keep = (score > 0) & ~np.isin(ids[pos], np.fromiter(excluded_videos, np.int64, len(excluded_videos)))
        for vid in ids[_top(pos[keep], score[keep], params["collab_candidates"])]:
            sources[int(vid)].add("collab")
        if len(model.arrays.get("text_video_ids", ())):
            t_pos, t_score = ranking.text_neighbour_scores(model, anchor_ids, anchor_w)
            keep = t_score > 0
            for vid in model.arrays["text_video_ids"][_top(t_pos[keep], t_score[keep], 50)]:
                sources[int(vid)].add("text")
        cat_ids = model.arrays["category_ids"]
        for cid in positive_cats:
            c = int(np.searchsorted(cat_ids, cid))
            if c < len(cat_ids) and cat_ids[c] == cid:
                lo, hi = model.arrays["cat_indptr"][c], model.arrays["cat_indptr"][c + 1]
                for vid in ids[model.arrays["cat_members"][lo:hi][:CATEGORY_CANDIDATES]]:
                    sources[int(vid)].add("category")
        for vid in ids[model.arrays["trending"][:TRENDING_CANDIDATES]]:
            sources[int(vid)].add("trending")
    else:
        base = listable_videos().exclude(pk__in=excluded_videos)
        for cid in positive_cats:
            for vid in (
                base.filter(categories=cid)
                .order_by("-like_count", "-published_at")
                .values_list("pk", flat=True)[:CATEGORY_CANDIDATES]
            ):
                sources[vid].add("category")
        for vid in base.order_by("-like_count", "-published_at").values_list("pk", flat=True)[:TRENDING_CANDIDATES]:
            sources[vid].add("trending")
    for vid in _fresh_ids():
        sources[vid].add("fresh")
    for vid in _explore_pool(model, params, excluded_videos, rng):
        sources[vid].add("explore")
    if followed and model is not None:
        creators = model.arrays["creator_ids"]
        for cid in list(followed)[:100]:
            c = int(np.searchsorted(creators, cid))
            if c < len(creators) and creators[c] == cid:
                lo, hi = model.arrays["creator_indptr"][c], model.arrays["creator_indptr"][c + 1]
                for vid in model.video_ids[model.arrays["creator_members"][lo:hi][:10]]:
                    sources[int(vid)].add("following")
    elif followed:
        for vid in (
            listable_videos()
            .filter(creator_id__in=followed)
            .order_by("-published_at")
            .values_list("pk", flat=True)[:40]
        ):
            sources[vid].add("following")
    for vid in excluded_videos:
        sources.pop(vid, None)
    return sources


def _counters(videos):
    return {
        "ids": np.array([v.pk for v in videos], dtype=np.int64),
        "likes": np.array([v.like_count for v in videos], dtype=float),
        "impressions": np.array([v.impression_count for v in videos], dtype=float),
        "completion_sum": np.array([v.completion_sum for v in videos], dtype=float),
        "plays": np.array([v.play_count for v in videos], dtype=float),
    }


def _categories_of(video_ids) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for vid, cid in category_pairs.rows(video_ids=list(video_ids)):
        out[vid].append(cid)
    return out


def _category_index(model, cats):
    """Category ids (sorted) and their IDF: the model's, plus any category it has not seen."""
    seen = np.unique(np.fromiter((c for ids in cats.values() for c in ids), dtype=np.int64))
    if model is None:
        return seen, np.ones(len(seen))
    ids, idf = model.arrays["category_ids"], model.arrays["cat_idf"]
    extra = np.setdiff1d(seen, ids)
    if not len(extra):
        return ids, idf
    all_ids = np.concatenate([ids, extra])
    order = np.argsort(all_ids)
    return all_ids[order], np.concatenate([idf, np.full(len(extra), float(idf.max()) if len(idf) else 1.0)])[order]


@dataclass
class CreatorCap:
    """The page being filled: which videos it holds (or must never hold) and how many it has of
    each creator, never more than `cap`. Every slot of the page takes its videos through it."""

    cap: int
    taken: set[int] = field(default_factory=set)
    excluded_creators: set[int] = field(default_factory=set)
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def take(self, video) -> bool:
        if video.pk in self.taken or video.creator_id in self.excluded_creators:
            return False
        if self.counts[video.creator_id] >= self.cap:
            return False
        self.counts[video.creator_id] += 1
        self.taken.add(video.pk)
        return True

    def take_up_to(self, videos, n: int) -> list:
        picked = []
        for video in videos:
            if len(picked) >= n:
                break
            if self.take(video):
                picked.append(video)
        return picked


@dataclass
class Viewer:
    """Who the page is for: their live profile, what they must not see, whom they follow."""

    state: dict
    excluded_videos: set[int]
    excluded_creators: set[int]
    followed: set[int]

    @property
    def cold(self) -> bool:
        return not self.state["recent"] and not any(v > 0 for v in self.state["category_weights"].values())


@dataclass
class Scored:
    """The candidates with their scores, best first (`order`), and where each came from."""

    videos: list
    sources: dict
    cats: dict
    scores: np.ndarray
    parts: dict
    order: list
    priors: dict


def _viewer(user, session_key: str, exclude_ids) -> Viewer:
    if user is not None and user.is_authenticated:
        state = profile_state(user_id=user.pk)
    else:  # a signed-out viewer's profile lives with their session
        state = session_profile_state(session_key) or ranking.new_profile_state()
    excluded_videos, excluded_creators, followed = _exclusions(user, session_key, exclude_ids or ())
    return Viewer(state, excluded_videos, excluded_creators, followed)


def _score(model, params, viewer: Viewer, sources: dict, now) -> Scored:
    """Stage 2: the candidates' rows and their blend scores for this viewer, in page order."""
    rows = _candidate_rows.rows(video_ids=list(sources), creator_ids=list(viewer.excluded_creators))
    videos = [Row(*r) for r in rows]
    cats = _categories_of([v.pk for v in videos])
    counters = _counters(videos)
    ages = np.array([(now - (v.published_at or now)).total_seconds() / 86400 for v in videos])
    positions = model.positions(counters["ids"]) if model is not None else np.full(len(videos), -1)
    priors = ranking.model_priors(model)
    category_ids, idf = _category_index(model, cats)
    scores, parts = ranking.score_for_profile(
        model=model,
        positions=positions,
        cat_matrix=ranking.category_matrix([cats.get(v.pk, []) for v in videos], category_ids, idf),
        category_ids=category_ids,
        counters=counters,
        age_days=ages,
        state=viewer.state,
        params=params,
        priors=priors,
    )
    if viewer.cold:
        # New viewer: trending spread over categories (round-robin by each video's first category).
        order = _spread_over_categories(videos, cats, parts["pop"] + 0.01 * parts["quality"])
    else:
        order = list(np.argsort(-scores, kind="stable"))
    return Scored(videos, sources, cats, scores, parts, order, priors)


def _slots(scored: Scored, page: CreatorCap, *, limit: int, n_explore: int, params, rng) -> tuple[list, list, list]:
    """Stage 3: the ranked slots (best scores first), then the exploration slots. Returns
    (ranked as (row, index) pairs, newest backfill when the pools ran dry, exploration)."""
    ranked = []
    for i in scored.order:
        if len(ranked) >= limit - n_explore:
            break
        if page.take(scored.videos[i]):
            ranked.append((scored.videos[i], i))
    # The pools ran dry (a long session, a small catalogue): newest videos not yet shown.
    backfill = _newest_fill(limit - n_explore - len(ranked), page, scan=limit * 4)
    want = n_explore + (limit - n_explore - len(ranked) - len(backfill))
    explore = _explore_picks(scored, want, page, params, rng)
    return ranked, backfill, explore


def feed_for_viewer(
    *, user, session_key: str, exclude_ids: set[int], limit: int = 10, rng=None, now=None, trace: dict | None = None
) -> list[FeedItem]:
    """One page of the For You feed, never containing a video in `exclude_ids`: candidates, then
    scores, then slots (ranked and exploration), then the fill when the pools run dry.

    `rng` (exploration's draws) and `now` (freshness) are keyword arguments so that a page can be
    replayed (tests, the offline evaluation); with `trace`, the page's candidate ids are left in
    trace["candidates"]."""
    model = store.active_model()
    params = ranking.model_params(model, settings_params())
    rng = rng if rng is not None else np.random.default_rng()
    viewer = _viewer(user, session_key, exclude_ids)

    sources = _candidates(model, viewer.state, params, viewer.followed, viewer.excluded_videos, rng)  # 1. candidates
    if trace is not None:
        trace["candidates"] = set(sources)
    scored = _score(model, params, viewer, sources, now or timezone.now())  # 2. scores
    page = CreatorCap(
        cap=params["per_creator"], taken=set(viewer.excluded_videos), excluded_creators=set(viewer.excluded_creators)
    )
    share = ranking.exploration_share(viewer.state, params, rng)
    n_explore = int(round(limit * share)) if limit > 1 else 0
    ranked, backfill, explore = _slots(scored, page, limit=limit, n_explore=n_explore, params=params, rng=rng)  # 3.
    # 4. fill: exploration found fewer new videos than it had slots, so the newest fill the page.
    backfill += _newest_fill(limit - len(ranked) - len(backfill) - len(explore), page, scan=limit * 8)
    # 5. caught up: nothing unseen is left, so the best of what the viewer has seen fills the page.
    on_page = [v.pk for v, _ in ranked] + [v.pk for v in backfill + explore]
    need = limit - len(on_page)
    again = _caught_up_fill(need, page, on_page, viewer=(user, session_key), shown_ids=exclude_ids or ())
    return _assemble(model, viewer, scored, ranked, backfill, explore, params, limit, again=again)


def _assemble(
    model, viewer: Viewer, scored: Scored, ranked, backfill, explore, params, limit, again=()
) -> list[FeedItem]:
    """The page's cards, with each slot's reason; exploration at fixed places (3rd, 7th, ...);
    videos seen before (`again`) last."""
    cats = scored.cats
    shown = [v.pk for v, _ in ranked] + [v.pk for v in backfill] + [v.pk for v in explore] + [v.pk for v in again]
    objects = _card_videos(shown)
    missing = [pk for pk in shown if pk not in cats]
    if missing:
        cats.update(_categories_of(missing))
    table = category_table()
    names = {pk: c.name for pk, c in table.items()}
    anchor_titles = _anchor_titles(
        model, viewer.state, [scored.videos[i] for _, i in ranked], scored.parts, [i for _, i in ranked], params
    )
    # A video deleted between the queries above is simply left out.
    ranked = [(v, i) for v, i in ranked if v.pk in objects]
    backfill = [v for v in backfill if v.pk in objects]
    explore = [v for v in explore if v.pk in objects]

    def item(pk, slot, reason):
        card_cats = sorted((table[c] for c in cats.get(pk, ()) if c in table), key=lambda c: (c.position, c.name))
        video = objects[pk]
        return FeedItem(video, slot, reason, categories=card_cats, following=video.creator_id in viewer.followed)

    page = [
        item(v.pk, slot, reason)
        for v, i in ranked
        for slot, reason in [
            _slot_and_reason(
                objects[v.pk], i, scored.sources, scored.parts, viewer.state, cats, names, anchor_titles,
                viewer.followed, viewer.cold,
            )
        ]
    ]  # fmt: skip
    page += [item(v.pk, "trending", _newest_reason(objects[v.pk])) for v in backfill]
    for n, video in enumerate(explore):
        where = min(2 + 4 * n, len(page))
        page.insert(where, item(video.pk, "explore", "New and being tried out: few people have seen it yet."))
    page += [item(v.pk, "again", _again_reason(v)) for v in again if v.pk in objects]
    return page[:limit]


RECENT_DAYS = 14  # "recently posted" means within this many days


def _newest_reason(video) -> str:
    """The newest-videos fill: "recently posted" only when it is."""
    if video.published_at and (timezone.now() - video.published_at).days < RECENT_DAYS:
        return "Recently posted."
    return "One of the newest videos you have not seen yet."


def _again_reason(row) -> str:
    if row.disliked:
        return "You have seen everything else: shown again although you skipped it or turned it down."
    if row.liked:
        return "You liked this before and have seen everything newer."
    if row.last_seen is None:  # never played by this viewer (or a viewer without a history)
        return "You are caught up on what is new: one from further back in the catalogue."
    return "You have seen everything newer: one you watched before, not shown for a while."


AgainRow = namedtuple("AgainRow", (*FIELDS, "disliked", "liked", "last_seen"))


def _seen_before(user, session_key: str, avoid: list[int], creator_ids: list[int], scan: int):
    """Listable videos for a viewer who has seen everything: never-shown first, then least recently
    shown, the ones they skipped or turned down last; the best liked first among equals."""
    if user is not None and user.is_authenticated:
        key, mine = f"u:{user.pk}", Q(user_id=user.pk)
        disliked = Exists(NotInterested.objects.filter(user_id=user.pk, video=OuterRef("pk")))
    elif session_key:
        key, mine, disliked = f"s:{session_key}", Q(session_key=session_key, user__isnull=True), Value(False)
    else:  # no history at all: the best liked, newest first
        key, mine, disliked = "", Q(pk__in=[]), Value(False)
    skipped = Exists(EngagementEvent.objects.filter(mine, video=OuterRef("pk"), kind=EngagementEvent.Kind.SKIP))
    liked = Exists(EngagementEvent.objects.filter(mine, video=OuterRef("pk"), kind=EngagementEvent.Kind.LIKE))
    last_seen = Subquery(VideoView.objects.filter(viewer_key=key, video=OuterRef("pk")).values("last_seen_at")[:1])
    rows = (
        listable_videos()
        .exclude(pk__in=avoid)
        .exclude(creator_id__in=creator_ids)
        .annotate(disliked=disliked, skipped=skipped, liked=liked, last_seen=last_seen)
        .order_by("disliked", "skipped", F("last_seen").asc(nulls_first=True), "-like_count", "-published_at")
        .values_list(*FIELDS, "disliked", "skipped", "liked", "last_seen")[:scan]
    )
    return [AgainRow(*r[: len(FIELDS)], r[-4] or r[-3], r[-2], r[-1]) for r in rows]


def _caught_up_fill(need: int, page: CreatorCap, on_page: list[int], *, viewer, shown_ids) -> list:
    """Stage 5: when the unseen pools ran dry, the viewer's seen videos fill the page, so a
    feed (a reload included) never ends while anything is listable. One scroll shows a video
    once (the page names each by its id); the per-creator cap holds unless nothing else is
    left, since a full page matters more than variety then."""
    if need <= 0:
        return []
    user, session_key = viewer
    cap = CreatorCap(cap=page.cap, taken=set(on_page), excluded_creators=set(page.excluded_creators))
    cap.counts.update(page.counts)
    avoid = list(cap.taken | set(shown_ids))
    rows = _seen_before(user, session_key, avoid, list(cap.excluded_creators), scan=need * 6 + 20)
    picked = cap.take_up_to(rows, need)
    for row in rows:  # the cap gives way only when nothing else can fill the page
        if len(picked) >= need:
            break
        if row.pk not in cap.taken:
            cap.taken.add(row.pk)
            picked.append(row)
    return picked


# One prepared query per scan length (the LIMIT is part of the SQL).
_newest_queries: dict[int, Prepared] = {}


def _newest_fill(need: int, page: CreatorCap, *, scan: int) -> list:
    """Up to `need` of the newest listable videos the page does not hold, within its caps."""
    if need <= 0:
        return []
    if scan not in _newest_queries:
        _newest_queries[scan] = Prepared(
            lambda video_ids, creator_ids: (
                listable_videos()
                .exclude(pk__in=video_ids)
                .exclude(creator_id__in=creator_ids)
                .order_by("-published_at")
                .values_list(*FIELDS)[:scan]
            ),
            video_ids=list,
            creator_ids=list,
        )
    rows = _newest_queries[scan].rows(video_ids=list(page.taken), creator_ids=list(page.excluded_creators))
    return page.take_up_to((Row(*r) for r in rows), need)


def _spread_over_categories(videos, cats, strength):
    by_cat: dict[int, list[int]] = defaultdict(list)
    for i in np.argsort(-strength, kind="stable"):
        first = min(cats.get(videos[i].pk, [0]))
        by_cat[first].append(int(i))
    order = []
    queues = sorted(by_cat.values(), key=lambda q: -strength[q[0]])
    while queues:
        for q in queues:
            order.append(q.pop(0))
        queues = [q for q in queues if q]
    return order


def _explore_pool(model, params, excluded_videos, rng) -> list[int]:
    """Exploration's pool: EXPLORE_POOL videos drawn at random from the model's newest
    low-impression videos (without a model, the newest low-impression videos)."""
    if model is not None and "explore_pool" in model.arrays:
        ids = [int(v) for v in model.video_ids[model.arrays["explore_pool"]] if int(v) not in excluded_videos]
        if len(ids) > EXPLORE_POOL:
            ids = [ids[i] for i in rng.choice(len(ids), EXPLORE_POOL, replace=False)]
        return ids
    low = listable_videos().filter(impression_count__lt=params["explore_impressions"]).exclude(pk__in=excluded_videos)
    return list(low.order_by("-published_at").values_list("pk", flat=True)[:EXPLORE_POOL])


def _explore_picks(scored: Scored, n: int, page: CreatorCap, params, rng) -> list:
    """Exploration slots go to candidates with few impressions (the exploration pool, new
    uploads, and any other candidate under the threshold) that the ranked slots did not take.
    Each gets a Thompson draw: how well it fits this viewer (its blend score over the page's
    best) times a sample of its completion and like rates over their posterior means (live
    counters, weak prior at the catalogue mean). A well-measured video draws close to its fit; a
    video few people have seen draws anywhere from far below to far above it. The highest draws
    win: little-seen videos are tried out on the viewers most likely to want them."""
    videos, scores, priors = scored.videos, scored.scores, scored.priors
    if n <= 0 or not len(videos):
        return []
    counters = _counters(videos)
    pool = np.flatnonzero(counters["impressions"] < params["explore_impressions"])
    pool = np.array([i for i in pool if videos[i].pk not in page.taken], dtype=np.int64)
    if not len(pool):
        return []
    draws = ranking.explore_draws(
        likes=counters["likes"][pool],
        completions_sum=counters["completion_sum"][pool],
        plays=counters["plays"][pool],
        impressions=counters["impressions"][pool],
        prior_like=priors["like"],
        prior_completion=priors["completion"],
        rng=rng,
        relative=True,
    )
    draws = draws * ranking.fit_to_viewer(scores, pool)
    return page.take_up_to((videos[i] for i in pool[np.argsort(-draws, kind="stable")]), n)


def _anchor_titles(model, state, videos, parts, idx, params) -> dict[int, str]:
    """For each chosen video whose collaborative or content-neighbour score is its strongest
    signal: the title of the viewer's own video that contributed most."""
    if model is None or not state["recent"]:
        return {}
    best: dict[int, int] = {}
    anchor_ids, anchor_w = ranking.profile_anchors(state["recent"], params)
    positive = anchor_w > 0
    anchor_ids, anchor_w = anchor_ids[positive], anchor_w[positive]
    a_pos = model.positions(anchor_ids)
    has_text = len(model.arrays.get("text_video_ids", ())) > 0
    a_text = ranking.text_positions(model, anchor_ids) if has_text else np.full(len(anchor_ids), -1)
    for video, i in zip(videos, idx, strict=True):
        if parts["collab"][i] <= 0 and parts["text"][i] <= 0:
            continue
        use_text = parts["collab"][i] <= 0
        if use_text:
            target, positions = ranking.text_positions(model, [video.pk])[0], a_text
            indptr, neighbours, similarity = (model.arrays[k] for k in ("text_indptr", "text_idx", "text_sim"))
        else:
            target, positions = model.positions([video.pk])[0], a_pos
            indptr, neighbours, similarity = (model.arrays[k] for k in ("nbr_indptr", "nbr_idx", "nbr_sim"))
        best_score, best_anchor = 0.0, None
        for aid, ap, w in zip(anchor_ids, positions, anchor_w, strict=True):
            if ap < 0:
                continue
            lo, hi = indptr[ap], indptr[ap + 1]
            nbrs, sims = neighbours[lo:hi], similarity[lo:hi]
            hit = np.nonzero(nbrs == target)[0]
            if len(hit) and w * sims[hit[0]] > best_score:
                best_score, best_anchor = w * sims[hit[0]], int(aid)
        if best_anchor is not None:
            best[video.pk] = best_anchor
    titles = dict(_titles.rows(video_ids=list(set(best.values()))))
    return {vid: titles[a] for vid, a in best.items() if a in titles}


def _slot_and_reason(video, i, sources, parts, state, cats, names, anchor_titles, followed, cold):
    src = sources.get(video.pk, set())
    if video.creator_id in followed and "following" in src:
        return "following", f"From @{video.creator.username}, whom you follow."
    video_cats = cats.get(video.pk, [])
    if cold or not (parts["collab"][i] > 0 or parts["content"][i] > 0):
        # "Popular" only for a video people actually like; otherwise the pool it came from.
        popular = ("trending" in src or parts["pop"][i] > 0) and video.like_count > 0
        if not popular:
            if "fresh" in src or "explore" in src:
                return "trending", _newest_reason(video)
            if video.view_count > 0:
                return "trending", "Watched by other viewers lately; nothing you watched points to it yet."
            return "trending", "Something to start you off: nothing you watched points elsewhere yet."
        if video_cats:
            return "trending", f"Popular in {names.get(min(video_cats), 'its category')} right now."
        return "trending", "Popular on the platform right now."
    if video.pk in anchor_titles and parts["collab"][i] > 0:
        return "ranked", f"Liked by people who liked “{anchor_titles[video.pk]}”, which you enjoyed."
    weights = state["category_weights"]
    liked = [c for c in video_cats if weights.get(str(c), 0) > 0]
    if liked:
        best = max(liked, key=lambda c: weights[str(c)])
        return "ranked", f"Because you watch {names.get(best, 'this category')}."
    if video.pk in anchor_titles:
        return "ranked", f"Similar to “{anchor_titles[video.pk]}”, which you enjoyed."
    return "ranked", "Well watched by people with similar taste."

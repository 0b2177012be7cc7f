"""Recommender writes: the live viewer profile, content terms, nightly training and
preference analysis, interest picking."""

import hashlib
import logging
import os
import re
import time
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from recommendations import ranking, training
from recommendations.models import RecommenderSettings, VideoContent, ViewerProfile
from tiktok.artifacts import artifact_publish
from tiktok.gemini import client as gemini_client
from tiktok.memo import ProcessMemo
from tiktok.models import ModelVersion
from tiktok.prepared import Prepared, row_update
from videos.models import Category, EngagementEvent, Video, VideoView
from videos.selectors import category_pairs, listable_videos

log = logging.getLogger(__name__)
KIND_CODES = ["watch", "replay", "like", "unlike", "comment", "share", "favourite", "follow", "skip", "not_interested"]
TEXT_NEIGHBOUR_VIDEOS = 20_000  # newest videos given content (TF-IDF) neighbour lists
EVENT_ID_RANGE = 500_000  # events read per query in nightly training (bounds the driver's buffer)
WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
VTT_NOISE = re.compile(r"^(WEBVTT.*|\d+|[\d:.]+ --> [\d:.]+.*)$")


def _settings_load() -> dict:
    row = RecommenderSettings.objects.filter(pk=1).first()
    return (row or RecommenderSettings()).as_params()


# Every feed page and profile update reads the knobs; each process keeps them for 5 s.
settings_memo = ProcessMemo(_settings_load, ttl_s=5.0)


def settings_params() -> dict:
    return dict(settings_memo.get())


def recommender_settings_get() -> RecommenderSettings:
    row, _ = RecommenderSettings.objects.get_or_create(pk=1)
    return row


# --- Content -----------------------------------------------------------------------------------


def content_terms(*, title: str, description: str, captions: str, categories, hashtags) -> str:
    """Tokens for TF-IDF: prefixed categories and hashtags, lower-cased words of the text."""
    caption_text = " ".join(line for line in captions.splitlines() if not VTT_NOISE.match(line.strip()))
    words = WORD.findall(f"{title} {description} {caption_text}".lower())
    tokens = [f"c:{c}" for c in categories] + [f"h:{h.lower()}" for h in hashtags] + words
    return " ".join(tokens)


def content_refresh(*, video) -> bool:
    """Recompute a video's content terms if what they come from changed; True if rewritten."""
    terms = content_terms(
        title=video.title,
        description=video.description,
        captions=video.captions_vtt or video.transcript,
        categories=sorted(video.categories.values_list("pk", flat=True)),
        hashtags=sorted(video.hashtags.values_list("name", flat=True)),
    )
    digest = hashlib.sha1(terms.encode()).hexdigest()
    current = VideoContent.objects.filter(video=video).values_list("content_hash", flat=True).first()
    if current == digest:
        return False
    VideoContent.objects.update_or_create(
        video=video, defaults={"terms": terms, "content_hash": digest, "updated_at": timezone.now()}
    )
    return True


def content_refresh_stale(*, limit: int = TEXT_NEIGHBOUR_VIDEOS) -> int:
    """Content terms, in bulk, for the newest listable videos that have none or were edited
    since; unchanged videos are not touched. Returns the number of rows written."""
    rows = list(
        listable_videos()
        .filter(Q(rec_content__isnull=True) | Q(updated_at__gt=F("rec_content__updated_at")))
        .order_by("-published_at")
        .values_list("pk", "title", "description", "captions_vtt", "transcript")[:limit]
    )
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    cats, tags = {}, {}
    for vid, cid in Video.categories.through.objects.filter(video_id__in=ids).values_list("video_id", "category_id"):
        cats.setdefault(vid, []).append(cid)
    for vid, name in Video.hashtags.through.objects.filter(video_id__in=ids).values_list("video_id", "hashtag__name"):
        tags.setdefault(vid, []).append(name)
    existing = dict(VideoContent.objects.filter(video_id__in=ids).values_list("video_id", "content_hash"))
    now = timezone.now()
    fresh, changed = [], []
    for vid, title, description, vtt, transcript in rows:
        terms = content_terms(
            title=title,
            description=description,
            captions=vtt or transcript,
            categories=sorted(cats.get(vid, [])),
            hashtags=sorted(tags.get(vid, [])),
        )
        digest = hashlib.sha1(terms.encode()).hexdigest()
        row = VideoContent(video_id=vid, terms=terms, content_hash=digest, updated_at=now)
        if vid not in existing:
            fresh.append(row)
        elif existing[vid] != digest:
            changed.append(row)
    VideoContent.objects.bulk_create(fresh, batch_size=2000)
    for row in changed:
        VideoContent.objects.filter(video_id=row.video_id).update(
            terms=row.terms, content_hash=row.content_hash, updated_at=now
        )
    # Edited videos whose terms did not change: mark them checked so they are not read again.
    VideoContent.objects.filter(video_id__in=ids).exclude(updated_at=now).update(updated_at=now)
    return len(fresh) + len(changed)


# --- Live profile ------------------------------------------------------------------------------


# The profile's fields that ranking reads and each event changes.
STATE_FIELDS = ("category_weights", "recent", "explore_alpha", "explore_beta", "ranked_alpha", "ranked_beta")

# Both run on every feed page or event of a signed-in viewer: compiled once per process.
_profile_row = Prepared(
    lambda user_id: ViewerProfile.objects.filter(user_id=user_id).values_list(*STATE_FIELDS),
    user_id=int,
)
_profile_row_locked = Prepared(
    lambda user_id: ViewerProfile.objects.select_for_update().filter(user_id=user_id).values_list(*STATE_FIELDS),
    user_id=int,
)


def profile_state(*, user_id: int) -> dict:
    """A signed-in viewer's profile state (a new one's when they have none yet)."""
    found = _profile_row.rows(user_id=user_id)
    return dict(zip(STATE_FIELDS, found[0], strict=True)) if found else ranking.new_profile_state()


def _session_profile_key(session_key: str) -> str:
    return f"rec:session-profile:{session_key}"


def session_profile_state(session_key: str) -> dict | None:
    """A signed-out viewer's profile state, kept in the shared cache for as long as a session
    lives; None when there is none (or the cache is down: the feed then starts cold)."""
    if not session_key:
        return None
    try:
        return cache.get(_session_profile_key(session_key))
    except Exception as exc:
        log.warning("session profile unavailable: %s", exc)
        return None


def profile_on_event(*, event) -> None:
    """Fold one engagement event into the viewer's profile inside the request that recorded it,
    so the next page reflects it. Signed in: three queries (the video's categories, the profile
    read with a row lock, then written). Signed out: the session's profile in the cache (two
    events of one session at the same instant may lose one update; nothing else shares it)."""
    if event.kind not in ranking.POSITIVE_KINDS | ranking.NEGATIVE_KINDS | {"watch"}:
        return
    if event.user_id is None and not event.session_key:
        return
    params = settings_params()
    category_ids = [cid for _, cid in category_pairs.rows(video_ids=[event.video_id])]
    change = {
        "video_id": event.video_id,
        "category_ids": category_ids,
        "kind": event.kind,
        "completion": event.completion,
        "slot": event.slot,
        "params": params,
    }
    if event.user_id is None:
        state = session_profile_state(event.session_key) or ranking.new_profile_state()
        ranking.profile_apply(state, **change)
        try:
            cache.set(_session_profile_key(event.session_key), state, timeout=settings.SESSION_COOKIE_AGE)
        except Exception as exc:
            log.warning("session profile not saved: %s", exc)
        return
    # Usually inside the event's own transaction: no savepoint of its own is needed.
    with transaction.atomic(savepoint=False):
        found = _profile_row_locked.rows(user_id=event.user_id)
        if not found:  # the viewer's first event
            ViewerProfile.objects.get_or_create(user_id=event.user_id)
            found = _profile_row_locked.rows(user_id=event.user_id)
        state = dict(zip(STATE_FIELDS, found[0], strict=True))
        ranking.profile_apply(state, **change)
        row_update(
            ViewerProfile,
            {"user_id": event.user_id},
            set_to={**state, "updated_at": timezone.now()},
            add={"event_count": 1},
        )


def profile_adopt_session(*, user, session_key: str) -> bool:
    """At sign-in or sign-up, what this browser did while signed out carries over to the
    account. The session's profile is folded into the account's. The views behind its recent
    anchors join the account's history, so the feed does not show those videos again. The
    session's cached profile is then dropped. False when the session had none."""
    state = session_profile_state(session_key)
    if not state:
        return False
    video_ids = [int(vid) for vid, _ in state["recent"]]
    with transaction.atomic():
        profile, _ = ViewerProfile.objects.select_for_update().get_or_create(user=user)
        merged = ranking.profile_merge({name: getattr(profile, name) for name in STATE_FIELDS}, state)
        for name in STATE_FIELDS:
            setattr(profile, name, merged[name])
        profile.updated_at = timezone.now()
        profile.save()
        account = f"u:{user.pk}"
        had = VideoView.objects.filter(viewer_key=account, video_id__in=video_ids).values_list("video_id", flat=True)
        VideoView.objects.filter(viewer_key=f"s:{session_key}", video_id__in=video_ids).exclude(
            video_id__in=list(had)
        ).update(viewer_key=account, user=user)
    try:
        cache.delete(_session_profile_key(session_key))
    except Exception as exc:
        log.warning("session profile not dropped: %s", exc)
    return True


def profile_set_interests(*, user, category_ids) -> ViewerProfile:
    """A new viewer's picked interests seed the profile's category weights."""
    valid = list(Category.objects.filter(pk__in=category_ids, active=True).values_list("pk", flat=True))
    with transaction.atomic():
        profile, _ = ViewerProfile.objects.select_for_update().get_or_create(user=user)
        profile.interests = valid
        for cid in valid:
            profile.category_weights[str(cid)] = max(profile.category_weights.get(str(cid), 0.0), 1.0)
        profile.save()
    return profile


# --- Nightly training --------------------------------------------------------------------------


def _epoch_sql(column: str) -> str:
    vendor = connection.vendor
    if vendor == "sqlite":
        return f"((julianday({column}) - 2440587.5) * 86400.0)"
    if vendor == "mysql":
        return f"UNIX_TIMESTAMP({column})"
    return f"EXTRACT(EPOCH FROM {column})"


def _fetch_arrays(sql: str, params, dtypes, chunk: int = 500_000) -> list[np.ndarray]:
    cols = [[] for _ in dtypes]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=len(rows) * len(dtypes))
            block = flat.reshape(len(rows), len(dtypes))
            for j, dtype in enumerate(dtypes):
                cols[j].append(block[:, j].astype(dtype))
    return [np.concatenate(c) if c else np.zeros(0, dtype=d) for c, d in zip(cols, dtypes, strict=True)]


def _dense(ids: np.ndarray, count: int) -> bool:
    """Whether a lookup table over 0..max(ids) is affordable: database ids are mostly dense, and
    a table lookup is many times faster than a binary search of ten million unsorted ids."""
    return len(ids) > 0 and int(ids.min()) >= 0 and int(ids.max()) <= 4 * count + 1_000_000


def _positions(sorted_ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's index in `sorted_ids` (unique, ascending), and whether it is there at all."""
    if len(sorted_ids) == 0:
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    if _dense(sorted_ids, len(sorted_ids)) and (len(values) == 0 or int(values.min()) >= 0):
        table = np.full(int(sorted_ids[-1]) + 1, -1, dtype=np.int64)
        table[sorted_ids] = np.arange(len(sorted_ids))
        inside = values < len(table)
        pos = np.where(inside, table[np.where(inside, values, 0)], -1)
        return np.maximum(pos, 0), pos >= 0
    pos = np.searchsorted(sorted_ids, values)
    return pos, (pos < len(sorted_ids)) & (sorted_ids[np.minimum(pos, len(sorted_ids) - 1)] == values)


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(values, return_inverse=True)`, through a lookup table where the ids are dense."""
    if not _dense(values, len(values)):
        return np.unique(values, return_inverse=True)
    present = np.zeros(int(values.max()) + 1, dtype=bool)
    present[values] = True
    uniq = np.flatnonzero(present)
    code = np.cumsum(present, dtype=np.int64) - 1
    return uniq.astype(values.dtype, copy=False), code[values]


def _fetch_in_id_ranges(table: str, select_sql: str, where_sql: str, params, dtypes):
    """`_fetch_arrays` over consecutive primary-key ranges of `table`, one query per range.
    MySQL's client library holds a whole result in memory before the first row is read, so one
    query over ten million events would peak at gigabytes; a range of EVENT_ID_RANGE ids keeps it
    to one range's rows. On SQLite a rowid range is read in table order."""
    step = EVENT_ID_RANGE
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        low, high = cursor.fetchone()
    if low is None:
        return [np.zeros(0, dtype=d) for d in dtypes]
    force = " FORCE INDEX (PRIMARY)" if connection.vendor == "mysql" else ""
    parts = []
    for start in range(int(low) - 1, int(high), step):
        sql = f"SELECT {select_sql} FROM {table}{force} WHERE id > %s AND id <= %s AND {where_sql}"
        parts.append(_fetch_arrays(sql, [start, start + step, *params], dtypes))
    return [np.concatenate(cols) for cols in zip(*parts, strict=True)]


def load_training_data(*, now, params: dict, horizon_days: float | None):
    """Catalogue (listable video ids), categories and decayed event weights, read with plain
    cursors into numpy arrays: the ORM's per-row objects would dominate at millions of rows."""
    sql, qparams = (
        listable_videos().values_list("id", "creator_id", "impression_count").order_by("id").query.sql_with_params()
    )
    video_ids, creator_ids, impressions = _fetch_arrays(sql, qparams, [np.int64, np.int64, np.int64])
    through = Video.categories.through._meta.db_table
    vid, cid = _fetch_arrays(f"SELECT video_id, category_id FROM {through}", [], [np.int64, np.int64])
    pos, ok = _positions(video_ids, vid)
    category_ids = np.unique(cid)
    item_categories = sp.csr_matrix(
        (np.ones(int(ok.sum()), dtype=np.float32), (pos[ok], np.searchsorted(category_ids, cid[ok]))),
        shape=(len(video_ids), len(category_ids)),
    )
    weights_by_kind = params["interaction_weights"]
    case = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KIND_CODES))
    table = EngagementEvent._meta.db_table
    # Events older than the horizon weigh almost nothing after decay; skipping them bounds the read.
    horizon = now - timedelta(days=horizon_days) if horizon_days else datetime(1970, 1, 1, tzinfo=UTC)
    # SQLite would walk the created_at index and fetch each row by id (random reads over the
    # whole table); "+column" keeps it to the primary-key range.
    scan = "+" if connection.vendor == "sqlite" else ""
    kinds_in = ", ".join(["%s"] * len(KIND_CODES))
    users, videos, kinds, completion, times = _fetch_in_id_ranges(
        table,
        f"user_id, video_id, CASE kind {case} END, completion, {_epoch_sql('created_at')}",
        f"{scan}user_id IS NOT NULL AND {scan}created_at >= %s AND {scan}kind IN ({kinds_in})",
        [horizon, *KIND_CODES],
        [np.int64, np.int64, np.int8, np.float32, np.float64],
    )
    pos, ok = _positions(video_ids, videos)
    users, items, kinds, completion, times = users[ok], pos[ok], kinds[ok], completion[ok], times[ok]
    base = np.array([weights_by_kind.get(k, 0.0) for k in KIND_CODES])
    w = base[kinds]
    watch = kinds == 0
    w[watch] = w[watch] * (np.clip(completion[watch], 0, 1) - 0.4) / 0.6
    raw = w.astype(np.float32)  # what a live profile sums: no time decay
    age_days = (now.timestamp() - times) / 86400.0
    w = w * 0.5 ** (np.maximum(age_days, 0) / params["decay_days"])
    user_ids, user_idx = _codes(users)
    return {
        "video_ids": video_ids,
        "creator_ids": creator_ids,
        "impressions": impressions,
        "category_ids": category_ids,
        "item_categories": item_categories,
        "users": user_idx,
        "events": len(w),
        "items": items,
        "weights": w,
        "raw_weights": raw,
        "times": times,
        "n_users": len(user_ids),
        "priors": catalogue_priors(),
    }


def catalogue_priors() -> dict:
    """The catalogue's like rate (likes per impression) and completion rate (completion per
    play) over listable videos: the feed's quality signal and exploration draws shrink each
    video's own rates toward these."""
    sums = listable_videos().aggregate(
        likes=Sum("like_count"),
        impressions=Sum("impression_count"),
        done=Sum("completion_sum"),
        plays=Sum("play_count"),
    )
    priors = dict(ranking.DEFAULT_PRIORS)
    if sums["impressions"]:
        priors["like"] = float(sums["likes"] or 0) / float(sums["impressions"])
    if sums["plays"]:
        priors["completion"] = float(sums["done"] or 0) / float(sums["plays"])
    return priors


def recommender_train(
    *,
    now=None,
    activate: bool = True,
    version: str | None = None,
    horizon_days: float | None = -1,
    ordered: bool = True,
):
    """Train on engagement up to `now`, write the artifact under MODEL_ROOT and record a
    ModelVersion with its metrics, what validation chose, and the settings it was trained with.
    `ordered=False` says event times are only file order (an offline dataset without dates)."""
    now = now or timezone.now()
    params = settings_params()
    started = time.monotonic()
    if horizon_days == -1:
        horizon_days = params["decay_days"] * 8
    data = load_training_data(now=now, params=params, horizon_days=horizon_days)
    loaded = time.monotonic()
    arrays = training.train_arrays(
        users=data.pop("users"),
        items=data.pop("items"),
        weights=data.pop("weights"),
        raw_weights=data.pop("raw_weights"),
        times=data.pop("times"),
        n_users=data["n_users"],
        n_items=len(data["video_ids"]),
        item_categories=data["item_categories"],
        params=params,
        ordered=ordered,
    )
    trained = time.monotonic()
    # Content neighbours for the newest videos: they matter most where co-engagement is thin.
    content_refresh_stale()
    newest = list(Video.objects.order_by("-published_at").values_list("pk", flat=True)[:TEXT_NEIGHBOUR_VIDEOS])
    rows = list(VideoContent.objects.filter(video_id__in=newest).values_list("video_id", "terms"))
    text_ids = np.array([r[0] for r in rows], dtype=np.int64)
    t_ptr, t_idx, t_sim = training.text_neighbours([r[1] for r in rows])
    arrays.update(training.creator_and_explore_pools(data["creator_ids"], data["impressions"], params))
    arrays.update(
        video_ids=data["video_ids"],
        category_ids=data["category_ids"],
        text_video_ids=text_ids,
        text_indptr=t_ptr,
        text_idx=t_idx,
        text_sim=t_sim,
        # The feed's quality signal and exploration read these (ranking.model_priors).
        prior_like=np.asarray(data["priors"]["like"], dtype=np.float64),
        prior_completion=np.asarray(data["priors"]["completion"], dtype=np.float64),
    )
    if connection.vendor == "sqlite":
        # Without statistics SQLite prefers the listable index over primary-key lookups for the
        # feed's "these few hundred ids" queries, which then scan every listable video.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Video._meta.db_table}")
    finished = time.monotonic()
    version = version or now.strftime("%Y%m%d-%H%M%S")
    rel = Path("recommender") / f"{version}.npz"
    path = Path(settings.MODEL_ROOT) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob("*.part"):  # from a run killed mid-write; one trains at a time
        leftover.unlink(missing_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        np.savez(handle, **arrays)
    os.replace(partial, path)  # a reader never sees half an artifact
    artifact_publish(rel)  # to the media store, for machines that share no disk
    metrics = {
        "videos": int(len(data["video_ids"])),
        "users": int(data["n_users"]),
        "events": int(data["events"]),
        "positive_pairs": int(arrays["n_pairs"][0]),
        "neighbour_entries": int(len(arrays["nbr_idx"])),
        "prior_like": round(float(arrays["prior_like"]), 5),
        "prior_completion": round(float(arrays["prior_completion"]), 5),
        **training.choice_metrics(arrays),
        "load_s": round(loaded - started, 2),
        "train_s": round(trained - loaded, 2),
        "content_s": round(finished - trained, 2),
    }
    with transaction.atomic():
        mv, _ = ModelVersion.objects.update_or_create(
            kind="recommender",
            version=version,
            defaults={"artifact_path": str(rel), "metrics": metrics, "params": params},
        )
        if activate:
            ModelVersion.objects.filter(kind="recommender", active=True).exclude(pk=mv.pk).update(active=False)
            mv.active = True
            mv.activated_at = timezone.now()
            mv.save(update_fields=["active", "activated_at"])
    log.info("recommender %s trained: %s", version, metrics)
    return mv


# --- Preferences -------------------------------------------------------------------------------


def preferences_analyze(*, now=None, use_gemini: bool | None = None) -> int:
    """Each active viewer's top 1–3 categories from weighted, decayed engagement (the profile's
    category weights); Gemini may propose them when configured, validated against the category
    list, falling back to the local result. Returns the number of profiles updated."""
    names = dict(Category.objects.filter(active=True).values_list("pk", "name"))
    api_key = getattr(settings, "GEMINI_API_KEY", "") or ""
    use_gemini = bool(api_key) if use_gemini is None else use_gemini
    updated = 0
    for profile in ViewerProfile.objects.iterator(chunk_size=2000):
        local = [
            int(k)
            for k, v in sorted(profile.category_weights.items(), key=lambda kv: -kv[1])
            if v > 0 and int(k) in names
        ][:3]
        top = local
        if use_gemini and local:
            top = _gemini_top_categories(profile, names, api_key) or local
        if top != profile.top_categories:
            profile.top_categories = top
            profile.save(update_fields=["top_categories"])
            updated += 1
    return updated


def _gemini_top_categories(profile, names: dict, api_key: str) -> list[int]:
    """Ask Gemini for 1–3 categories through structured output; anything not in the category
    list is dropped. Returns [] on any failure (the caller falls back to the local result)."""
    try:
        # google-genai: ~0.5 s to import (python -X importtime); this module is loaded by every web
        # worker, and only the nightly preferences job with Gemini configured needs it.
        from google.genai import types  # noqa: PLC0415

        weights = {names[int(k)]: round(v, 2) for k, v in profile.category_weights.items() if int(k) in names}
        client = gemini_client()  # kept in a name: the client closes its connection when collected
        response = client.models.generate_content(
            model=getattr(settings, "GEMINI_MODEL", "gemini-2.5-flash"),
            contents=(
                "A viewer's engagement weight per category (higher = more engaged): "
                f"{weights}. Pick their 1 to 3 favourite categories from: {sorted(names.values())}."
            ),
            config=types.GenerateContentConfig(
                response_mime_type="application/json",
                response_schema={"type": "ARRAY", "items": {"type": "STRING"}, "maxItems": 3},
            ),
        )
        picked = response.parsed or []
    except Exception as exc:  # network, quota, schema: the local result stands
        log.warning("gemini preferences failed: %s", exc)
        return []
    by_name = {v.lower(): k for k, v in names.items()}
    return [by_name[p.lower()] for p in picked if isinstance(p, str) and p.lower() in by_name][:3]

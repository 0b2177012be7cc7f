"""Offline evaluation on a dataset in the neutral layout (items.csv, train.csv, test.csv), in a
database of its own: the command re-runs itself in a child process pointed at a temporary
SQLite file, so the configured database is never touched."""

import csv
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from recommendations import ranking, services, store
from recommendations.models import RecommenderSettings, ViewerProfile
from recommendations.selectors import caches_clear, feed_for_viewer
from recommendations.services import STATE_FIELDS
from videos.cards import page_size
from videos.models import Category, EngagementEvent, Video

CHILD_FLAG = "RECOMMENDER_EVAL_CHILD"
LIVE_SEED = 2026  # exploration's draws in the feed replay
MANAGE = Path(__file__).resolve().parents[3] / "manage.py"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def read_dataset(data: Path, *, validation: bool):
    """Items, train rows and held-out (user, item) pairs. With `validation`, the held-out pairs
    are carved from train (each user's latest interaction, users with at least three), and the
    test file is not read at all."""
    for name in ("items.csv", "train.csv") + (() if validation else ("test.csv",)):
        if not (data / name).is_file():
            raise CommandError(f"{data / name} is missing")
    items = {}
    with open(data / "items.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            items[row["item"]] = [c for c in (row.get("categories") or "").split("|") if c]
    train = []
    with open(data / "train.csv", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            try:
                value = float(row.get("value") or 1.0)
                ts = float(row["timestamp"]) if row.get("timestamp") else None
            except ValueError:
                raise CommandError(f"train.csv line {n + 2}: value and timestamp must be numbers") from None
            train.append((row["user"], row["item"], value, ts, n))
    if validation:
        by_user = {}
        for row in train:
            by_user.setdefault(row[0], []).append(row)
        held, keep = [], []
        for rows in by_user.values():
            rows.sort(key=lambda r: (r[3] if r[3] is not None else 0, r[4]))
            if len(rows) >= 3:
                held.append((rows[-1][0], rows[-1][1]))
                keep.extend(rows[:-1])
            else:
                keep.extend(rows)
        keep.sort(key=lambda r: r[4])
        return items, keep, held
    with open(data / "test.csv", newline="") as fh:
        test = [(row["user"], row["item"]) for row in csv.DictReader(fh)]
    return items, train, test


class Command(BaseCommand):
    help = "HR@10 and NDCG@10 of popularity, the original formula and the platform's ranker on a dataset."

    def add_arguments(self, parser):
        parser.add_argument("--data", required=True, help="folder with items.csv, train.csv, test.csv")
        parser.add_argument(
            "--validation", action="store_true", help="score on a split carved from train.csv (for choosing defaults)"
        )
        parser.add_argument("--grid", action="store_true", help="with --validation: also try alternative blends")

    def handle(self, *args, data, validation, grid, **options):
        data = Path(data)
        if not data.is_dir():
            raise CommandError(f"--data {data}: no such folder")
        if os.environ.get(CHILD_FLAG) != "1":
            return self.spawn(data, validation, grid)
        self.evaluate(data, validation, grid)

    def spawn(self, data, validation, grid):
        read_dataset(data, validation=validation)  # fail fast on a bad layout, before migrating
        with tempfile.TemporaryDirectory(prefix="receval-") as tmp:
            env = {
                **os.environ,
                CHILD_FLAG: "1",
                "DATABASE_URL": f"sqlite:///{tmp}/eval.sqlite3",
                "MODEL_ROOT": f"{tmp}/models",
                "REDIS_URL": "",
            }
            cmd = [sys.executable, str(MANAGE), "evaluate_recommender", "--data", str(data)]
            cmd += ["--validation"] * validation + ["--grid"] * grid
            result = subprocess.run(cmd, env=env, check=False)
            if result.returncode:
                raise CommandError("evaluation failed (see the messages above)")

    def evaluate(self, data, validation, grid):
        assert "eval.sqlite3" in str(settings.DATABASES["default"]["NAME"]), "refusing to evaluate in a shared database"
        started = time.monotonic()
        items, train, test = read_dataset(data, validation=validation)
        call_command("migrate", verbosity=0)
        world = build_world(items, train)
        log(f"built {len(world['video_of'])} videos, {world['events']} events in {time.monotonic() - started:.1f}s")
        if not world["has_time"]:  # no dates: no freshness, for the feed replay too
            RecommenderSettings.objects.update_or_create(pk=1, defaults={"w_fresh": 0.0})
        mv = services.recommender_train(now=world["now"], horizon_days=None, ordered=world["has_time"])
        store.forget()
        model = store.active_model()
        m = mv.metrics
        log(f"trained in {m['train_s']}s ({m['neighbour_entries']} neighbour entries)")
        log(
            f"validation chose: lambda={m['learned_lambda']:g} head={m['learned_head']} k={m['neighbours_k']} "
            f"anchors={m['anchor_count']} half_life={m['anchor_half_life']} anchor_power={m['anchor_power']:g} "
            f"tail_scale={m['tail_scale']:g} collab_candidates={m['collab_candidates']} "
            f"(validation ndcg@10={m['validation_ndcg']:.4f} on {m['validation_users']} viewers)"
        )
        params = ranking.model_params(model, services.settings_params())
        variants = [("platform", params)]
        if grid:
            for key, values in GRID.items():
                for value in values:
                    variants.append((f"{key}={value}", {**params, key: value}))
        results, states = evaluate_all(world, model, test, variants)
        for name, (hr, ndcg) in results.items():
            self.stdout.write(f"{name:<28} HR@10={hr:.4f} NDCG@10={ndcg:.4f}")
        ranked = time.monotonic()
        live_hr, live_ndcg, recall = evaluate_live(world, test, states)
        log(f"evaluated by {ranked - started:.1f}s; feed replay took {time.monotonic() - ranked:.1f}s")
        self.stdout.write(f"live hr@10={live_hr:.4f} ndcg@10={live_ndcg:.4f} candidate_recall={recall:.4f}")
        hr, ndcg = results["platform"]
        self.stdout.write(f"hr@10={hr:.4f} ndcg@10={ndcg:.4f}")


GRID = {
    "w_content": [0.0, 0.1, 0.6],
    "w_pop": [0.0, 0.2],
    "w_quality": [0.0, 0.3],
    "w_fresh": [0.0, 0.3],
    "history_half_life": [5.0, 20.0],
}


def build_world(items, train):
    """Categories, videos and engagement events in the temporary database, in bulk."""
    has_time = any(r[3] is not None for r in train)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    if has_time:
        t0 = min(r[3] for r in train if r[3] is not None)
        times = [
            datetime.fromtimestamp(r[3], tz=UTC) if r[3] is not None else datetime.fromtimestamp(t0, tz=UTC)
            for r in train
        ]
    else:
        # No dates: file order stands in for time, one second apart (no freshness is used).
        times = [base + timedelta(seconds=r[4]) for r in train]
    now = max(times) + timedelta(seconds=1) if times else base
    names = sorted({c[:50] for cats in items.values() for c in cats})
    Category.objects.all().delete()  # the temporary database's seeded categories are not the dataset's
    Category.objects.bulk_create([Category(name=n, slug=f"c{i}", position=i) for i, n in enumerate(names)])
    cat_pk = dict(Category.objects.values_list("name", "pk"))
    # Interaction strength → engagement: every interaction is a watch whose completion grows with
    # the value's percentile; the top quarter of values also counts as a like.
    values = np.array([r[2] for r in train], dtype=float)
    pct = (np.argsort(np.argsort(values, kind="stable"), kind="stable") + 1) / max(len(values), 1)
    distinct = len(np.unique(values)) > 1
    for_item = {}
    first_seen = {}
    for r, t in zip(train, times, strict=True):
        for_item.setdefault(r[1], []).append(r)
        first_seen[r[1]] = min(first_seen.get(r[1], t), t)
    video_rows = []
    all_items = sorted(set(items) | set(for_item))
    # Each item has a creator of its own: the datasets know no creators, and the feed's cap per
    # creator and page must not bind where the data has nothing to say about it.
    User.objects.bulk_create(
        [User(username=f"c{n}", email=f"c{n}@example.com", password="!") for n in range(len(all_items))],
        batch_size=2000,
    )
    creator_of = dict(User.objects.filter(username__startswith="c").values_list("username", "pk"))
    for n, item in enumerate(all_items):
        video_rows.append(
            Video(
                creator_id=creator_of[f"c{n}"],
                title=f"item {item}"[:150],
                processing="ready",
                moderation="approved",
                visibility="public",
                published_at=first_seen.get(item, base) if has_time else base,
                created_at=base,
            )
        )
    Video.objects.bulk_create(video_rows, batch_size=2000)
    video_of = dict(zip(all_items, Video.objects.order_by("pk").values_list("pk", flat=True), strict=True))
    through = Video.categories.through
    through.objects.bulk_create(
        [through(video_id=video_of[i], category_id=cat_pk[c[:50]]) for i in all_items for c in items.get(i, [])],
        batch_size=5000,
    )
    users = sorted({r[0] for r in train})
    User.objects.bulk_create(
        [User(username=f"u{n}", email=f"u{n}@example.com", password="!") for n in range(len(users))], batch_size=2000
    )
    pk_of = dict(User.objects.filter(username__startswith="u").values_list("username", "pk"))
    user_of = {user: pk_of[f"u{n}"] for n, user in enumerate(users)}
    events = []
    counters = {}
    for k, (r, t) in enumerate(zip(train, times, strict=True)):
        q = pct[k] if distinct else 1.0
        completion = 0.6 + 0.4 * q
        like = distinct and q >= 0.75
        uid, vid = user_of[r[0]], video_of[r[1]]
        events.append(EngagementEvent(user_id=uid, video_id=vid, kind="watch", completion=completion, created_at=t))
        if like:
            events.append(EngagementEvent(user_id=uid, video_id=vid, kind="like", completion=0.0, created_at=t))
        c = counters.setdefault(vid, [0, 0.0, 0])
        c[0] += 1
        c[1] += completion
        c[2] += like
    EngagementEvent.objects.bulk_create(events, batch_size=5000)
    videos = list(Video.objects.filter(pk__in=counters))
    for v in videos:
        n, comp, likes = counters[v.pk]
        v.impression_count = v.play_count = v.view_count = n
        v.completion_sum, v.like_count = comp, likes
    Video.objects.bulk_update(
        videos, ["impression_count", "play_count", "view_count", "completion_sum", "like_count"], batch_size=2000
    )
    return {
        "video_of": video_of,
        "user_of": user_of,
        "items": items,
        "train": train,
        "times": times,
        "values_pct": pct if distinct else np.ones(len(train)),
        "like_threshold": 0.75 if distinct else 2.0,
        "now": now,
        "has_time": has_time,
        "events": len(events),
    }


def evaluate_all(world, model, test, variants):
    """Rank every catalogue item for each held-out user: popularity, the original formula, and
    the platform's ranking function (same profile code as the live feed, no exploration, no
    per-creator cap)."""
    videos = list(Video.objects.order_by("pk"))
    vids = np.array([v.pk for v in videos], dtype=np.int64)
    index = {pk: i for i, pk in enumerate(vids)}
    cats = {}
    for vid, cid in Video.categories.through.objects.values_list("video_id", "category_id"):
        cats.setdefault(vid, []).append(cid)
    category_ids, idf = model.arrays["category_ids"], model.arrays["cat_idf"]
    cat_matrix = ranking.category_matrix([cats.get(pk, []) for pk in vids], category_ids, idf)
    counters = {
        "ids": vids,
        "likes": np.array([v.like_count for v in videos], float),
        "impressions": np.array([v.impression_count for v in videos], float),
        "completion_sum": np.array([v.completion_sum for v in videos], float),
        "plays": np.array([v.play_count for v in videos], float),
    }
    ages = np.array([(world["now"] - v.published_at).total_seconds() / 86400 for v in videos])
    positions = model.positions(vids)
    priors = ranking.model_priors(model)  # what training wrote, as the feed reads them
    popularity = counters["impressions"]
    history: dict[str, list] = {}
    for r, t, q in zip(world["train"], world["times"], world["values_pct"], strict=True):
        history.setdefault(r[0], []).append((t, r[4], r[1], q))
    results = {name: [0.0, 0.0] for name in ["popularity", "original formula"] + [n for n, _ in variants]}
    states = {}
    evaluated = 0
    for user, item in test:
        if item not in world["video_of"] or user not in history:
            evaluated += 1
            continue
        target = index[world["video_of"][item]]
        rows = sorted(history[user])
        seen = np.array([index[world["video_of"][r[2]]] for r in rows])
        # Original formula: the user's top-3 categories by interaction count.
        counts = {}
        for r in rows:
            for c in cats.get(world["video_of"][r[2]], []):
                counts[c] = counts.get(c, 0) + 1
        top3 = {str(c): 1.0 for c, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:3]}
        original = ranking.original_formula(
            category_similarity=ranking.category_cosine(top3, cat_matrix, category_ids), engagement=popularity
        )
        _score(results["popularity"], popularity, seen, target)
        _score(results["original formula"], original, seen, target)
        # The viewer's live profile, built by the same code the feed's event handler runs (the
        # variants differ in blend knobs only, not in how events fold into a profile).
        state = ranking.new_profile_state()
        for _t, _n, it, q in rows:
            vid = world["video_of"][it]
            ranking.profile_apply(
                state,
                video_id=vid,
                category_ids=cats.get(vid, []),
                kind="watch",
                completion=0.6 + 0.4 * q,
                slot="",
                params=variants[0][1],
            )
            if q >= world["like_threshold"]:
                ranking.profile_apply(
                    state,
                    video_id=vid,
                    category_ids=cats.get(vid, []),
                    kind="like",
                    completion=0.0,
                    slot="",
                    params=variants[0][1],
                )
        states[user] = state
        for name, params in variants:
            scores, _parts = ranking.score_for_profile(
                model=model,
                positions=positions,
                cat_matrix=cat_matrix,
                category_ids=category_ids,
                counters=counters,
                age_days=ages if world["has_time"] else None,
                state=state,
                params=params,
                priors=priors,
            )
            _score(results[name], scores, seen, target)
        evaluated += 1
    return {name: (hr / max(evaluated, 1), nd / max(evaluated, 1)) for name, (hr, nd) in results.items()}, states


def evaluate_live(world, test, states, *, seed: int = LIVE_SEED):
    """The same split served by the feed itself (`feed_for_viewer`, signed in as each test
    viewer, whose profile row holds the state built above): its candidate pools, its blend, its
    per-creator cap, and exploration slots at the share and positions it uses in production
    (Thompson draws, seeded per viewer). The first 10 videos served on consecutive pages of the
    production page size are ranked. Also the share of held-out videos among the first page's
    ranked candidates. The viewer's training items are passed as already seen."""
    user_ids = {user: world["user_of"][user] for user in states}
    ViewerProfile.objects.filter(user_id__in=list(user_ids.values())).delete()
    ViewerProfile.objects.bulk_create(
        [ViewerProfile(user_id=user_ids[u], **{f: states[u][f] for f in STATE_FIELDS}) for u in states],
        batch_size=1000,
    )
    caches_clear()
    seen_by: dict[str, set[int]] = {}
    for r in world["train"]:
        seen_by.setdefault(r[0], set()).add(world["video_of"][r[1]])
    size = page_size()
    hits = ndcg = found = 0.0
    evaluated = 0
    for n, (user, item) in enumerate(test):
        evaluated += 1
        if item not in world["video_of"] or user not in states:
            continue
        target = world["video_of"][item]
        viewer = User(pk=user_ids[user])
        rng = np.random.default_rng([seed, n])
        served: list[int] = []
        trace: dict = {}
        while len(served) < 10:
            page = feed_for_viewer(
                user=viewer,
                session_key="",
                exclude_ids=seen_by[user] | set(served),
                limit=size,
                rng=rng,
                now=world["now"],
                trace=None if served else trace,
            )
            if not page:
                break
            served += [entry.video.pk for entry in page]
        found += target in trace.get("candidates", ())
        if target in served[:10]:
            rank = served.index(target) + 1
            hits += 1
            ndcg += 1 / np.log2(rank + 1)
    n = max(evaluated, 1)
    return hits / n, ndcg / n, found / n


def _score(acc, scores, seen, target):
    """Add this user's hit and NDCG; ties count as half above (no credit for arbitrary order)."""
    scores = np.asarray(scores, dtype=float).copy()
    scores[seen] = -np.inf
    s = scores[target]
    if not np.isfinite(s):
        return
    rank = 1 + np.sum(scores > s) + (np.sum(scores == s) - 1) / 2
    if rank <= 10:
        acc[0] += 1
        acc[1] += 1 / np.log2(rank + 1)

"""Scale benchmark: a synthetic catalogue with power-law popularity and activity in a database
of its own, the nightly training in a child process (its peak RSS measured), then feed pages
for random signed-in viewers through the real feed view at "/"."""

import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from itertools import repeat
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import setup_test_environment
from django.utils import timezone

from accounts.models import Follow, User
from recommendations import services, store
from recommendations.models import RecommenderSettings
from recommendations.selectors import feed_for_viewer
from videos.models import Category, EngagementEvent, Video

STAGE = "RECOMMENDER_BENCH_STAGE"
MANAGE = Path(__file__).resolve().parents[3] / "manage.py"
WORDS = (
    "dance cat recipe goal trick prank travel beach workout guitar makeup sunset puppy street art fail "
    "lesson science game anime drift skate ocean hike city night cook vegan coffee paint code garden"
).split()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Command(BaseCommand):
    help = "Build a synthetic catalogue, train in a child process, and time feed pages through the real view."

    def add_arguments(self, parser):
        parser.add_argument("--videos", type=int, required=True)
        parser.add_argument("--users", type=int, required=True)
        parser.add_argument("--interactions", type=int, required=True)
        parser.add_argument("--requests", type=int, default=200)
        parser.add_argument("--database-url", default="", help="an empty database to use (default: temporary SQLite)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--learned-head", type=int, default=None, help="videos given learned weights (default: the settings row's)"
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep the built world and use it again when it is there (SQLite: a file under VAR_DIR/bench/)",
        )

    def handle(self, *args, **opts):
        for name in ("videos", "users", "interactions", "requests"):
            if opts[name] < 1:
                raise CommandError(f"--{name} must be at least 1")
        stage = os.environ.get(STAGE)
        if stage == "train":
            return self.train_stage()
        if stage == "run":
            return self.run_stage(opts)
        with tempfile.TemporaryDirectory(prefix="recbench-") as tmp:
            url = opts["database_url"] or f"sqlite:///{tmp}/bench.sqlite3"
            if opts["reuse"] and not opts["database_url"]:
                kept = Path(settings.VAR_DIR) / "bench"
                kept.mkdir(parents=True, exist_ok=True)
                name = f"feed-{opts['videos']}-{opts['users']}-{opts['interactions']}-{opts['seed']}.bench.sqlite3"
                url = f"sqlite:///{kept / name}"
            env = {**os.environ, STAGE: "run", "DATABASE_URL": url, "MODEL_ROOT": f"{tmp}/models", "REDIS_URL": ""}
            cmd = [sys.executable, str(MANAGE), "bench_feed", *_argv(opts)]
            if subprocess.run(cmd, env=env, check=False).returncode:
                raise CommandError("benchmark failed (see the messages above)")

    def train_stage(self):
        mv = services.recommender_train()
        peak_kb = _peak_rss_kb()
        log(f"training metrics: {mv.metrics}")
        print(f"peak_kb={peak_kb}")

    def run_stage(self, opts):
        if not opts["database_url"]:
            assert "bench.sqlite3" in str(settings.DATABASES["default"]["NAME"]), "refusing to use a shared database"
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        rng = np.random.default_rng(opts["seed"])
        reused = opts["reuse"] and _world_present(opts)
        if not reused:
            if Video.objects.exists():
                raise CommandError("the database already holds videos: give an empty one, or --reuse a built world")
            build(opts["videos"], opts["users"], opts["interactions"], rng)
        self.stdout.write(
            f"build_s={time.monotonic() - started:.1f} videos={opts['videos']} users={opts['users']} "
            f"interactions={opts['interactions']} database={connection.vendor}" + (" reused" if reused else "")
        )
        self.stdout.flush()
        if opts["learned_head"] is not None:
            RecommenderSettings.objects.update_or_create(pk=1, defaults={"learned_head": opts["learned_head"]})
        connection.close()
        t0 = time.monotonic()
        child = subprocess.run(
            [sys.executable, str(MANAGE), "bench_feed", *_argv(opts)],
            env={**os.environ, STAGE: "train"},
            capture_output=True,
            text=True,
            check=False,
        )
        train_s = time.monotonic() - t0
        sys.stderr.write(child.stderr)
        if child.returncode:
            raise CommandError("training failed")
        peak_mb = int(child.stdout.strip().rsplit("peak_kb=", 1)[1]) / 1024
        p50, p99, s50, s99 = serve(opts["requests"], rng)
        self.stdout.write(f"selector_p50_ms={s50:.1f} selector_p99_ms={s99:.1f} (feed_for_viewer alone)")
        self.stdout.write(
            f"train_s={train_s:.1f} train_peak_mb={peak_mb:.0f} feed_p50_ms={p50:.1f} feed_p99_ms={p99:.1f}"
        )


def _peak_rss_kb() -> int:
    """This process's peak resident set. VmHWM belongs to the current address space, so it does
    not include the parent's memory copied at fork (ru_maxrss carries that across exec on Linux)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _argv(opts) -> list[str]:
    args = []
    for name in ("videos", "users", "interactions", "requests", "seed"):
        args += [f"--{name}", str(opts[name])]
    if opts["database_url"]:
        args += ["--database-url", opts["database_url"]]
    if opts["learned_head"] is not None:
        args += ["--learned-head", str(opts["learned_head"])]
    return args + ["--reuse"] * bool(opts["reuse"])


def _world_present(opts) -> bool:
    """A world of this size, built to the end, is already in the database (the events are loaded
    last, and the statistics after them)."""
    return (
        Video.objects.count() == opts["videos"]
        and User.objects.filter(username__startswith="bench").count() == opts["users"]
        and EngagementEvent.objects.count() == opts["interactions"]
    )


@contextmanager
def _indexes_deferred(*tables):
    """Drop the tables' secondary indexes while bulk loading and rebuild them after: one sort per
    index instead of millions of random page updates (on MariaDB with its default 128 MB buffer
    pool, ten million events with their indexes in place took most of an hour)."""
    if connection.vendor == "mysql":
        with _mysql_indexes_deferred(*tables):
            yield
        return
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")  # a throwaway database: durability is not needed
        cursor.execute("PRAGMA cache_size=-400000")
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
            list(tables),
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)


@contextmanager
def _mysql_indexes_deferred(*tables):
    """MySQL/MariaDB: the tables' foreign keys and non-unique keys, as SHOW CREATE TABLE states
    them, are dropped and added back after the load (foreign keys without re-checking the rows:
    the generator wrote only existing ids)."""
    saved = {}
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
        for table in tables:
            cursor.execute(f"SHOW CREATE TABLE {table}")
            lines = [line.strip().rstrip(",") for line in cursor.fetchone()[1].splitlines()]
            keys = [line for line in lines if line.startswith("KEY ")]
            fks = [line for line in lines if line.startswith("CONSTRAINT ") and " FOREIGN KEY " in line]
            saved[table] = (keys, fks)
            drops = [f"DROP FOREIGN KEY {line.split()[1]}" for line in fks]
            drops += [f"DROP INDEX {line.split()[1]}" for line in keys]
            if drops:
                cursor.execute(f"ALTER TABLE {table} {', '.join(drops)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table, (keys, fks) in saved.items():
                if keys:
                    cursor.execute(f"ALTER TABLE {table} {', '.join('ADD ' + k for k in keys)}")
                if fks:
                    cursor.execute(f"ALTER TABLE {table} {', '.join('ADD ' + f for f in fks)}")
            cursor.execute("SET SESSION foreign_key_checks = 1, unique_checks = 1")


def _insert(table: str, columns: list[str], rows, batch: int = 50_000):
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, rows[start : start + batch])


def _template(model, **overrides):
    """Column names and database values of a default instance, for fast raw bulk inserts."""
    instance = model(**overrides)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return [f.column for f in fields], [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def _zipf_weights(n: int, a: float, rng) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    rng.shuffle(w)
    return w / w.sum()


def build(n_videos: int, n_users: int, n_interactions: int, rng):
    """Users (some of them creators), videos with 1–2 categories and random text, follows, and
    engagement events whose users and videos follow power laws."""
    now = timezone.now()
    t = time.monotonic()
    cats = list(Category.objects.values_list("pk", flat=True))
    if not cats:
        Category.objects.bulk_create([Category(name=f"Topic {i}", slug=f"topic-{i}") for i in range(12)])
        cats = list(Category.objects.values_list("pk", flat=True))
    cols, values = _template(User, username="x", email="x@example.com", password="!")
    ui, ei = cols.index("username"), cols.index("email")
    rows = []
    for n in range(n_users):
        row = list(values)
        row[ui], row[ei] = f"bench{n}", f"bench{n}@example.com"
        rows.append(row)
    _insert(User._meta.db_table, cols, rows)
    user_ids = np.array(User.objects.filter(username__startswith="bench").order_by("pk").values_list("pk", flat=True))
    log(f"users: {time.monotonic() - t:.1f}s")

    t = time.monotonic()
    ev = _events(n_users, n_videos, n_interactions, now, rng)
    impressions = np.bincount(ev["video"], minlength=n_videos)
    likes = np.bincount(ev["video"], weights=(ev["kind"] == "like"), minlength=n_videos)
    completion_sum = np.bincount(ev["video"], weights=ev["completion"], minlength=n_videos)
    plays = np.bincount(ev["video"], weights=(ev["kind"] == "watch"), minlength=n_videos)
    log(f"events generated: {time.monotonic() - t:.1f}s")
    n_creators = max(10, min(n_users // 5, n_videos // 3))
    creators = user_ids[:n_creators]
    creator_of = creators[rng.choice(n_creators, size=n_videos, p=_zipf_weights(n_creators, 1.0, rng))]
    cols, values = _template(
        Video, creator_id=1, title="x", processing="ready", moderation="approved", visibility="public"
    )
    names = ("public_id", "creator_id", "title", "description", "published_at", "created_at", "impression_count")
    names += ("view_count", "like_count", "completion_sum", "play_count")
    idx = {c: cols.index(c) for c in names}
    ages = rng.exponential(20.0, size=n_videos)  # days
    field = Video._meta.get_field("published_at")
    words = np.array(WORDS)
    picks = rng.integers(0, len(words), size=(n_videos, 5))
    rows = []
    for n in range(n_videos):
        row = list(values)
        w = words[picks[n]]
        row[idx["public_id"]] = secrets.token_urlsafe(12)
        row[idx["creator_id"]] = int(creator_of[n])
        row[idx["title"]] = f"{w[0]} {w[1]} {n}"
        row[idx["description"]] = f"{w[2]} {w[3]} #{w[4]}"
        when = field.get_db_prep_save(now - timedelta(days=float(ages[n])), connection)
        row[idx["published_at"]] = row[idx["created_at"]] = when
        row[idx["impression_count"]] = row[idx["view_count"]] = int(impressions[n])
        row[idx["like_count"]], row[idx["play_count"]] = int(likes[n]), int(plays[n])
        row[idx["completion_sum"]] = float(completion_sum[n])
        rows.append(row)
    with _indexes_deferred(Video._meta.db_table):
        if connection.vendor == "mysql":  # 1M rows through INSERTs took most of the MariaDB build
            load = _mysql_file_loader(Video._meta.db_table, cols)
            for start in range(0, len(rows), 200_000):
                load(rows[start : start + 200_000])
        else:
            _insert(Video._meta.db_table, cols, rows)
    del rows
    video_ids = np.array(Video.objects.order_by("pk").values_list("pk", flat=True))
    through = Video.categories.through
    first = rng.integers(0, len(cats), size=n_videos)
    second = rng.integers(0, len(cats), size=n_videos)
    two = rng.random(n_videos) < 0.5
    pairs = [(int(v), cats[c]) for v, c in zip(video_ids, first, strict=True)]
    pairs += [(int(v), cats[c]) for v, c, f, t2 in zip(video_ids, second, first, two, strict=True) if t2 and c != f]
    with _indexes_deferred(through._meta.db_table):
        _insert(through._meta.db_table, ["video_id", "category_id"], pairs)
    log(f"videos: {time.monotonic() - t:.1f}s")

    t = time.monotonic()
    follows = set()
    follower = rng.integers(0, n_users, size=n_users * 3)
    followee = creators[rng.choice(n_creators, size=n_users * 3, p=_zipf_weights(n_creators, 1.0, rng))]
    for a, b in zip(user_ids[follower], followee, strict=True):
        if a != b:
            follows.add((int(a), int(b)))
    created = Follow._meta.get_field("created_at").get_db_prep_save(now, connection)
    _insert(Follow._meta.db_table, ["follower_id", "followee_id", "created_at"], [(a, b, created) for a, b in follows])

    table = EngagementEvent._meta.db_table
    cols = ["user_id", "session_key", "video_id", "kind", "watch_seconds", "completion", "slot", "created_at"]
    with _indexes_deferred(table):
        _insert_events(table, cols, ev, user_ids, video_ids, n_interactions)
    with connection.cursor() as cursor:  # statistics, as a database in service has them
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else f"ANALYZE TABLE {table}, {Video._meta.db_table}")
    log(f"follows and events: {time.monotonic() - t:.1f}s")


def _insert_events(table, cols, ev, user_ids, video_ids, n_interactions):
    chunk = 500_000
    loader = _mysql_file_loader(table, cols) if connection.vendor == "mysql" else None
    for start in range(0, n_interactions, chunk):
        end = min(start + chunk, n_interactions)
        part = slice(start, end)
        rows = zip(
            user_ids[ev["user"][part]].tolist(),
            repeat("", end - start),
            video_ids[ev["video"][part]].tolist(),
            ev["kind"][part].tolist(),
            (ev["completion"][part] * 30).tolist(),
            ev["completion"][part].tolist(),
            repeat("ranked", end - start),
            ev["stamps"][part].tolist(),
            strict=True,
        )
        if loader is not None:
            loader(rows)
        else:
            _insert(table, cols, list(rows))


def _mysql_file_loader(table: str, cols: list[str]):
    """MySQL/MariaDB: rows written to a tab-separated file and read by the server with LOAD DATA
    LOCAL INFILE, on a connection of its own that allows it (the values are numbers and fixed
    words: nothing to escape). Several times faster than multi-row INSERTs, whose values the
    driver quotes one by one."""
    params = {**connection.get_connection_params(), "local_infile": 1}

    def load(rows) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", prefix="recbench-") as fh:
            fh.writelines("\t".join(map(_tsv, row)) + "\n" for row in rows)
            fh.flush()
            db = connection.Database.connect(**params)  # the driver module Django uses
            try:
                cursor = db.cursor()
                cursor.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} FIELDS TERMINATED BY '\\t' ({', '.join(cols)})",
                    [fh.name],
                )
                db.commit()
            finally:
                db.close()

    return load


def _tsv(value) -> str:
    """One field as LOAD DATA reads it: NULL as \\N, booleans as 0/1 (the generated text holds no
    tab, newline or backslash)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _events(n_users, n_videos, n_interactions, now, rng) -> dict:
    """Engagement: viewers' activity and videos' popularity follow power laws; 15% skips, 10%
    likes, the rest watches with a Beta(2, 2) completion, ages exponential (mean 10 days)."""
    roll = rng.random(n_interactions)
    kind = np.where(roll < 0.15, "skip", np.where(roll < 0.25, "like", "watch"))
    age_us = (rng.exponential(86400 * 10, size=n_interactions) * 1e6).astype("timedelta64[us]")
    return {
        "user": rng.choice(n_users, size=n_interactions, p=_zipf_weights(n_users, 0.8, rng)),
        "video": rng.choice(n_videos, size=n_interactions, p=_zipf_weights(n_videos, 0.9, rng)),
        "kind": kind,
        "completion": np.where(kind == "watch", rng.beta(2, 2, size=n_interactions), 0.0),
        # Formatted in bulk (ISO 8601, UTC): one by one, ten million datetimes dominate the build.
        "stamps": np.datetime_as_string(np.datetime64(now.replace(tzinfo=None), "us") - age_us, unit="us"),
    }


def serve(n_requests: int, rng):
    """Feed pages through the real view at "/", each for a random signed-in viewer (sign-in is
    outside the timed part); returns (p50, p99) in milliseconds."""
    setup_test_environment()
    # The benchmark measures the feed, not a collected static manifest.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    store.forget()
    connection.close()
    # (pk, password): force_login stores a hash of the password, checked on every request.
    users = list(User.objects.filter(username__startswith="bench").values_list("pk", "password"))
    client = Client()
    client.get("/")  # warm: load the model once, as a long-running process would have
    timings = []
    for _ in range(n_requests):
        pk, password = users[rng.integers(len(users))]
        client.force_login(User(pk=pk, password=password))
        t = time.perf_counter()
        response = client.get("/")
        timings.append((time.perf_counter() - t) * 1000)
        if not response.wsgi_request.user.is_authenticated:
            raise CommandError("the benchmark's viewer was not signed in; the figures would be the anonymous page")
        if response.status_code != 200:
            raise CommandError(f"feed answered {response.status_code}")
    alone = []
    for _ in range(n_requests):
        viewer = User.objects.get(pk=users[rng.integers(len(users))][0])
        t = time.perf_counter()
        feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
        alone.append((time.perf_counter() - t) * 1000)
    return (
        float(np.percentile(timings, 50)),
        float(np.percentile(timings, 99)),
        float(np.percentile(alone, 50)),
        float(np.percentile(alone, 99)),
    )

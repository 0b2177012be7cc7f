"""Shared fixtures: isolated media and model folders, users, and one headless Chromium per session."""

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import sync_playwright

from recommendations.services import settings_memo
from tests import factories
from tests.s3_server import CREDENTIALS, S3Server, use_bucket
from videos.selectors import category_memo

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# there are ordinary blocking calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The database cache (rate limits when REDIS_URL is unset) needs its table in the test database."""
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


SEEDED_BY_MIGRATIONS = [
    ("videos.migrations.0003_seed_categories", "seed"),
    ("moderation.migrations.0003_video_review_queue", "grant_moderators"),
    ("moderation.migrations.0004_comment_review_queue_and_policies", "seed_policies"),
    ("moderation.migrations.0004_comment_review_queue_and_policies", "grant_moderators"),
    ("moderation.migrations.0008_sanction_permissions", "grant_moderators"),
    ("moderation.migrations.0010_profile_edit_queue", "grant_moderators"),
]


@pytest.fixture(autouse=True)
def data_migrations_rows(request):
    """Rows the data migrations create (categories, policies, the Moderators group) are emptied
    by the flush after every transactional test; put them back for each test that uses the
    database, with the migrations' own idempotent functions."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db" if marker and marker.kwargs.get("transaction") else "db")
    for module, function in SEEDED_BY_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def fresh_shared_cache(settings):
    """Redis outlives a test (the database cache is rolled back with it): start each test with
    an empty one, so rate limits and lockouts never leak between tests."""
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        cache.clear()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3-compatible server on a free port, for the whole session (started on first use)."""
    for name, value in CREDENTIALS.items():
        os.environ.setdefault(name, value)
    server = S3Server(tmp_path_factory.mktemp("s3") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def s3_media(settings, s3_server):
    """This test's media in a bucket of its own on the local S3 server, whatever MEDIA_STORAGE says."""
    bucket = s3_server.create_bucket()
    use_bucket(settings, endpoint=s3_server.endpoint, bucket=bucket)
    return s3_server, bucket


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path, request):
    # A fast hasher: tests create hundreds of accounts; PBKDF2's cost protects nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MODEL_ROOT = tmp_path / "models"
    settings.UPLOAD_TMP_ROOT = tmp_path / "uploads"
    settings.ORIGINALS_ROOT = tmp_path / "originals"
    settings.MEDIA_WORK_ROOT = tmp_path / "work"
    if settings.MEDIA_STORAGE == "s3":  # CI's third run (MEDIA_STORAGE=s3): a bucket per test
        request.getfixturevalue("s3_media")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    for path in (settings.MEDIA_ROOT, settings.MODEL_ROOT, settings.UPLOAD_TMP_ROOT):
        path.mkdir(parents=True, exist_ok=True)
    return tmp_path


@pytest.fixture
def make_user(db):
    return factories.make_user


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 414, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def save_artifact(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


@pytest.fixture(autouse=True)
def fresh_process_memos():
    """Per-process memos (the recommender's knobs, the category table) start empty in every
    test: a rolled-back change sends no signal to clear them."""
    settings_memo.forget()
    category_memo.forget()

"""/healthz tells anyone only whether the site is up (200 or 503, `{"ok": ...}`); the state of
each dependency, error text, queue depth and when the nightly jobs last ran are for staff."""

import json

import pytest
from django_q.models import OrmQ

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def dead_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}


def test_anonymous_callers_get_only_ok(client):
    OrmQ.objects.create(key="short", payload="x")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True}
    assert response["Cache-Control"] == "no-store"


def test_anonymous_callers_learn_nothing_of_a_failure_but_its_status(client, settings):
    dead_cache(settings)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"ok": False}
    body = response.content.decode()
    for secret in ("127.0.0.1", "Connection", "cache", "error", "nightly", "elapsed"):
        assert secret not in body


def test_signed_in_people_who_are_not_staff_get_the_same_answer(client, make_user):
    client.force_login(make_user("viewer"))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True}


def test_staff_get_each_dependency_with_the_error_text(client, settings, make_user):
    client.force_login(make_user("operator", is_staff=True))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert set(response.json()["checks"]) >= {"database", "cache", "queue", "nightly_jobs", "elapsed_ms"}

    dead_cache(settings)
    response = client.get("/healthz")
    assert response.status_code == 503
    cache = response.json()["checks"]["cache"]
    assert cache["ok"] is False and "127.0.0.1" in cache["error"]

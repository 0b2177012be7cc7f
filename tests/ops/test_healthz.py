"""/healthz reports the database, the cache, the queue and the nightly jobs (to staff; see
test_healthz_privacy.py for everyone else)."""

import pytest
from django_q.models import OrmQ

pytestmark = pytest.mark.django_db


def test_it_reports_each_dependency_to_staff(client, make_user):
    client.force_login(make_user("operator", is_staff=True))
    OrmQ.objects.create(key="short", payload="x")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["cache"] == {"ok": True}
    assert body["checks"]["queue"]["depth"] == 1
    assert "nightly_jobs" in body["checks"]

"""Apps mount their own admin views on the project's admin site; the site imports none of them."""

import pytest
from django.contrib import admin
from django.urls import reverse

from moderation.dashboard import dashboard_view

pytestmark = pytest.mark.django_db


def test_the_dashboard_keeps_its_address_and_is_mounted_by_moderation():
    assert reverse("admin:dashboard") == "/admin/dashboard/"
    assert admin.site.extra_views["dashboard"] == ("dashboard/", dashboard_view)


def test_a_mounted_view_is_for_staff_only(client, make_user, settings):
    settings.STAFF_2FA = False
    response = client.get("/admin/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    make_user("viewer", password="viewer-password-123")
    client.login(username="viewer", password="viewer-password-123")
    assert client.get("/admin/dashboard/").status_code == 302

    make_user("ops", password="ops-password-123", is_staff=True)
    client.login(username="ops", password="ops-password-123")
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    assert b"Queue depth" in response.content

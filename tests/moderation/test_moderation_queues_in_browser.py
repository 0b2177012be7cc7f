"""A moderator in a real browser: the admin's index counts what waits, and the reported-items page
shows one row per item, where one decision upholds every report on it. Screenshots of both go to
test-artifacts/."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from moderation.models import Report
from tests.conftest import save_artifact
from tests.factories import ready_video
from videos.models import Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-Str0ng-pass!"


def test_a_moderator_sees_the_counts_and_decides_a_reported_item_once(live_server, page, make_user, settings):
    settings.STAFF_2FA = False
    moderator = make_user("mod", password=PASSWORD, is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    reported = ready_video(make_user("maker"), title="Reported clip", media=False)
    ct = ContentType.objects.get_for_model(Video)
    for name, category, weight in [("ann", "H", 1.0), ("bob", "H", 0.5), ("cy", "HR", 0.25)]:
        Report.objects.create(
            reporter=make_user(name), content_type=ct, object_id=reported.pk, category=category, weight=weight
        )

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "mod")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#pending-queues")
    assert page.locator('#pending-queues [data-queue="reports"]').inner_text() == "1"
    assert page.locator('#pending-queues [data-queue="videos"]').inner_text() == "1"
    assert "1 reports" in page.locator(".pending-counts").inner_text()
    save_artifact(page, "admin-index-waiting-counts")

    page.click('.pending-counts [data-queue="reports"]')
    row = page.locator("#reported-items tbody tr")
    assert row.count() == 1
    assert row.locator(".report-count").inner_text() == "3"
    assert "ann (1.00)" in row.inner_text() and "cy (0.25)" in row.inner_text()
    save_artifact(page, "admin-reported-items")
    row.locator("textarea").fill("Hate speech at 0:03")
    row.locator("button[value=uphold]").click()
    page.wait_for_selector("#no-reports")
    reported.refresh_from_db()
    assert reported.moderation == "rejected"
    assert set(Report.objects.values_list("status", flat=True)) == {"upheld"}

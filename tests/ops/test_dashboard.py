"""The staff dashboard renders with real data in a browser; a screenshot is kept as an artifact."""

import pytest

from moderation.services import decision_record
from tests.conftest import save_artifact
from videos.models import Comment, EngagementEvent, Like, Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_activity_moderation_and_the_queue(live_server, page, make_user, settings):
    settings.STAFF_2FA = False
    admin = make_user("ops", password="ops-password-123", is_staff=True, is_superuser=True)
    creator = make_user("creator")
    videos = [
        Video.objects.create(creator=creator, title=f"clip {i}", processing="ready", moderation="approved")
        for i in range(3)
    ]
    for video in videos:
        Like.objects.create(user=admin, video=video)
        EngagementEvent.objects.create(user=admin, video=video, kind="play")
        EngagementEvent.objects.create(user=admin, video=video, kind="watch", watch_seconds=90, completion=1.0)
    comment = Comment.objects.create(video=videos[0], author=admin, text="hello", state="held")
    decision_record(item=comment, source="auto", outcome="review", scores={"HR": 0.7}, subject_user=admin)
    decision_record(item=comment, source="human", outcome="approved", actor=admin)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "ops-password-123")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Queue depth")

    assert page.locator("section.chart").count() == 5
    assert page.locator("section.chart rect").count() == 5 * 14
    assert page.locator("section.chart text").count() == 5 * 3  # first, middle and last day
    assert page.locator("text=Total: 3").count() >= 3  # uploads, views, likes
    assert page.locator("text=Total: 4.5").count() == 1  # watch time: 3 × 90 s
    assert page.locator("#override-rate").inner_text() == "100%"
    assert page.locator("text=HR").count() >= 1
    save_artifact(page, "admin-dashboard")

"""In a real browser, phone-sized: a creator edits a published profile and a published video's
title; the text decision holds both for a moderator (the policy rows are set so), so the creator
sees the new versions marked "under review" while a signed-out visitor sees the approved ones and
the video stays up. Screenshots of the owner's views go to test-artifacts/."""

import pytest
from django.urls import reverse

from moderation.models import ModerationPolicy
from tests.conftest import save_artifact
from tests.factories import ready_video
from videos.models import Category

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-Str0ng-pass!"


def test_the_owner_sees_the_edit_under_review_and_others_the_approved_version(live_server, page, browser, make_user):
    ModerationPolicy.objects.filter(scope__in=["profiles", "videos"]).update(review_threshold=0.0, reject_threshold=1.0)
    creator = make_user("dancer", password=PASSWORD)
    creator.display_name, creator.bio = "Dancer", "I dance"
    creator.save()
    video = ready_video(creator, title="Sunset at the pier", categories=[Category.objects.first().name])

    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(120_000)  # the first edit loads the text classifier in the server
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dancer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/accounts/profile/")
    page.fill("#id_display_name", "Dancing Queen")
    page.fill("#id_bio", "I dance every day")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#profile-under-review")
    page.goto(f"{live_server.url}{creator.get_absolute_url()}")
    assert page.locator("h1").inner_text() == "Dancing Queen"
    assert "Under review" in page.locator("#profile-under-review").inner_text()
    assert "I dance every day" in page.locator(".bio").inner_text()
    save_artifact(page, "staged-profile-owner-under-review")

    page.goto(live_server.url + reverse("videos:edit", args=[video.public_id]))
    page.fill("#id_title", "Закат на пирсе")
    page.click("form[action$='/edit/'] button[type=submit]")
    page.wait_for_selector("#edit-under-review")
    page.goto(live_server.url + reverse("videos:status", args=[video.public_id]))  # without the "Saved" toast
    assert page.locator("h1").inner_text() == "Закат на пирсе"
    save_artifact(page, "staged-video-title-owner-under-review")

    visitor = browser.new_context(viewport={"width": 390, "height": 844})
    other = visitor.new_page()
    try:
        other.goto(f"{live_server.url}{creator.get_absolute_url()}")
        assert other.locator("h1").inner_text() == "Dancer"
        assert other.locator("#profile-under-review").count() == 0
        assert "I dance every day" not in other.content()
        response = other.goto(f"{live_server.url}{video.get_absolute_url()}")
        assert response.status == 200  # the video stayed up
        assert "Sunset at the pier" in other.title() and "Закат" not in other.content()
    finally:
        visitor.close()

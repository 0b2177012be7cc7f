# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""A moderator works the video queue in a real browser: approves a held video, which then appears in
the feed, with the automatic and the human decision in its history; a creator's appeal of a
rejection reaches the queue under the "appealed" filter. Staff without the permission see nothing."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission

from moderation.models import ModerationDecision
from moderation.services import decision_record
from moderation.video_jobs import video_moderation_run
from tests.conftest import save_artifact
from tests.moderation.video_clips import clips, pending_video  # noqa: F401
from videos.models import Video
from videos.services import video_apply_moderation

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-Str0ng-pass!"


def moderators_group():
    """The group the migration creates; a transactional test that ran earlier flushes its rows, so
    it is put back the same way (the permissions themselves come back with every flush)."""
    migration = importlib.import_module("moderation.migrations.0003_video_review_queue")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="moderation", codename__in=migration.MODERATOR_PERMISSIONS)
    )
    return group


def sign_in_admin(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_a_moderator_approves_a_held_video_and_a_creators_appeal_reaches_the_queue(
    live_server, page, make_user, settings, clips, tmp_path
):
    settings.STAFF_2FA = False
    settings.GEMINI_API_KEY = ""
    # No Whisper here: the speech check fails, so the automatic decision holds the video for review.
    settings.WHISPER_MODEL_DIR = str(tmp_path / "no-model")
    creator = make_user("maker")
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(moderators_group())
    held = pending_video(creator, clips["friendly"], title="Lemon cake for everyone")
    video_moderation_run(video=held)
    held.refresh_from_db()
    assert held.moderation == "review"

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_admin(page, live_server, "mod")
    page.goto(f"{live_server.url}/admin/moderation/videoreview/?moderation__exact=review")
    page.click("text=Lemon cake for everyone")
    page.wait_for_selector("video")
    assert page.locator("text=/speech.* check could not run/").count() >= 1
    assert page.locator("text=No offline model judges violent or graphic imagery").count() == 1
    assert page.locator("img[alt^='frame at']").count() >= 1
    assert page.evaluate("() => document.querySelector('img[alt^=\"frame at\"]').naturalWidth") > 0
    page.select_option("#id_decision", "approved")
    page.fill("#id_note", "Speech is friendly; checked by hand.")
    page.click("input[name=_continue]")
    page.wait_for_selector("table.moderation-history")
    history = page.locator("table.moderation-history").inner_text()
    assert "auto" in history and "human" in history and "Speech is friendly" in history
    save_artifact(page, "video-review-approved")

    page.goto(f"{live_server.url}/")
    page.wait_for_selector("text=Lemon cake for everyone")

    # A rejected video: the creator appeals once, and it is back in the queue, marked appealed.
    rejected = pending_video(creator, clips["colours"], title="Bars that were removed")
    ModerationDecision.objects.create(
        content_type_id=ModerationDecision.objects.first().content_type_id, object_id=rejected.pk,
        source="auto", outcome="rejected", action="screen", reason="Removed automatically: violence (0.95).",
    )  # fmt: skip
    video_apply_moderation(video=rejected, outcome="rejected", reason="Removed automatically: violence (0.95).")
    creator_page = page.context.browser.new_context().new_page()
    creator_page.goto(f"{live_server.url}/accounts/login/")
    creator_page.fill("#id_username", "maker")
    creator_page.fill("#id_password", PASSWORD)
    creator_page.click("button[type=submit]")
    creator_page.goto(f"{live_server.url}/moderation/appeal/{rejected.public_id}/")
    creator_page.fill("#id_reason", "These are colour bars; nothing violent.")
    creator_page.click("text=Send appeal")
    creator_page.wait_for_selector("#appeal-done")
    creator_page.context.close()

    page.goto(f"{live_server.url}/admin/moderation/videoreview/?appealed=open")
    page.wait_for_selector("text=Bars that were removed")
    assert page.locator("text=Lemon cake for everyone").count() == 0


def test_staff_without_the_permission_neither_see_nor_act(client, make_user, settings, clips):
    settings.STAFF_2FA = False
    staff = make_user("ops", is_staff=True)
    video = pending_video(make_user(), clips["colours"], title="Bars")
    client.force_login(staff)
    assert client.get("/admin/moderation/videoreview/").status_code == 403
    assert client.get(f"/admin/moderation/videoreview/{video.pk}/change/").status_code in (302, 403)
    assert client.get(f"/moderation/evidence/{video.public_id}/frame-0000000.jpg").status_code == 404


def test_the_queue_filters_by_category_score_and_appeal(client, make_user, settings):
    settings.STAFF_2FA = False
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(moderators_group())
    creator = make_user()
    thresholds = {c: {"review": 0.3, "reject": 0.9} for c in ["S", "H", "V", "HR", "SH", "S3", "H2", "V2"]}
    violent = Video.objects.create(creator=creator, title="Violent one", processing="ready", moderation="review")
    hateful = Video.objects.create(creator=creator, title="Hateful one", processing="ready", moderation="review")
    decision_record(item=violent, source="auto", outcome="review", action="screen", scores={"V": 0.95, "H": 0.1},
                    thresholds=thresholds)  # fmt: skip
    decision_record(item=hateful, source="auto", outcome="review", action="screen", scores={"H": 0.6},
                    thresholds=thresholds)  # fmt: skip
    Video.objects.filter(pk=hateful.pk).update(appealed_at=violent.created_at)
    client.force_login(moderator)
    base = "/admin/moderation/videoreview/"

    def titles(query):
        html = client.get(base + query).content.decode()
        return {t for t in ("Violent one", "Hateful one") if t in html}

    assert titles("") == {"Violent one", "Hateful one"}
    assert titles("?category=V") == {"Violent one"}
    assert titles("?category=H") == {"Hateful one"}
    assert titles("?score=high") == {"Violent one"}
    assert titles("?score=medium") == {"Hateful one"}
    assert titles("?appealed=open") == {"Hateful one"}
    detail = client.get(f"{base}{violent.pk}/change/").content.decode()
    assert "No offline model judges violent or graphic imagery" in detail and "0.95" in detail

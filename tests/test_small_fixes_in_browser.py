"""The smaller things a first-time user tripped over, each checked in a real browser: no favicon 404
on any page, inbox avatars round (not squashed), no "Reply" under a removed comment, the desktop
comment sheet clear of the action column, the report form starting on a neutral prompt, and the
strike notice naming the video by its title."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from accounts.services import notification_send
from moderation.decisions import video_decide
from moderation.models import Report
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import sign_in
from videos.models import Comment

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def with_avatar(user):
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (40, 160, 220)).save(buffer, format="JPEG")
    user.avatar.save(f"{user.username}.jpg", ContentFile(buffer.getvalue()))
    return user


def test_no_page_asks_for_a_favicon_it_cannot_have(live_server, page):
    viewer = make_user("viewer")
    video = ready_video(make_user("maker"), title="Waves")
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    for path in ("/", f"/v/{video.public_id}/", "/search/", "/accounts/login/", "/admin/login/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
    sign_in(page, live_server, viewer)
    page.goto(live_server.url + "/upload/")
    assert page.request.get(live_server.url + "/favicon.ico").status == 200
    icon = page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)")
    assert icon == 200 and missing == [], missing


def test_inbox_avatars_keep_their_shape_and_the_strike_notice_names_the_title(live_server, page):
    creator = make_user("maya")
    fan = with_avatar(make_user("a_fan_with_a_rather_long_name", display_name="A fan with a rather long name"))
    video = ready_video(creator, title="Sunset at the pier")
    notification_send(
        recipient=creator, kind="like", actor=fan,
        text="A fan with a rather long name liked your video “Sunset at the pier”, and then watched it again twice.",
    )  # fmt: skip
    video_decide(video=video, outcome="rejected", actor=make_user("mod", is_staff=True), note="Violence.")
    sign_in(page, live_server, creator)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/inbox/")
    box = page.locator(".note img.avatar").first.bounding_box()
    assert box["width"] == box["height"] == 32, box
    assert page.locator(".note img.avatar").first.evaluate("el => getComputedStyle(el).objectFit") == "cover"
    strike = page.locator(".note", has_text="received a strike").inner_text()
    assert "“Sunset at the pier”" in strike and video.public_id not in strike
    save_artifact(page, "inbox-avatars-and-strike-notice")


def test_no_reply_under_a_removed_comment_and_the_desktop_sheet_clears_the_actions(live_server, page):
    viewer = make_user("viewer")
    video = ready_video(make_user("maker"), title="Lemon cake")
    Comment.objects.create(video=video, author=viewer, text="This one was removed", state="rejected")
    Comment.objects.create(video=video, author=viewer, text="A kind word", state="published")
    sign_in(page, live_server, viewer)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/v/{video.public_id}/")
    page.locator(f"#slide-{video.public_id} [aria-controls=panel-{video.public_id}]").click()
    removed = page.locator(".comment", has_text="This one was removed")
    removed.wait_for()
    assert removed.locator("[data-comment-state=rejected]").count() == 1
    assert removed.locator("details.reply").count() == 0
    assert page.locator(".comment", has_text="A kind word").locator("details.reply").count() == 1
    sheet = page.locator(f"#panel-{video.public_id}").bounding_box()
    actions = page.locator(f"#slide-{video.public_id} .actions").bounding_box()
    assert sheet["x"] + sheet["width"] <= actions["x"], (sheet, actions)
    save_artifact(page, "comments-sheet-desktop")


def test_the_report_form_starts_on_a_neutral_prompt(live_server, page):
    viewer = make_user("viewer")
    video = ready_video(make_user("maker"), title="Lemon cake")
    sign_in(page, live_server, viewer)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/moderation/report/video/{video.public_id}/")
    assert page.eval_on_selector("#id_category", "el => [el.value, el.options[0].text]") == ["", "Choose a reason…"]
    page.click("main button[type=submit]")
    page.locator("#id_category_error").wait_for()
    assert page.locator("#id_category_error").inner_text() == "Choose what is wrong."
    assert "id_category_error" in page.get_attribute("#id_category", "aria-describedby")
    assert Report.objects.count() == 0
    save_artifact(page, "report-neutral-prompt")

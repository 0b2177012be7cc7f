"""axe-core, in headless Chromium, over the pages people use, signed out and signed in (a moderator
for the review queue): no serious or critical violation. Beyond axe's defaults it runs the
label-in-name rule (the spoken name contains the visible label), and checks that every id an ARIA
attribute names exists on the page and that the feed, video and search pages have an <h1>."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group

from accounts.services import notification_send
from moderation.models import ModerationDecision
from moderation.services import decision_record
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import sign_in
from videos.models import Comment, Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"label-content-name-mismatch": {"enabled": True}}}
BLOCKING = {"serious", "critical"}
MISSING_IDREFS = """() => {
  const missing = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const el of document.querySelectorAll("[" + attr + "]")) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) missing.push(attr + "=" + id);
      }
    }
  }
  return missing;
}"""

SIGNED_OUT = ["feed", "video", "search", "profile", "login", "signup-errors", "admin-login"]
SIGNED_IN = ["feed", "video", "search", "profile", "upload", "inbox", "comments"]
WITH_H1 = {"feed", "video", "search"}


@pytest.fixture
def site(settings):
    settings.STAFF_2FA = False
    maker = make_user("maker", display_name="Maya Makes")
    viewer = make_user("viewer")
    videos = [
        ready_video(maker, title=f"Sunset number {i}", description="Golden hour #sunset", hashtags=["sunset"])
        for i in range(3)
    ]
    Comment.objects.create(video=videos[0], author=viewer, text="Lovely light", state="published")
    notification_send(recipient=viewer, kind="follow", actor=maker, text="Maya Makes followed you.")
    return {"maker": maker, "viewer": viewer, "video": videos[0]}


def open_page(page, base, name, video):
    paths = {
        "feed": "/",
        "video": f"/v/{video.public_id}/",
        "search": "/search/?q=sunset",
        "profile": "/@maker/",
        "login": "/accounts/login/",
        "upload": "/upload/",
        "inbox": "/inbox/",
        "comments": f"/v/{video.public_id}/",
        "signup-errors": "/accounts/signup/",
        "admin-login": "/admin/login/?next=/admin/moderation/videoreview/",
    }
    page.goto(base + paths[name])
    if name == "signup-errors":
        page.fill("#id_username", "new person!")
        page.fill("#id_password1", "12345678")
        page.fill("#id_password2", "87654321")
        page.click("main button[type=submit]")
        page.locator(".has-error").first.wait_for()
    if name == "comments":
        page.locator(f"#slide-{video.public_id} [aria-controls=panel-{video.public_id}]").click()
        page.locator(f"#comments-{video.public_id}").wait_for()
    page.wait_for_load_state("load")


def assert_accessible(page, label):
    results = AXE.run(page, options=AXE_OPTIONS)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    described = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in blocking]
    assert not blocking, f"{label}: " + "; ".join(described)
    assert page.evaluate(MISSING_IDREFS) == [], label


def check(page, live_server, site, name, who):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, live_server.url, name, site["video"])
    save_artifact(page, f"a11y-{who}-{name}")
    assert_accessible(page, f"{who} {name}")
    if name in WITH_H1:
        assert page.locator("h1").count() >= 1, f"{name} has no <h1>"


@pytest.mark.parametrize("name", SIGNED_OUT)
def test_signed_out_pages_have_no_serious_violation(live_server, page, site, name):
    check(page, live_server, site, name, "signed-out")


@pytest.mark.parametrize("name", SIGNED_IN)
def test_signed_in_pages_have_no_serious_violation(live_server, page, site, name):
    sign_in(page, live_server, site["viewer"])
    check(page, live_server, site, name, "signed-in")


def test_the_moderators_queue_has_no_serious_violation(live_server, page, site):
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    Video.objects.filter(pk=site["video"].pk).update(moderation=Video.Moderation.REVIEW)
    # Score chips in every colour band (their white text on amber and olive was about 3.5:1).
    decision_record(
        item=site["video"], source=ModerationDecision.Source.AUTO, outcome=ModerationDecision.Outcome.REVIEW,
        action="screen", reason="Held for review.", subject_user=site["maker"],
        scores={"V": 0.95, "H": 0.62, "S": 0.41, "HR": 0.1},
    )  # fmt: skip
    sign_in(page, live_server, moderator)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/moderation/videoreview/")
    page.locator("#result_list").wait_for()
    assert page.locator("#result_list", has_text="V 0.95").count() == 1
    save_artifact(page, "a11y-moderator-queue")
    assert_accessible(page, "moderators' queue")

"""In Chromium: the author sees a hostile comment removed or held and a friendly one published at
once; another viewer sees only the friendly one until a moderator approves the other in the admin;
its history then shows both decisions."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client

from moderation import classifier, services
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from videos.models import Comment

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = "kill yourself you worthless ugly loser, nobody wants you here"
FRIENDLY = "What a lovely sunset, thanks for sharing!"


def _sign_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def _open_comments(page, live_server, video):
    page.goto(f"{live_server.url}/v/{video.public_id}/")
    page.locator(f"#slide-{video.public_id} [aria-controls=panel-{video.public_id}]").click()
    page.wait_for_selector(f"#ctext-{video.public_id}")


def _comments_seen_by(browser, live_server, user, video, *, waiting_for: str) -> str:
    """The comment list as `user` sees it on a phone, once a comment with `waiting_for` shows."""
    ctx = browser.new_context(viewport={"width": 414, "height": 860})
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    _sign_in(ctx, live_server, user)
    _open_comments(page, live_server, video)
    page.wait_for_selector(f"#clist-{video.public_id} .comment:has-text('{waiting_for}')")
    shown = page.inner_text(f"#clist-{video.public_id}")
    ctx.close()
    return shown


def _post(page, video, text):
    before = page.locator(f"#clist-{video.public_id} .comment").count()
    page.fill(f"#ctext-{video.public_id}", text)
    page.click(f"#comments-{video.public_id} .comment-form button[type=submit]")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n",
        arg=[f"#clist-{video.public_id} .comment", before],
        timeout=90_000,  # the first screening in a process loads the classifier
    )
    return page.locator(f"#clist-{video.public_id} .comment", has_text=text).first.inner_text()


def test_a_moderator_approves_a_held_comment_and_others_then_see_it(live_server, browser):
    cache.clear()
    # Load the model before the browser starts, so the first post does not hold the database
    # while the encoder loads.
    classifier.score_texts(["warm up"])
    author, viewer, maker = make_user("author"), make_user("viewer"), make_user("maker")
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    video = ready_video(maker, title="Sunset", description="evening #sky")

    ctx = browser.new_context(viewport={"width": 414, "height": 860})
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    _sign_in(ctx, live_server, author)
    _open_comments(page, live_server, video)
    hostile_text = _post(page, video, HOSTILE)
    assert "removed" in hostile_text or "held for review" in hostile_text
    counts = f"#comment-count-{video.public_id}", f"#card-comments-{video.public_id}"
    # Only the comments others can read are counted: the held or removed one is not.
    assert [page.inner_text(sel) for sel in counts] == ["0", "0"]
    friendly_text = _post(page, video, FRIENDLY)
    assert "removed" not in friendly_text and "held for review" not in friendly_text
    assert [page.inner_text(sel) for sel in counts] == ["1", "1"]  # updated in place, out of band
    save_artifact(page, "comment-moderation-author")
    hostile = Comment.objects.get(text=HOSTILE)
    assert hostile.state in {"held", "rejected"}
    assert Comment.objects.get(text=FRIENDLY).state == "published"
    ctx.close()

    shown = _comments_seen_by(browser, live_server, viewer, video, waiting_for="lovely sunset")
    assert HOSTILE not in shown

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    _sign_in(ctx, live_server, moderator)
    page.goto(f"{live_server.url}/admin/moderation/commentreview/")
    page.wait_for_selector("text=comment review queue")
    page.check(f"input[name=_selected_action][value='{hostile.pk}']")
    page.select_option("select[name=action]", "approve")
    page.fill("input[name=note]", "quoting a film line, not aimed at anyone")
    page.click("button[name=index]")
    page.wait_for_selector("text=1 comment(s) approved")
    page.goto(f"{live_server.url}/admin/moderation/commentreview/{hostile.pk}/change/")
    history = page.inner_text("body")
    assert "quoting a film line" in history and "human" in history and "auto" in history
    save_artifact(page, "comment-moderation-history")
    ctx.close()

    hostile.refresh_from_db()
    assert hostile.state == "published"
    assert [d.source for d in services.decisions_for(item=hostile)] == ["human", "auto"]

    assert HOSTILE in _comments_seen_by(browser, live_server, viewer, video, waiting_for="worthless ugly loser")

"""The viewer pages in headless Chromium: the player, actions that persist, discovery, sharing,
the 360 px layout, and engagement events arriving with the values the player saw."""

import pytest
from django.core.cache import cache

from accounts.models import Follow
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import paused, playing, sign_in, wait_until
from videos.models import EngagementEvent, Like

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


_sign_in, _playing, _paused, _wait = sign_in, playing, paused, wait_until


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def test_scrolling_plays_the_next_video_and_events_arrive_with_the_values_the_player_saw(live_server, page):
    viewer = make_user("viewer")
    videos = [ready_video(make_user(f"maker{i}"), title=f"Clip number {i}", hashtags=["clip"]) for i in range(3)]
    _sign_in(page, live_server, viewer)
    page.goto(live_server.url + "/")
    slides = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")
    assert sorted(slides) == sorted(v.public_id for v in videos)
    first, second = slides[0], slides[1]
    assert _wait(lambda: _playing(page, first)), "the first video should autoplay"
    page.wait_for_timeout(900)
    page.keyboard.press("ArrowDown")
    assert _wait(lambda: _playing(page, second)), "the next video should play"
    assert _paused(page, first), "the previous video should pause"
    # Let the second clip (2 s) run to its end and loop: a full viewing and a replay.
    page.wait_for_timeout(2800)
    page.keyboard.press("ArrowDown")
    assert _wait(lambda: _playing(page, slides[2]))
    save_artifact(page, "feed")

    sent = page.evaluate("window.clipEvents")
    kinds = [(e["video"], e["kind"]) for e in sent]
    assert (first, "impression") in kinds and (first, "skip") in kinds and (first, "watch") in kinds
    assert (second, "replay") in kinds
    # Tap to pause, tap to play again; the sound toggle sticks across a reload.
    third = page.locator(f"#slide-{slides[2]} video.player")
    third.click()
    assert _wait(lambda: _paused(page, slides[2]))
    third.click()
    assert _wait(lambda: _playing(page, slides[2]))
    assert any(e["video"] == second and e["kind"] == "watch" and e["completion"] > 0.9 for e in sent)

    def arrived():
        return EngagementEvent.objects.filter(user=viewer).count() >= len(sent)

    assert _wait(arrived), (EngagementEvent.objects.filter(user=viewer).count(), len(sent))
    rows = list(EngagementEvent.objects.filter(user=viewer).order_by("pk"))
    stored = sorted((r.video.public_id, r.kind, r.watch_seconds, r.completion) for r in rows)
    expected = sorted((e["video"], e["kind"], e["watch_seconds"], e["completion"]) for e in sent)
    assert [s[:2] for s in stored] == [e[:2] for e in expected]
    for got, want in zip(stored, expected, strict=True):
        assert got[2] == pytest.approx(want[2], abs=1e-6) and got[3] == pytest.approx(want[3], abs=1e-6)
    first_watch = next(r for r in rows if r.video.public_id == first and r.kind == "watch")
    assert 0.3 < first_watch.watch_seconds < 2.0 and first_watch.slot


def test_like_persists_comment_shows_its_state_and_follow_fills_the_following_tab(live_server, page):
    viewer, maker = make_user("viewer"), make_user("maker")
    video = ready_video(maker, title="Only clip", description="Say hi #hello")
    _sign_in(page, live_server, viewer)
    page.goto(live_server.url + "/")
    like = page.locator(f"#slide-{video.public_id} .act-btn.like")
    like.click()
    page.wait_for_selector(f"#slide-{video.public_id} .act-btn.like[aria-pressed=true]")
    page.click("[data-sound-toggle]")
    # The feed moves on from videos already seen, so the reload is of the video's own page.
    page.goto(f"{live_server.url}/v/{video.public_id}/")
    page.reload()
    assert page.get_attribute("[data-sound-toggle]", "aria-pressed") == "true"
    assert page.evaluate("document.querySelector('video.player').muted") is False
    assert page.locator(f"#slide-{video.public_id} .act-btn.like").get_attribute("aria-pressed") == "true"
    assert Like.objects.filter(user=viewer, video=video).count() == 1

    page.locator(f"#slide-{video.public_id} [aria-controls=panel-{video.public_id}]").click()
    page.fill(f"#ctext-{video.public_id}", "What a sunset!")
    page.click(f"#comments-{video.public_id} .comment-form button[type=submit]")
    item = page.locator(f"#clist-{video.public_id} .comment").first
    item.wait_for(timeout=90_000)  # the first screening in a process loads the comment classifier
    assert "What a sunset!" in item.inner_text()
    state = video.comments.get().state
    label = {"held": "held for review", "rejected": "removed", "published": ""}[state]
    assert label in item.inner_text()
    save_artifact(page, "comments")
    page.fill(f"#ctext-{video.public_id}", "")
    page.click(f"#comments-{video.public_id} .comment-form button[type=submit]")
    page.wait_for_selector(f"#comments-{video.public_id} [data-error]:has-text('Write something')")

    page.click(f"#comments-{video.public_id} [data-close-panel]")
    page.locator(f"#slide-{video.public_id} .follow-form button").click()
    page.wait_for_selector(f"#slide-{video.public_id} .follow-form button:has-text('Following')")
    assert Follow.objects.filter(follower=viewer, followee=maker).exists()
    page.goto(live_server.url + "/following/")
    page.wait_for_selector(f"#slide-{video.public_id}")
    page.goto(live_server.url + "/@viewer/?tab=liked")
    page.wait_for_selector(f"a[href='/v/{video.public_id}/']")
    page.goto(live_server.url + "/inbox/")
    save_artifact(page, "inbox")
    _sign_in(page, live_server, maker)
    page.goto(live_server.url + "/@maker/")
    page.wait_for_selector(".tile-stats")
    save_artifact(page, "profile-owner")


def test_block_search_share_and_the_360px_layout(live_server, browser):
    viewer, maker, other = make_user("viewer"), make_user("maker"), make_user("other")
    blocked_video = ready_video(maker, title="From maker", hashtags=["shared"])
    kept = ready_video(
        other, title="Dance tutorial", description="Learn it #dancechallenge", hashtags=["dancechallenge", "shared"]
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, live_server, viewer)
        page.goto(live_server.url + "/")
        box = page.locator(".slide[data-video]").first.bounding_box()
        assert box["width"] == 360 and abs(box["height"] - 740) <= 1 and box["y"] == 0
        video_box = page.locator(".slide[data-video] video.player").first.bounding_box()
        assert video_box["width"] == 360 and abs(video_box["height"] - 740) <= 1

        page.locator(f"#slide-{kept.public_id}").scroll_into_view_if_needed()
        page.locator(f"#slide-{kept.public_id} .act-btn.share").click()
        expected = f"{live_server.url}/v/{kept.public_id}/"
        assert _wait(lambda: page.evaluate("navigator.clipboard.readText()") == expected)
        page.wait_for_selector(f"#slide-{kept.public_id} [data-share-count]:has-text('1')")

        page.goto(f"{live_server.url}/search/?q=%23dancechallenge")
        assert page.locator(f"a[href='/v/{kept.public_id}/']").count() == 1
        assert page.locator(f"a[href='/v/{blocked_video.public_id}/']").count() == 0

        page.goto(f"{live_server.url}/tag/shared/")
        assert page.locator(f"a[href='/v/{blocked_video.public_id}/']").count() == 1
        page.goto(f"{live_server.url}/@maker/")
        page.wait_for_selector(f"a[href='/v/{blocked_video.public_id}/']")
        save_artifact(page, "profile")
        page.click("button:has-text('Block')")
        page.wait_for_selector("button:has-text('Unblock')")
        # The feed leaves out what this viewer already saw, so the hashtag page shows the difference.
        page.goto(live_server.url + "/")
        assert page.locator(f"#slide-{blocked_video.public_id}").count() == 0
        page.goto(f"{live_server.url}/tag/shared/")
        assert page.locator(f"a[href='/v/{kept.public_id}/']").count() == 1
        assert page.locator(f"a[href='/v/{blocked_video.public_id}/']").count() == 0
        assert page.locator(f"a[href='/v/{blocked_video.public_id}/']").count() == 0
    finally:
        context.close()


def test_anonymous_viewers_are_asked_to_sign_in_and_come_back_to_the_video(live_server, page):
    make_user("viewer")
    video = ready_video(make_user("maker"), title="Sign-in bait")
    page.goto(live_server.url + "/")
    page.locator(f"#slide-{video.public_id} .act-btn.like").click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "a-Str0ng-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/v/{video.public_id}/")
    assert page.locator(f"#slide-{video.public_id} .act-btn.like").count() == 1


def test_the_next_page_arrives_as_the_viewer_nears_the_end_without_repeats(live_server, page, settings):
    settings.FEED_PAGE_SIZE = 3
    videos = [ready_video(make_user(f"maker{i}"), title=f"Clip {i}", media=i < 3) for i in range(7)]
    _sign_in(page, live_server, make_user("viewer"))
    page.goto(live_server.url + "/")
    assert page.locator(".slide[data-video]").count() == 3
    for _ in range(8):
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(400)
    page.wait_for_selector(".end-note")
    ids = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")
    assert len(ids) == len(set(ids)) == 7
    assert set(ids) == {v.public_id for v in videos}


def test_not_interested_hides_the_video_and_moves_on(live_server, page):
    viewer = make_user("viewer")
    videos = [ready_video(make_user(f"maker{i}"), title=f"Clip {i}") for i in range(2)]
    _sign_in(page, live_server, viewer)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/")
    first = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")[0]
    assert _wait(lambda: _playing(page, first))
    save_artifact(page, "feed-desktop")
    page.click(f"#slide-{first} [data-not-interested] button")
    page.wait_for_selector(f"#slide-{first} .hidden-note")
    other = next(v.public_id for v in videos if v.public_id != first)
    assert _wait(lambda: _playing(page, other))
    assert viewer.not_interested.filter(video__public_id=first).exists()

"""Issue 17, item 1: a viewer who has seen every video still gets a full feed page of the best
seen ones, told once that they are all caught up; the empty state only when nothing is listable."""

import pytest
from django.core.cache import cache

from recommendations.selectors import caches_clear
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import phone_page, sign_in, wait_until
from videos import engagement
from videos.models import NotInterested

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_viewer_who_has_seen_every_video_still_gets_a_full_page(live_server, browser, settings):
    cache.clear()
    caches_clear()
    settings.FEED_PAGE_SIZE = 8
    viewer = make_user("viewer")
    makers = [make_user(f"maker{i}") for i in range(6)]
    videos = [ready_video(makers[i % 6], title=f"Seen clip {i}") for i in range(12)]
    for video in videos:  # everything watched, through the player's own event path
        engagement.events_record(user=viewer, session_key="", public_id=video.public_id, kind="play")
    turned_down = videos[0]
    NotInterested.objects.create(user=viewer, video=turned_down)

    with phone_page(browser) as page:
        sign_in(page, live_server, viewer)
        page.goto(live_server.url + "/")
        slides = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")
        assert len(slides) == 8, slides
        assert page.locator(".empty-state").count() == 0
        note = page.locator(".caught-up")
        assert note.count() == 1
        assert note.inner_text() == "You're all caught up — here are some you might like again"
        assert note.is_visible()
        # Said on the first card seen before, and the turned-down video is not among the first picks.
        assert page.locator(f"#slide-{slides[0]} .caught-up").count() == 1
        assert turned_down.public_id not in slides
        why = page.locator(f"#slide-{slides[0]} details.why")
        why.locator("summary").click()
        assert "seen everything newer" in why.locator("p").inner_text()
        save_artifact(page, "feed-caught-up")

        # The next page is more seen videos, without saying it again.
        page.evaluate("document.getElementById('feed').scrollTo(0, document.getElementById('feed').scrollHeight)")
        assert wait_until(lambda: page.locator(".slide[data-video]").count() > 8)
        more = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")
        assert len(set(more)) == len(more) == 12  # every video once in a scroll, the turned-down one last
        assert more[-1] == turned_down.public_id
        assert page.locator(".caught-up").count() == 1


def test_the_empty_state_appears_only_when_nothing_is_listable(live_server, browser):
    cache.clear()
    caches_clear()
    viewer = make_user("viewer")
    ready_video(make_user("maker"), title="Private one", visibility="private")
    with phone_page(browser) as page:
        sign_in(page, live_server, viewer)
        page.goto(live_server.url + "/")
        assert page.locator(".empty-state h1").inner_text() == "No videos yet"
        assert page.locator(".caught-up").count() == 0
        save_artifact(page, "feed-empty-state")

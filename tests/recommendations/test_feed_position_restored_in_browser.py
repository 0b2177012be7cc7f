"""Issue 17, item 5: back from a profile returns to the same slide of the For You feed, with the
pages that were loaded, and forward and back again keeps it."""

import pytest
from django.core.cache import cache

from recommendations.selectors import caches_clear
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import phone_page, playing, sign_in, slide_in_view, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _slides(page):
    return page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")


def test_back_from_a_profile_restores_the_slide_and_the_loaded_pages(live_server, browser, settings):
    cache.clear()
    caches_clear()
    settings.FEED_PAGE_SIZE = 4
    viewer = make_user("viewer")
    for i in range(10):
        ready_video(make_user(f"maker{i}"), title=f"Clip {i}")
    with phone_page(browser) as page:
        sign_in(page, live_server, viewer)
        page.goto(live_server.url + "/")
        assert wait_until(lambda: slide_in_view(page) == _slides(page)[0])
        for step in range(1, 6):  # into the second page of cards, one settled move at a time
            page.keyboard.press("ArrowDown")
            assert wait_until(lambda step=step: slide_in_view(page) in _slides(page)[step : step + 1])
        assert wait_until(lambda: len(_slides(page)) >= 8)
        loaded = _slides(page)
        here = slide_in_view(page)
        assert loaded.index(here) == 5
        assert wait_until(lambda: playing(page, here))

        page.click(f"#slide-{here} a.creator")
        page.wait_for_url("**/@*/")
        page.go_back()
        page.wait_for_selector(f"#slide-{here}")
        assert wait_until(lambda: slide_in_view(page) == here), (slide_in_view(page), here)
        assert _slides(page)[: len(loaded)] == loaded
        assert wait_until(lambda: playing(page, here))
        save_artifact(page, "feed-position-restored")

        page.go_forward()
        page.wait_for_url("**/@*/")
        page.go_back()
        page.wait_for_selector(f"#slide-{here}")
        assert wait_until(lambda: slide_in_view(page) == here)

        # The restored feed goes on loading: the next page arrives, nothing twice.
        for _ in range(4):
            page.keyboard.press("ArrowDown")
            page.wait_for_timeout(500)
        assert wait_until(lambda: len(_slides(page)) == 10)
        assert len(set(_slides(page))) == 10

        # A fresh visit (not back or forward) starts at the top again.
        page.goto(live_server.url + "/")
        assert page.evaluate("document.getElementById('feed').scrollTop") == 0

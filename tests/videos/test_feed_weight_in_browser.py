"""Issue 17, item 21: a feed page loads only the visible clip and the next two, HTML is sent
gzip-compressed, the profile grid's first tile is not lazy, pages have a meta description, and
the next clips' rendition (360p or 720p) follows the throughput measured on the previous clip."""

from urllib.parse import urlparse

import pytest
from django.core.cache import cache

from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import phone_page, playing, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _catalogue(n=10):
    cache.clear()
    return [ready_video(make_user(f"maker{i}"), title=f"Clip {i}", description=f"Clip number {i}") for i in range(n)]


def test_a_phone_feed_loads_three_posters_and_three_videos_before_any_scroll(live_server, browser):
    videos = _catalogue()
    with phone_page(browser) as page:
        posters, media = [], []

        def seen(request):
            path = urlparse(request.url).path
            if path.endswith("/poster.jpg"):
                posters.append(path)
            elif "/media/" in path and path.endswith(".mp4"):
                media.append(path)

        page.on("request", seen)
        response = page.goto(live_server.url + "/")
        assert response.headers.get("content-encoding") == "gzip"
        assert int(response.headers.get("content-length", "0") or 0) < len(page.content().encode()) / 2
        first = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")[0]
        assert page.locator(".slide[data-video]").count() == 8
        assert wait_until(lambda: playing(page, first))
        page.wait_for_timeout(1500)
        save_artifact(page, "feed-phone-weight")
        assert 1 <= len(set(posters)) <= 3, posters
        assert 1 <= len({p.split("/media/")[0] for p in media}) <= 3, media
        assert all(p.endswith("/360p.mp4") for p in media), media  # a small screen, nothing measured yet
        description = page.get_attribute("meta[name=description]", "content")
        assert description and "Clip" in description

        # Moving on attaches one more clip ahead; the ones far below stay unloaded.
        page.keyboard.press("ArrowDown")
        slides = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")
        assert wait_until(lambda: playing(page, slides[1]))
        attached = page.eval_on_selector_all("video.player[data-attached]", "els => els.length")
        assert attached == 4

        page.goto(f"{live_server.url}/@{videos[0].creator.username}/")
        tile = page.locator(".grid .tile-link img").first
        assert tile.get_attribute("fetchpriority") == "high" and tile.get_attribute("loading") is None
        assert page.get_attribute("meta[name=description]", "content")
        page.goto(f"{live_server.url}/v/{videos[0].public_id}/")
        assert page.get_attribute("meta[name=description]", "content") == "Clip number 0"
        assert page.locator("meta[name=description]").count() == 1


@pytest.mark.parametrize(("kbit_per_s", "expected"), [(800, "360"), (None, "720")])
def test_the_next_clips_rendition_follows_the_throughput_of_the_previous_one(live_server, page, kbit_per_s, expected):
    _catalogue(6)
    page.set_viewport_size({"width": 1280, "height": 800})  # a large screen starts on 720p
    if kbit_per_s:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        rate = kbit_per_s * 1000 / 8
        conditions = {"offline": False, "latency": 40, "downloadThroughput": rate, "uploadThroughput": rate}
        cdp.send("Network.emulateNetworkConditions", conditions)
    page.goto(live_server.url + "/")
    slides = page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")
    assert wait_until(lambda: playing(page, slides[0]), timeout=30)
    # A clip that arrives whole is the measurement: the first one, or (when Chromium fetched the
    # first in several range requests, none of them the whole clip) one of the clips attached ahead.
    first_measured = wait_until(lambda: page.evaluate("!!window.clipNetwork"), timeout=20)
    page.keyboard.press("ArrowDown")
    assert wait_until(lambda: playing(page, slides[1]), timeout=30)
    assert first_measured or wait_until(lambda: page.evaluate("!!window.clipNetwork"), timeout=30)
    measured = page.evaluate("window.clipNetwork")
    assert measured and measured["from"] in slides[:3]  # the latest clip that arrived whole
    assert (measured["kbps"] < 6000) == (expected == "360"), measured
    fourth = page.locator(f"#slide-{slides[3]} video.player")
    assert fourth.get_attribute("data-rendition") == expected
    assert fourth.get_attribute("src").endswith(f"/{expected}p.mp4")

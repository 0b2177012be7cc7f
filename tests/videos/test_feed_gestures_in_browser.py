"""Issue 17, items 4, 6 and 20: a wheel nudge that snaps back leaves the clip playing, a double
tap likes the video with a heart, and the keyboard pauses the clip of the card that has focus
(Space on the clip, K anywhere in the card) while bare letters do nothing outside a card."""

import pytest
from django.core.cache import cache

from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import paused, phone_page, playing, sign_in, slide_in_view, wait_until
from videos.models import Like

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def _slides(page):
    return page.eval_on_selector_all(".slide[data-video]", "els => els.map(e => e.dataset.video)")


def test_a_wheel_nudge_that_snaps_back_leaves_the_video_playing(live_server, page):
    for i in range(3):
        ready_video(make_user(f"maker{i}"), title=f"Clip {i}")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/")
    first = _slides(page)[0]
    assert wait_until(lambda: playing(page, first))
    page.mouse.move(640, 400)
    for delta in (40, -40, 25):  # trackpad-sized nudges, each snapping back to the same slide
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(120)
    # A nudge far enough to pause the clip on the way (less than 60 % of it in view) before the
    # snap brings it back.
    page.evaluate("() => { const f = document.getElementById('feed'); f.style.scrollSnapType = 'none';"
                  " f.scrollTop = f.clientHeight * 0.45; }")  # fmt: skip
    assert wait_until(lambda: paused(page, first), timeout=5)
    page.evaluate("() => { const f = document.getElementById('feed'); f.style.scrollSnapType = '';"
                  " f.scrollTo({top: 0, behavior: 'smooth'}); }")  # fmt: skip
    page.wait_for_timeout(1200)
    in_view = slide_in_view(page)
    assert in_view == first
    assert wait_until(lambda: playing(page, in_view)), "the slide in view after scrolling settles plays"
    save_artifact(page, "feed-wheel-nudge-playing")


def test_a_double_tap_likes_the_video_with_a_heart(live_server, browser):
    viewer = make_user("viewer")
    video = ready_video(make_user("maker"), title="Tap me")
    with phone_page(browser) as page:
        sign_in(page, live_server, viewer)
        page.goto(live_server.url + "/")
        assert wait_until(lambda: playing(page, video.public_id))
        player = page.locator(f"#slide-{video.public_id} video.player")
        player.tap(position={"x": 190, "y": 380})
        player.tap(position={"x": 190, "y": 380})
        heart = page.locator(f"#slide-{video.public_id} .heart-burst")
        heart.wait_for(state="attached", timeout=2000)
        save_artifact(page, "feed-double-tap-heart")
        page.wait_for_selector(f"#slide-{video.public_id} .act-btn.like[aria-pressed=true]")
        assert Like.objects.filter(user=viewer, video=video).count() == 1
        page.wait_for_timeout(500)
        assert playing(page, video.public_id), "a double tap likes; it does not pause"
        # A second double tap never unlikes.
        player.tap(position={"x": 100, "y": 300})
        player.tap(position={"x": 100, "y": 300})
        page.wait_for_timeout(800)
        assert Like.objects.filter(user=viewer, video=video).count() == 1
        # One tap still pauses.
        player.tap()
        assert wait_until(lambda: paused(page, video.public_id))


def test_keys_pause_the_focused_card_and_bare_letters_do_nothing_outside_one(live_server, page):
    viewer = make_user("viewer")
    for i in range(2):
        ready_video(make_user(f"maker{i}"), title=f"Clip {i}")
    sign_in(page, live_server, viewer)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/")
    first = _slides(page)[0]
    assert wait_until(lambda: playing(page, first))

    page.focus(f"#slide-{first} .act-btn.share")  # focus on a control inside the card
    page.keyboard.press("k")
    assert wait_until(lambda: paused(page, first)), "K pauses the clip of the focused card"
    page.keyboard.press("k")
    assert wait_until(lambda: playing(page, first))

    page.focus(f"#slide-{first} video.player")
    page.keyboard.press("Space")
    assert wait_until(lambda: paused(page, first)), "Space pauses when focus is on the clip"
    save_artifact(page, "feed-keyboard-paused")
    page.keyboard.press("Space")
    assert wait_until(lambda: playing(page, first))

    # Space on a control inside the card presses the control, and the clip plays on.
    page.focus(f"#slide-{first} .act-btn.like")
    page.keyboard.press("Space")
    page.wait_for_selector(f"#slide-{first} .act-btn.like[aria-pressed=true]")
    assert playing(page, first)

    # Outside a card a bare M does nothing; Alt+M toggles the sound.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("m")
    assert page.get_attribute("[data-sound-toggle]", "aria-pressed") == "false"
    page.keyboard.press("Alt+m")
    assert page.get_attribute("[data-sound-toggle]", "aria-pressed") == "true"

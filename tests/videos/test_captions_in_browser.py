"""Issue 17, item 3: captions show by default while the clip is muted, through the card's
`<track kind="captions">` (the browser's own rendering), with a CC toggle that is remembered,
on the feed and on the video page."""

import pytest
from django.core.cache import cache

from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import phone_page, playing, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What moderation's speech stage writes into Video.captions_vtt (WebVTT), for a 2-second clip.
CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello from the captions\n"

TRACK = """id => { const v = document.querySelector('#slide-' + CSS.escape(id) + ' video.player');
  const t = v.textTracks[0]; const cues = t && t.activeCues ? Array.from(t.activeCues).map(c => c.text) : [];
  return {muted: v.muted, mode: t ? t.mode : null, cues: cues}; }"""


def test_a_muted_video_shows_its_captions_and_the_cc_choice_is_remembered(live_server, browser):
    cache.clear()
    video = ready_video(make_user("maker"), title="Talking clip", captions_vtt=CAPTIONS)
    with phone_page(browser) as page:
        page.goto(live_server.url + "/")
        assert wait_until(lambda: playing(page, video.public_id))
        assert wait_until(lambda: page.evaluate(TRACK, video.public_id)["cues"] == ["Hello from the captions"])
        state = page.evaluate(TRACK, video.public_id)
        assert state["muted"] is True and state["mode"] == "showing"
        assert page.get_attribute("[data-cc-toggle]", "aria-pressed") == "true"
        save_artifact(page, "feed-captions-muted")

        page.click("[data-cc-toggle]")
        assert page.evaluate(TRACK, video.public_id)["mode"] == "disabled"
        assert page.get_attribute("[data-cc-toggle]", "aria-pressed") == "false"
        # Remembered: the video page opens with captions off.
        page.goto(f"{live_server.url}/v/{video.public_id}/")
        assert wait_until(lambda: playing(page, video.public_id))
        assert page.evaluate(TRACK, video.public_id)["mode"] == "disabled"
        assert page.get_attribute("[data-cc-toggle]", "aria-pressed") == "false"
        page.click("[data-cc-toggle]")
        assert wait_until(lambda: page.evaluate(TRACK, video.public_id)["cues"] == ["Hello from the captions"])
        save_artifact(page, "watch-captions-on")
        page.reload()
        assert wait_until(lambda: page.evaluate(TRACK, video.public_id)["mode"] == "showing")

"""What the feed's browser tests share: signing a browser in, a phone-sized touch context, and
reading the player's state from the page."""

import time
from contextlib import contextmanager

from django.conf import settings
from django.test import Client

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 1}


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def playing(page, public_id) -> bool:
    return page.evaluate(
        "id => { const v = document.querySelector('#slide-' + CSS.escape(id) + ' video.player');"
        " return !!v && !v.paused && v.currentTime > 0.1; }",
        public_id,
    )


def paused(page, public_id) -> bool:
    return page.evaluate("id => document.querySelector('#slide-' + CSS.escape(id) + ' video.player').paused", public_id)


def slide_in_view(page) -> str:
    """The id of the slide that covers most of the feed's box."""
    return page.evaluate(
        """() => { const feed = document.getElementById('feed'); const top = feed.getBoundingClientRect().top;
        let best = '', most = 0;
        for (const s of document.querySelectorAll('.slide[data-video]')) {
          const r = s.getBoundingClientRect();
          const seen = Math.min(r.bottom, top + feed.clientHeight) - Math.max(r.top, top);
          if (seen > most) { most = seen; best = s.dataset.video; }
        }
        return best; }"""
    )


@contextmanager
def phone_page(browser):
    """A page on a 390 x 844 touch screen."""
    context = browser.new_context(**PHONE)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    try:
        yield pg
    finally:
        context.close()

"""Messages are toasts: after sign-up the welcome floats above everything (the topmost element at its
own centre), the full-height slide under it keeps its height and place, it can be dismissed, and
information hides itself after a while."""

import re

import pytest
from django.core import mail

from tests.conftest import save_artifact
from tests.factories import make_user, ready_video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOPMOST_AT_CENTRE = """el => { const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && el.contains(hit); }"""
SLIDE_BOX = """() => { const r = document.querySelector('.slide').getBoundingClientRect();
  return {top: r.top, height: r.height, viewport: window.innerHeight}; }"""


def test_the_welcome_toast_floats_over_the_feed_without_moving_the_slide(live_server, page, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ready_video(make_user("maker"), title="Waves at dawn")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", "maya")
    page.fill("#id_email", "maya@example.com")
    page.fill("#id_password1", "correct-horse-battery")
    page.fill("#id_password2", "correct-horse-battery")
    page.check("#id_age_confirmed")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Check your e-mail")
    confirm = re.search(r"https?://\S+(/accounts/signup/confirm/\S+/)", mail.outbox[0].body).group(1)
    page.goto(f"{live_server.url}{confirm}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    toast = page.locator(".toast-msg", has_text="Welcome! Your account is ready.")
    toast.wait_for()
    assert toast.get_attribute("role") == "status"
    assert toast.evaluate(TOPMOST_AT_CENTRE), "something is drawn over the toast"
    slide = page.evaluate(SLIDE_BOX)
    assert slide["top"] == 0 and slide["height"] == slide["viewport"], slide
    save_artifact(page, "toast-welcome-over-feed")

    toast.get_by_role("button", name="Dismiss").click()
    toast.wait_for(state="detached", timeout=2_000)
    assert page.evaluate(SLIDE_BOX) == slide  # nothing moved when it went either


def test_an_information_toast_hides_itself(live_server, page, settings):
    page.set_viewport_size({"width": 1280, "height": 800})
    viewer = make_user("viewer")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", viewer.username)
    page.fill("#id_password", "a-Str0ng-pass!")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # A message-bearing page for a signed-in viewer: the interests page confirms what was saved.
    page.goto(f"{live_server.url}/recommendations/interests/")
    page.locator("input[name=category]").first.check()
    page.click("main button[type=submit]")
    toast = page.locator(".toast-msg", has_text="Your feed will start from what you picked.")
    toast.wait_for()
    assert toast.evaluate(TOPMOST_AT_CENTRE)
    save_artifact(page, "toast-desktop")
    toast.wait_for(state="detached", timeout=10_000)

"""Acceptance: sign up (through the e-mailed link), log out, reset the password from the
e-mailed link, log in, edit the profile."""

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_signs_up_resets_the_password_and_edits_the_profile(live_server, page, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    base = live_server.url

    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_username", "maya")
    page.fill("#id_email", "maya@example.com")
    page.fill("#id_password1", "correct-horse-battery")
    page.fill("#id_password2", "correct-horse-battery")
    page.check("#id_age_confirmed")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Check your e-mail")
    assert len(mail.outbox) == 1
    confirm = re.search(r"https?://\S+(/accounts/signup/confirm/\S+/)", mail.outbox[0].body).group(1)
    page.goto(f"{base}{confirm}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("text=Welcome! Your account is ready.").is_visible()
    mail.outbox.clear()

    page.click("text=Log out")
    page.wait_for_selector("text=Log in")

    page.goto(f"{base}/accounts/password/reset/")
    page.fill("#id_email", "maya@example.com")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Check your e-mail")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("/accounts/", 1)[1]

    page.goto(f"{base}/accounts/{path}")
    page.fill("#id_new_password1", "a-brand-new-secret")
    page.fill("#id_new_password2", "a-brand-new-secret")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Your new password is set")

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "maya")
    page.fill("#id_password", "correct-horse-battery")
    page.click("main button[type=submit]")
    assert page.locator("text=Please enter a correct username and password").is_visible()
    page.fill("#id_username", "maya")
    page.fill("#id_password", "a-brand-new-secret")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/accounts/profile/")
    page.fill("#id_bio", "I film sunsets.")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Profile saved.")
    assert page.locator(".bio").inner_text() == "I film sunsets."

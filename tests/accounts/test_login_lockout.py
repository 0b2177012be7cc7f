"""Log-in locks out after repeated failures; sign-ups are rate-limited per address."""

import time
from types import SimpleNamespace

import pytest

from tiktok import ratelimit

pytestmark = pytest.mark.django_db


def log_in(client, username, password, address="192.0.2.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_it_locks_a_username_out_after_repeated_failures(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("sam", password="the-right-password")
    for _ in range(3):
        response = log_in(client, "sam", "wrong")
        assert response.status_code == 200
    response = log_in(client, "sam", "the-right-password")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_locks_an_address_out_whatever_names_it_tries(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("sam", password="the-right-password")
    for n in range(3):
        log_in(client, f"guess{n}", "wrong", address="198.51.100.7")
    assert log_in(client, "sam", "the-right-password", address="198.51.100.7").status_code == 429
    assert log_in(client, "sam", "the-right-password", address="198.51.100.8").status_code == 302


def test_a_successful_log_in_clears_the_names_failures(client, make_user, settings):
    """Two failures, a success, two more failures: the name has failed four times in all, past
    the limit of three, so only a cleared counter lets the next right password in. The
    addresses differ so that the per-address counter (never cleared by a success) stays under
    the limit and only the name's counter is tested."""
    settings.LOGIN_MAX_FAILURES = 3
    make_user("kim", password="the-right-password")
    log_in(client, "kim", "wrong", address="192.0.2.1")
    log_in(client, "kim", "wrong", address="192.0.2.1")
    assert log_in(client, "kim", "the-right-password", address="192.0.2.1").status_code == 302
    client.logout()
    log_in(client, "kim", "wrong", address="192.0.2.2")
    log_in(client, "kim", "wrong", address="192.0.2.2")
    assert log_in(client, "kim", "the-right-password", address="192.0.2.2").status_code == 302


def test_a_success_does_not_clear_the_addresss_failures(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("kim", password="the-right-password")
    log_in(client, "one", "wrong")
    log_in(client, "two", "wrong")
    assert log_in(client, "kim", "the-right-password").status_code == 302
    client.logout()
    log_in(client, "three", "wrong")
    assert log_in(client, "kim", "the-right-password").status_code == 429


def test_the_lockout_ends_when_its_window_has_passed(client, make_user, settings, monkeypatch):
    settings.LOGIN_MAX_FAILURES = 2
    settings.LOGIN_LOCKOUT_SECONDS = 900
    make_user("sam", password="the-right-password")
    log_in(client, "sam", "wrong")
    log_in(client, "sam", "wrong")
    assert log_in(client, "sam", "the-right-password").status_code == 429
    # The counters' clock moved one window on, instead of sleeping through it.
    later = time.time() + settings.LOGIN_LOCKOUT_SECONDS
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: later))
    assert log_in(client, "sam", "the-right-password").status_code == 302


def test_sign_ups_are_rate_limited_per_address(client, settings):
    settings.SIGNUPS_PER_HOUR_PER_IP = 1
    data = {"email": "a@example.com", "password1": "correct-horse-battery", "password2": "correct-horse-battery"}
    first = client.post("/accounts/signup/", {**data, "username": "first", "age_confirmed": "on"})
    assert first.status_code == 302
    client.logout()
    data["email"] = "b@example.com"
    response = client.post("/accounts/signup/", {**data, "username": "second", "age_confirmed": "on"})
    assert response.status_code == 429


def test_the_sign_up_limit_counts_the_connections_address_not_a_claimed_one(client, settings):
    settings.SIGNUPS_PER_HOUR_PER_IP = 1
    settings.TRUSTED_PROXY_HEADER = ""
    data = {"password1": "correct-horse-battery", "password2": "correct-horse-battery", "age_confirmed": "on"}
    client.post(
        "/accounts/signup/",
        {**data, "username": "first", "email": "a@example.com"},
        REMOTE_ADDR="2001:db8::1",
        HTTP_X_REAL_IP="198.51.100.1",
    )
    client.logout()
    response = client.post(
        "/accounts/signup/",
        {**data, "username": "second", "email": "b@example.com"},
        REMOTE_ADDR="2001:db8::2",
        HTTP_X_REAL_IP="198.51.100.2",
    )
    assert response.status_code == 429

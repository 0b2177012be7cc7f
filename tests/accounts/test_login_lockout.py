"""Log-in locks out after repeated failures; sign-ups are rate-limited per address."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_locks_a_username_out_after_repeated_failures(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("sam", password="the-right-password")
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "sam", "password": "the-right-password"})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_log_in_clears_the_failures(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    make_user("kim", password="the-right-password")
    client.post("/accounts/login/", {"username": "kim", "password": "wrong"})
    client.post("/accounts/login/", {"username": "kim", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "kim", "password": "the-right-password"})
    assert response.status_code == 302


def test_sign_ups_are_rate_limited_per_address(client, settings):
    settings.SIGNUPS_PER_HOUR_PER_IP = 1
    data = {"email": "a@example.com", "password1": "correct-horse-battery", "password2": "correct-horse-battery"}
    assert client.post("/accounts/signup/", {**data, "username": "first", "age_confirmed": "on"}).status_code == 302
    client.logout()
    data["email"] = "b@example.com"
    response = client.post("/accounts/signup/", {**data, "username": "second", "age_confirmed": "on"})
    assert response.status_code == 429

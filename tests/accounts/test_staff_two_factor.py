"""With STAFF_2FA on, the admin opens only after two steps: the password (through the log-in
lockout), then a one-time code from the staff member's TOTP device on a page of its own."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def current_code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def boss(make_user, settings):
    settings.STAFF_2FA = True
    user = make_user("boss", password="boss-password-123", is_staff=True, is_superuser=True)
    return user, TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_the_password_alone_leaves_the_admin_closed_and_asks_for_a_code(client, boss):
    response = client.post(LOGIN, {"username": "boss", "password": "boss-password-123"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302  # signed in, not verified
    page = client.get(LOGIN)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="otp_token"' in body
    assert 'name="password"' not in body


def test_the_admin_opens_with_the_right_code(client, boss):
    _, device = boss
    client.post(LOGIN, {"username": "boss", "password": "boss-password-123"})
    response = client.post(LOGIN, {"otp_token": current_code(device), "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_keeps_the_admin_closed_and_slows_the_next_try(client, boss, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # the wait after one failure, so a slow run cannot outlast it
    _, device = boss
    client.post(LOGIN, {"username": "boss", "password": "boss-password-123"})
    wrong = client.post(LOGIN, {"otp_token": "000000" if current_code(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "That code is not right." in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # django-otp throttles the device after a failure: even the right code waits a moment.
    response = client.post(LOGIN, {"otp_token": current_code(device)})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1


def test_a_staff_member_without_a_device_is_told_how_to_get_one(client, make_user, settings):
    settings.STAFF_2FA = True
    make_user("newbie", password="newbie-password-1", is_staff=True)
    client.post(LOGIN, {"username": "newbie", "password": "newbie-password-1"})
    page = client.get(LOGIN)
    assert "manage.py staff_2fa_enroll newbie" in page.content.decode()
    assert client.get("/admin/").status_code == 302


def test_an_account_that_is_not_staff_signed_in_on_the_site_gets_no_code_step(client, make_user, settings):
    settings.STAFF_2FA = True
    client.force_login(make_user("ann"))
    page = client.get(LOGIN)
    assert 'name="otp_token"' not in page.content.decode()
    assert "not authorized" in page.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_password_alone_opens_the_admin_when_two_factor_is_off(client, make_user, settings):
    settings.STAFF_2FA = False
    make_user("dev", password="dev-password-123", is_staff=True, is_superuser=True)
    client.post(LOGIN, {"username": "dev", "password": "dev-password-123"})
    assert client.get("/admin/").status_code == 200


def test_the_code_page_is_the_one_a_staff_member_who_logged_in_on_the_site_gets(client, boss):
    _, device = boss
    client.post("/accounts/login/", {"username": "boss", "password": "boss-password-123"})
    assert client.get("/admin/").status_code == 302
    client.post(LOGIN, {"otp_token": current_code(device)})
    assert client.get("/admin/").status_code == 200
    assert User.objects.get(username="boss").is_staff

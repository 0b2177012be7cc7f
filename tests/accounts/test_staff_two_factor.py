"""With STAFF_2FA on, the admin needs a one-time code from the staff member's TOTP device."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def test_the_admin_needs_a_valid_one_time_code(client, make_user, settings):
    settings.STAFF_2FA = True
    make_user("boss", password="boss-password-123", is_staff=True, is_superuser=True)
    from accounts.models import User

    device = TOTPDevice.objects.create(user=User.objects.get(username="boss"), name="phone", confirmed=True)

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": "boss-password-123", "otp_token": "000000"}
    )
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302

    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": "boss-password-123", "otp_device": device.persistent_id, "otp_token": code},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_password_alone_opens_the_admin_when_two_factor_is_off(client, make_user, settings):
    settings.STAFF_2FA = False
    make_user("dev", password="dev-password-123", is_staff=True, is_superuser=True)
    client.post("/admin/login/?next=/admin/", {"username": "dev", "password": "dev-password-123"})
    assert client.get("/admin/").status_code == 200

"""The sign-up and profile forms re-render with a clear error for each kind of bad input."""

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newperson",
    "email": "new@example.com",
    "password1": "correct-horse-battery",
    "password2": "correct-horse-battery",
    "age_confirmed": "on",
}


def post_signup(client, **changes):
    return client.post("/accounts/signup/", {**GOOD, **changes})


def test_it_signs_up_and_logs_in(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = post_signup(client)
    assert response.status_code == 302
    # The account is made from the link e-mailed to the address (tests/accounts/test_signup_by_email_link.py).
    link = re.search(r"https?://testserver(/accounts/signup/confirm/\S+/)", mail.outbox[0].body).group(1)
    assert client.post(link).status_code == 302
    user = User.objects.get(username="newperson")
    assert user.age_confirmed_at is not None
    assert client.get("/accounts/profile/").status_code == 200


def test_it_rejects_a_taken_username_whatever_the_case(client, make_user):
    make_user("NewPerson")
    response = post_signup(client)
    assert "That username is taken." in response.content.decode()
    assert User.objects.count() == 1


def test_it_does_not_say_that_an_email_is_taken(client, make_user):
    make_user("someone", email="new@example.com")
    response = post_signup(client, email="NEW@example.com")
    assert (response.status_code, response["Location"]) == (302, "/accounts/signup/sent/")
    assert User.objects.count() == 1


def test_it_rejects_a_weak_password(client):
    response = post_signup(client, password1="12345678", password2="12345678")
    body = response.content.decode()
    assert "This password is too common." in body
    assert not User.objects.exists()


def test_it_rejects_mismatched_passwords(client):
    response = post_signup(client, password2="something-else-entirely")
    assert "The two passwords do not match." in response.content.decode()


def test_it_requires_the_minimum_age_confirmation(client):
    response = post_signup(client, age_confirmed="")
    assert "You must be at least 13 to sign up." in response.content.decode()
    assert not User.objects.exists()


def png_bytes(size=(600, 400)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_it_resizes_an_avatar_to_a_square_jpeg(client, make_user):
    user = make_user()
    client.force_login(user)
    upload = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = client.post("/accounts/profile/", {"display_name": "", "bio": "", "avatar": upload})
    assert response.status_code == 302
    user.refresh_from_db()
    with Image.open(user.avatar.path) as image:
        assert image.size == (256, 256)
        assert image.format == "JPEG"


def test_it_rejects_a_non_image_avatar(client, make_user):
    user = make_user()
    client.force_login(user)
    upload = SimpleUploadedFile("me.png", b"not an image at all", content_type="image/png")
    response = client.post("/accounts/profile/", {"display_name": "", "bio": "", "avatar": upload})
    assert "The avatar must be a PNG, JPEG, GIF or WebP image." in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar


def test_it_rejects_an_oversized_avatar(client, make_user, settings):
    settings.AVATAR_MAX_BYTES = 1000
    user = make_user()
    client.force_login(user)
    upload = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = client.post("/accounts/profile/", {"display_name": "", "bio": "", "avatar": upload})
    assert "The avatar is too large" in response.content.decode()

"""Every id a form field's aria-describedby names is on the page (issue: errors never reached
screen readers because `id_username_error` did not exist), on the forms built from the shared
field template, each posted with errors."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_user, ready_video
from tests.videos.fixtures import default_categories  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


def described_ids(html: str) -> tuple[list[str], set[str]]:
    named = [i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()]
    return named, set(re.findall(r'\sid="([^"]+)"', html))


def assert_every_reference_resolves(response, *, errors: int):
    html = response.content.decode()
    named, ids = described_ids(html)
    assert len([n for n in named if n.endswith("_error")]) >= errors, named
    assert [n for n in named if n not in ids] == []


def test_sign_up_with_errors(client):
    response = client.post(reverse("accounts:signup"), {"username": "bad name!", "password1": "1", "password2": "2"})
    assert_every_reference_resolves(response, errors=3)


def test_upload_with_errors(client):
    client.force_login(make_user())
    response = client.post(reverse("videos:upload"), {"title": "", "visibility": "nope"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert_every_reference_resolves(response, errors=2)


def test_report_with_errors(client):
    video = ready_video(make_user("maker"), media=False)
    client.force_login(make_user())
    response = client.post(reverse("moderation:report", args=["video", video.public_id]), {"category": ""})
    assert_every_reference_resolves(response, errors=1)


def test_video_edit_with_errors(client):
    maker = make_user("maker")
    video = ready_video(maker, media=False)
    client.force_login(maker)
    response = client.post(reverse("videos:edit", args=[video.public_id]), {"title": "", "visibility": "public"})
    assert_every_reference_resolves(response, errors=1)

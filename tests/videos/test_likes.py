"""Likes and favourites: HTMX toggles, counters equal to rows, and bad input refused."""

import pytest
from django.urls import reverse

from tests.factories import make_user, ready_video
from videos.models import Favourite, Like, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def video():
    return ready_video(make_user("maker"), title="Likeable", media=False)


def test_a_like_toggles_through_htmx_and_shows_the_live_count(client, video):
    fan = make_user("fan")
    client.force_login(fan)
    url = reverse("videos:like", args=[video.public_id])
    resp = client.post(url, {"action": "like", "slot": "trending"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert 'aria-pressed="true"' in resp.content.decode() and "data-like-count>1<" in resp.content.decode()
    video.refresh_from_db()
    assert video.like_count == 1 == Like.objects.filter(video=video).count()
    assert video.events.filter(kind="like", slot="trending", user=fan).exists()
    assert video.creator.notifications.filter(kind="like").count() == 1
    resp = client.post(url, {"action": "unlike"}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in resp.content.decode()
    video.refresh_from_db()
    assert video.like_count == 0 == Like.objects.count()


def test_liking_twice_counts_once(client, video):
    client.force_login(make_user("fan"))
    url = reverse("videos:like", args=[video.public_id])
    client.post(url, {"action": "like"})
    client.post(url, {"action": "like"})
    video.refresh_from_db()
    assert video.like_count == 1 == Like.objects.count()


def test_favourites_toggle_and_count(client, video):
    client.force_login(make_user("fan"))
    url = reverse("videos:favourite", args=[video.public_id])
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 200
    video.refresh_from_db()
    assert video.favourite_count == 1 == Favourite.objects.count()
    client.post(url, HTTP_HX_REQUEST="true")
    video.refresh_from_db()
    assert video.favourite_count == 0 == Favourite.objects.count()


@pytest.mark.parametrize("endpoint", ["like", "favourite", "not_interested"])
def test_unknown_private_and_anonymous_requests_are_refused_and_change_nothing(client, video, endpoint):
    private = ready_video(video.creator, title="private", visibility="private", media=False)
    assert client.post(reverse(f"videos:{endpoint}", args=[video.public_id])).status_code == 403  # anonymous
    client.force_login(make_user("fan"))
    assert client.post(reverse(f"videos:{endpoint}", args=["nope"])).status_code == 404
    assert client.post(reverse(f"videos:{endpoint}", args=[private.public_id])).status_code == 404
    assert client.get(reverse(f"videos:{endpoint}", args=[video.public_id])).status_code == 405
    assert Like.objects.count() == Favourite.objects.count() == 0
    assert not video.events.exists() and not private.events.exists()


def test_an_unknown_like_action_is_a_400(client, video):
    client.force_login(make_user("fan"))
    resp = client.post(reverse("videos:like", args=[video.public_id]), {"action": "boost"})
    assert resp.status_code == 400
    assert Like.objects.count() == 0


def test_not_interested_is_recorded_once_as_a_negative_signal(client, video):
    fan = make_user("fan")
    client.force_login(fan)
    url = reverse("videos:not_interested", args=[video.public_id])
    client.post(url, {"slot": "ranked"}, HTTP_HX_REQUEST="true")
    client.post(url, {"slot": "ranked"}, HTTP_HX_REQUEST="true")
    assert video.events.filter(kind="not_interested", user=fan).count() == 1
    assert fan.not_interested.filter(video=video).exists()


def test_a_share_is_counted_for_anyone_who_can_watch(client, video):
    client.get(video.get_absolute_url())  # a signed-out viewer's page view gives the viewer token
    resp = client.post(reverse("videos:share", args=[video.public_id]), {"slot": "explore"})
    assert resp.status_code == 200 and resp.content == b"1"
    assert Video.objects.get(pk=video.pk).share_count == 1
    assert video.events.filter(kind="share", slot="explore", user=None).exclude(session_key="").exists()
    assert client.post(reverse("videos:share", args=["missing"])).status_code == 404

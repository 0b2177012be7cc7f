"""Profiles: counts, the grid, liked and favourite tabs, and the owner's view of every own video."""

import pytest
from django.urls import reverse

from accounts.services import follow_create
from tests.factories import make_user, ready_video
from videos.likes import favourite_set, like_set
from videos.models import EngagementEvent, Video

pytestmark = pytest.mark.django_db


def test_a_profile_shows_counts_and_only_listable_videos_to_others(client):
    maker, fan = make_user("maker", display_name="The Maker"), make_user("fan")
    shown = ready_video(maker, title="Public clip", media=False)
    ready_video(maker, title="Unlisted clip", visibility="unlisted", media=False)
    ready_video(maker, title="Private clip", visibility="private", media=False)
    pending = ready_video(maker, title="Pending clip", media=False)
    Video.objects.filter(pk=pending.pk).update(moderation="review")
    follow_create(follower=fan, followee=maker)
    like_set(user=fan, video=shown, liked=True)
    html = client.get(reverse("videos:profile", args=["maker"])).content.decode()
    assert "Public clip" in html
    assert "Unlisted clip" not in html and "Private clip" not in html and "Pending clip" not in html
    assert "<strong data-followers>1</strong> Followers" in html
    assert "<strong>1</strong> Likes" in html


def test_the_owner_sees_every_own_video_with_its_state_and_figures(client):
    maker = make_user("maker")
    shown = ready_video(maker, title="Public clip", media=False)
    pending = ready_video(maker, title="Pending clip", media=False)
    Video.objects.filter(pk=pending.pk).update(moderation="review")
    EngagementEvent.objects.create(video=shown, kind="watch", watch_seconds=1.0, completion=0.5)
    EngagementEvent.objects.create(video=shown, kind="watch", watch_seconds=2.0, completion=1.0)
    client.force_login(maker)
    html = client.get(reverse("videos:profile", args=["maker"])).content.decode()
    assert "Pending clip" in html and "state-review" in html
    assert "0:02" in html or "0:01" in html  # average watch time 1.5 s, rounded
    assert "75%" in html  # average completion


def test_liked_tab_is_public_and_favourites_are_the_owners_only(client):
    maker, fan = make_user("maker"), make_user("fan")
    liked = ready_video(maker, title="Loved clip", media=False)
    saved = ready_video(maker, title="Saved clip", media=False)
    like_set(user=fan, video=liked, liked=True)
    favourite_set(user=fan, video=saved, on=True)
    url = reverse("videos:profile", args=["fan"])
    assert "Loved clip" in client.get(url + "?tab=liked").content.decode()
    assert "Saved clip" not in client.get(url + "?tab=favourites").content.decode()
    client.force_login(fan)
    assert "Saved clip" in client.get(url + "?tab=favourites").content.decode()


def test_unknown_profiles_are_not_found(client):
    assert client.get(reverse("videos:profile", args=["nobody"])).status_code == 404

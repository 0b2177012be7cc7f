"""Follows and blocks: nobody follows themself; a block ends follows both ways and keeps the two
apart (no videos, comments or follows across it)."""

import pytest
from django.urls import reverse

from accounts.models import Block, Follow
from tests.factories import make_user, ready_video
from videos.models import Comment

pytestmark = pytest.mark.django_db


def test_follow_and_unfollow_through_htmx_with_a_notification(client):
    fan, maker = make_user("fan"), make_user("maker")
    client.force_login(fan)
    url = reverse("videos:follow", args=["maker"])
    resp = client.post(url, {"action": "follow"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and "Following" in resp.content.decode()
    assert Follow.objects.filter(follower=fan, followee=maker).exists()
    assert maker.notifications.filter(kind="follow", actor=fan).exists()
    client.post(url, {"action": "unfollow"}, HTTP_HX_REQUEST="true")
    assert not Follow.objects.exists()


def test_a_follow_from_a_video_is_an_engagement_signal(client):
    fan, maker = make_user("fan"), make_user("maker")
    video = ready_video(maker, media=False)
    client.force_login(fan)
    client.post(
        reverse("videos:follow", args=["maker"]), {"action": "follow", "video": video.public_id, "slot": "ranked"}
    )
    assert video.events.filter(kind="follow", user=fan, slot="ranked").exists()


def test_nobody_follows_themself_and_bad_input_is_refused(client):
    me = make_user("me")
    client.force_login(me)
    resp = client.post(reverse("videos:follow", args=["me"]), {"action": "follow"})
    assert resp.status_code == 400 and "yourself" in resp.content.decode()
    assert client.post(reverse("videos:follow", args=["ghost"])).status_code == 404
    assert client.post(reverse("videos:follow", args=["me"]), {"action": "adore"}).status_code == 400
    assert not Follow.objects.exists()


def test_anonymous_viewers_cannot_follow_or_block(client):
    make_user("maker")
    assert client.post(reverse("videos:follow", args=["maker"])).status_code == 403
    assert client.post(reverse("videos:block", args=["maker"])).status_code == 403
    assert not Follow.objects.exists() and not Block.objects.exists()


def test_a_block_ends_follows_and_keeps_both_apart(client):
    me, them = make_user("me"), make_user("them")
    their_video = ready_video(them, title="Their clip", media=False)
    my_video = ready_video(me, title="My clip", media=False)
    Follow.objects.create(follower=me, followee=them)
    Follow.objects.create(follower=them, followee=me)
    Comment.objects.create(video=my_video, author=them, text="their comment", state="published")
    client.force_login(me)
    assert client.post(reverse("videos:block", args=["them"])).status_code == 302
    assert not Follow.objects.exists()
    assert "Their clip" not in client.get("/").content.decode()
    comments = client.get(reverse("videos:comments", args=[my_video.public_id]), HTTP_HX_REQUEST="true")
    assert "their comment" not in comments.content.decode()
    assert "Unblock" in client.get(reverse("videos:profile", args=["them"])).content.decode()
    client.force_login(them)
    assert client.post(reverse("videos:follow", args=["me"]), {"action": "follow"}).status_code == 403
    resp = client.post(reverse("videos:comments", args=[my_video.public_id]), {"text": "hello?"})
    assert resp.status_code == 404
    assert client.get(reverse("videos:watch", args=[my_video.public_id])).status_code == 404
    assert "My clip" not in client.get(reverse("videos:search"), {"q": "clip"}).content.decode()
    assert Comment.objects.count() == 1 and not Follow.objects.exists()
    assert their_video.public_id  # their own video stays theirs


def test_nobody_blocks_themself_and_unblock_restores(client):
    me, them = make_user("me"), make_user("them")
    client.force_login(me)
    assert client.post(reverse("videos:block", args=["me"])).status_code == 400
    client.post(reverse("videos:block", args=["them"]))
    client.post(reverse("videos:block", args=["them"]), {"action": "unblock"})
    assert not Block.objects.exists()
    assert them.pk

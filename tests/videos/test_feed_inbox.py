"""The inbox: likes, comments, replies and follows arrive; the badge counts unread; opening the
inbox marks them read; other apps send through notification_send."""

import pytest
from django.urls import reverse

from accounts.models import Notification
from accounts.services import notification_send
from tests.factories import make_user, ready_video
from videos.commenting import comment_published_notify
from videos.likes import like_set
from videos.models import Comment

pytestmark = pytest.mark.django_db


def test_likes_replies_and_follows_reach_the_inbox_and_the_badge(client):
    maker, fan = make_user("maker"), make_user("fan")
    video = ready_video(maker, title="Popular", media=False)
    like_set(user=fan, video=video, liked=True)
    like_set(user=fan, video=video, liked=False)
    like_set(user=fan, video=video, liked=True)  # like, unlike, like: one notification
    top = Comment.objects.create(video=video, author=maker, text="thanks all", state="published")
    reply = Comment.objects.create(video=video, author=fan, parent=top, text="you're welcome", state="published")
    comment_published_notify(comment=reply)
    client.force_login(fan)
    client.post(reverse("videos:follow", args=["maker"]), {"action": "follow"})
    kinds = sorted(maker.notifications.values_list("kind", flat=True))
    assert kinds == ["follow", "like", "reply"]

    client.force_login(maker)
    badge = client.get(reverse("videos:notification_badge"), HTTP_HX_REQUEST="true").content.decode()
    assert '3<span class="sr-only"> unread</span>' in badge
    html = client.get(reverse("videos:notifications")).content.decode()
    assert "fan liked your video" in html and "started following you" in html and "replied" in html
    assert not maker.notifications.filter(read_at__isnull=True).exists()
    assert "badge" not in client.get(reverse("videos:notification_badge")).content.decode().split(">", 1)[1]


def test_nobody_is_notified_of_their_own_action_and_unknown_kinds_are_refused():
    maker = make_user("maker")
    assert notification_send(recipient=maker, actor=maker, kind="like", text="self") is None
    with pytest.raises(ValueError):
        notification_send(recipient=maker, kind="party", text="?")
    note = notification_send(recipient=maker, kind="moderation", text="Your video was approved", url="/v/x/")
    assert note.kind == Notification.Kind.MODERATION


def test_the_inbox_needs_an_account(client):
    assert client.get(reverse("videos:notifications")).status_code == 302
    assert client.get(reverse("videos:notification_badge")).status_code == 302

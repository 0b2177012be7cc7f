"""A block hides the blocked person everywhere, both ways: their comments and replies are not shown
to the person who blocked them (nor the blocker's to them), a reply routed through someone else's
reply does not land in the blocker's thread, and no notification crosses a block, whichever path
sends it. (The platform has no @mentions: comments are plain text and nothing parses names.)"""

import pytest
from django.urls import reverse

from accounts.models import Notification
from accounts.services import block_create, notification_send
from moderation import decisions
from tests.factories import make_user, ready_video
from videos import commenting
from videos.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """A creator, the blocker, the person they block, and a bystander in the same threads."""
    return {
        "creator": make_user("creator"),
        "blocker": make_user("blocker"),
        "blocked": make_user("blocked"),
        "bystander": make_user("bystander"),
        "moderator": make_user("moderator", is_staff=True),
    }


@pytest.fixture
def video(people):
    return ready_video(people["creator"], title="Talk about it", media=False)


def _comments_html(client, video, viewer) -> str:
    client.force_login(viewer)
    url = reverse("videos:comments", args=[video.public_id])
    return client.get(url, HTTP_HX_REQUEST="true").content.decode()


def _publish(*comments, moderator):
    for comment in comments:
        decisions.comment_decide(comment=comment, outcome="approved", actor=moderator, note="fine")


def test_a_reply_to_a_third_persons_reply_does_not_reach_the_blocker(client, people, video):
    blocker, blocked, bystander = people["blocker"], people["blocked"], people["bystander"]
    top = Comment.objects.create(video=video, author=blocker, text="my thread starts here", state="published")
    middle = Comment.objects.create(
        video=video, author=bystander, parent=top, text="a bystander answers", state="published"
    )
    block_create(blocker=blocker, blocked=blocked)

    client.force_login(blocked)
    url = reverse("videos:comments", args=[video.public_id])
    response = client.post(url, {"text": "sneaking into your thread", "parent": middle.pk}, HTTP_HX_REQUEST="true")
    # Whatever the post left behind, a moderator publishing it must not carry it to the blocker.
    _publish(*Comment.objects.filter(author=blocked), moderator=people["moderator"])

    assert response.status_code == 404
    assert not Comment.objects.filter(author=blocked, parent=top).exists()
    assert not Notification.objects.filter(recipient=blocker, actor=blocked).exists()
    assert "sneaking into your thread" not in _comments_html(client, video, blocker)


def test_comments_and_replies_are_hidden_both_ways_across_a_block(client, people, video):
    blocker, blocked, bystander = people["blocker"], people["blocked"], people["bystander"]
    open_thread = Comment.objects.create(
        video=video, author=bystander, text="thread of the bystander", state="published"
    )
    Comment.objects.create(video=video, author=blocked, text="top comment by the blocked person", state="published")
    Comment.objects.create(
        video=video, author=blocked, parent=open_thread, text="reply by the blocked person", state="published"
    )
    Comment.objects.create(video=video, author=blocker, text="top comment by the blocker", state="published")
    Comment.objects.create(
        video=video, author=blocker, parent=open_thread, text="reply by the blocker", state="published"
    )
    block_create(blocker=blocker, blocked=blocked)

    seen_by_blocker = _comments_html(client, video, blocker)
    assert "thread of the bystander" in seen_by_blocker and "reply by the blocker" in seen_by_blocker
    assert "blocked person" not in seen_by_blocker
    seen_by_blocked = _comments_html(client, video, blocked)
    assert "thread of the bystander" in seen_by_blocked and "reply by the blocked person" in seen_by_blocked
    assert "by the blocker" not in seen_by_blocked
    everyone = _comments_html(client, video, bystander)
    assert "reply by the blocked person" in everyone and "reply by the blocker" in everyone


def test_a_held_comment_published_after_the_block_does_not_notify_the_blocker(people, video):
    creator, blocked = people["creator"], people["blocked"]
    # Posted before the block and held for a moderator.
    comment = Comment.objects.create(video=video, author=blocked, text="a perfectly nice comment", state="held")
    block_create(blocker=creator, blocked=blocked)
    _publish(comment, moderator=people["moderator"])
    assert not Notification.objects.filter(recipient=creator, actor=blocked).exists()


def test_a_reply_in_a_thread_the_blocker_joined_does_not_notify_or_show_to_them(client, people, video):
    """The blocker replied in a bystander's thread; the blocked person may still answer the
    bystander, and only the bystander hears of it."""
    blocker, blocked, bystander = people["blocker"], people["blocked"], people["bystander"]
    top = Comment.objects.create(video=video, author=bystander, text="thread of the bystander", state="published")
    Comment.objects.create(video=video, author=blocker, parent=top, text="blocker chimes in", state="published")
    block_create(blocker=blocker, blocked=blocked)
    reply = commenting.comment_post(user=blocked, video=video, text="answering the bystander", parent_id=top.pk)
    _publish(reply, moderator=people["moderator"])
    assert Notification.objects.filter(recipient=bystander, actor=blocked, kind="reply").exists()
    assert not Notification.objects.filter(recipient=blocker).exists()
    assert "answering the bystander" not in _comments_html(client, video, blocker)
    assert "answering the bystander" in _comments_html(client, video, bystander)


@pytest.mark.parametrize("direction", ["blocker receives", "blocked receives"])
def test_notification_send_drops_notifications_across_a_block(people, direction):
    blocker, blocked = people["blocker"], people["blocked"]
    block_create(blocker=blocker, blocked=blocked)
    recipient, actor = (blocker, blocked) if direction == "blocker receives" else (blocked, blocker)
    for kind in ("like", "comment", "reply", "follow"):
        assert notification_send(recipient=recipient, actor=actor, kind=kind, text="hello", url="/v/x/") is None
    assert not Notification.objects.exists()
    # Without an actor (moderation notices) and between people with no block, delivery goes on.
    assert notification_send(recipient=recipient, kind="moderation", text="Your video was approved") is not None
    assert notification_send(recipient=recipient, actor=people["bystander"], kind="like", text="hi") is not None

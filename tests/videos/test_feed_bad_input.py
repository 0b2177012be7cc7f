"""Every viewer endpoint answers bad input with a clear 4xx and changes nothing."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Block, Follow, Notification
from tests.factories import make_user, ready_video
from videos.models import Comment, EngagementEvent, Favourite, Like, NotInterested, Video, VideoView

pytestmark = pytest.mark.django_db

MODELS = [Like, Favourite, Comment, EngagementEvent, Follow, Block, NotInterested, Notification, VideoView]
COUNTERS = ["view_count", "like_count", "comment_count", "share_count", "favourite_count", "impression_count"]


def _snapshot():
    return (
        {m.__name__: m.objects.count() for m in MODELS},
        list(Video.objects.order_by("pk").values_list(*COUNTERS)),
    )


@pytest.fixture
def world():
    cache.clear()
    maker, viewer, stranger = make_user("maker"), make_user("viewer"), make_user("stranger")
    public = ready_video(maker, title="public", media=False)
    private = ready_video(maker, title="private", visibility="private", media=False)
    closed = ready_video(maker, title="closed", allow_comments=False, media=False)
    review = ready_video(maker, title="in review", media=False)
    Video.objects.filter(pk=review.pk).update(moderation="review")
    theirs = Comment.objects.create(video=public, author=stranger, text="not yours", state="published")
    return {
        "viewer": viewer,
        "public": public,
        "private": private,
        "closed": closed,
        "review": review,
        "theirs": theirs,
    }


def _cases(w):
    p, priv, closed, review = (w[k].public_id for k in ("public", "private", "closed", "review"))
    ev = reverse("videos:event")
    return [
        ("post", reverse("videos:like", args=["no-such-id"]), {}, 404),
        ("post", reverse("videos:like", args=[priv]), {}, 404),
        ("post", reverse("videos:like", args=[review]), {}, 404),
        ("post", reverse("videos:like", args=[p]), {"action": "superlike"}, 400),
        ("get", reverse("videos:like", args=[p]), {}, 405),
        ("post", reverse("videos:favourite", args=[priv]), {}, 404),
        ("post", reverse("videos:share", args=[priv]), {}, 404),
        ("post", reverse("videos:not_interested", args=["no-such-id"]), {}, 404),
        ("post", reverse("videos:comments", args=[p]), {"text": ""}, 400),
        ("post", reverse("videos:comments", args=[p]), {"text": " \n "}, 400),
        ("post", reverse("videos:comments", args=[p]), {"text": "z" * 2001}, 400),
        ("post", reverse("videos:comments", args=[closed]), {"text": "hello"}, 403),
        ("post", reverse("videos:comments", args=[priv]), {"text": "hello"}, 404),
        ("post", reverse("videos:comments", args=[p]), {"text": "hi", "parent": "99999"}, 404),
        ("get", reverse("videos:comments", args=[p]) + "?before=x", {}, 400),
        ("post", reverse("videos:comment_delete", args=[w["theirs"].pk]), {}, 403),
        ("post", reverse("videos:comment_delete", args=[987654]), {}, 404),
        ("post", reverse("videos:follow", args=["viewer"]), {"action": "follow"}, 400),
        ("post", reverse("videos:follow", args=["nobody"]), {}, 404),
        ("post", reverse("videos:follow", args=["maker"]), {"action": "stalk"}, 400),
        ("post", reverse("videos:block", args=["viewer"]), {}, 400),
        ("post", reverse("videos:block", args=["nobody"]), {}, 404),
        ("post", ev, {"video": p, "kind": "watch", "watch_seconds": "9999", "completion": "0.5"}, 400),
        ("post", ev, {"video": p, "kind": "watch", "watch_seconds": "1", "completion": "-0.1"}, 400),
        ("post", ev, {"video": p, "kind": "watch", "watch_seconds": "1", "completion": "1e9"}, 400),
        ("post", ev, {"video": p, "kind": "share"}, 400),
        ("post", ev, {"video": priv, "kind": "impression"}, 404),
        ("post", ev, {"video": review, "kind": "impression"}, 404),
        ("get", ev, {}, 405),
        ("get", reverse("videos:category", args=["no-such-category"]), {}, 404),
        ("get", reverse("videos:hashtag", args=["nosuchtag"]), {}, 404),
        ("get", reverse("videos:watch", args=[priv]), {}, 404),
        ("get", reverse("videos:profile", args=["nobody"]), {}, 404),
    ]


def test_bad_input_to_every_viewer_endpoint_gets_a_4xx_and_changes_nothing(client, world):
    client.force_login(world["viewer"])
    before = _snapshot()
    failures = []
    for method, url, data, status in _cases(world):
        response = getattr(client, method)(url, data)
        if response.status_code != status:
            failures.append((method, url, data, response.status_code, status))
        elif status != 405:
            assert response.content, f"{url} gave no message"
    assert not failures
    assert _snapshot() == before

"""The engagement beacon: valid events stored with their slot and values, forged ones refused
whole, a per-viewer rate limit in the shared cache, and CSRF in the body."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from recommendations import receivers
from tests.factories import make_user, ready_video
from videos.models import EngagementEvent, Video, VideoView

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def video():
    return ready_video(make_user("maker"), title="Measured", media=False)


def _send(client, video, kind, **values):
    return client.post(reverse("videos:event"), {"video": video.public_id, "kind": kind, **values})


def test_impression_play_watch_and_skip_are_stored_with_the_values_sent(client, video):
    viewer = make_user("viewer")
    client.force_login(viewer)
    assert _send(client, video, "impression", slot="explore").status_code == 204
    assert _send(client, video, "play", slot="explore").status_code == 204
    assert _send(client, video, "watch", watch_seconds="1.250", completion="0.6250", slot="explore").status_code == 204
    assert _send(client, video, "skip", watch_seconds="1.25", completion="0.625", slot="explore").status_code == 204
    rows = list(
        EngagementEvent.objects.filter(video=video)
        .order_by("pk")
        .values_list("kind", "watch_seconds", "completion", "slot", "user")
    )
    assert rows == [
        ("impression", 0.0, 0.0, "explore", viewer.pk),
        ("play", 0.0, 0.0, "explore", viewer.pk),
        ("watch", 1.25, 0.625, "explore", viewer.pk),
        ("skip", 1.25, 0.625, "explore", viewer.pk),
    ]
    video.refresh_from_db()
    assert (video.impression_count, video.play_count, video.view_count) == (1, 1, 1)
    assert video.watch_seconds_sum == pytest.approx(1.25) and video.completion_sum == pytest.approx(0.625)


def test_views_are_deduplicated_per_viewer(client, video):
    client.force_login(make_user("viewer"))
    for _ in range(3):
        _send(client, video, "play")
    video.refresh_from_db()
    assert video.view_count == 1 == VideoView.objects.count()


def test_anonymous_events_tie_to_the_session(client, video):
    client.get("/")
    assert _send(client, video, "impression").status_code == 204
    event = EngagementEvent.objects.get()
    assert event.user is None and event.session_key == client.session.session_key


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"kind": "watch", "watch_seconds": "60", "completion": "0.5"}, 400),  # far beyond a 2 s clip
        ({"kind": "watch", "watch_seconds": "1", "completion": "3"}, 400),
        ({"kind": "watch", "watch_seconds": "-1", "completion": "0.5"}, 400),
        ({"kind": "watch", "watch_seconds": "nan", "completion": "0.5"}, 400),
        ({"kind": "watch", "watch_seconds": "inf", "completion": "0.5"}, 400),
        ({"kind": "watch", "watch_seconds": "lots", "completion": "0.5"}, 400),
        ({"kind": "impression", "watch_seconds": "1"}, 400),
        ({"kind": "like"}, 400),  # likes are recorded by the like endpoint, not by the player
        ({"kind": "teleport"}, 400),
        ({"kind": "play", "slot": "vip"}, 400),
        ({"kind": "play", "video": "missing"}, 404),
    ],
)
def test_forged_event_values_are_refused_and_nothing_changes(client, video, values, status):
    client.force_login(make_user("viewer"))
    data = {"video": video.public_id, **values}
    resp = client.post(reverse("videos:event"), data)
    assert resp.status_code == status and resp.content
    assert not EngagementEvent.objects.exists()
    fresh = Video.objects.get(pk=video.pk)
    assert (fresh.impression_count, fresh.play_count, fresh.watch_seconds_sum) == (0, 0, 0.0)


def test_private_and_unapproved_videos_take_no_events(client, video):
    private = ready_video(video.creator, title="private", visibility="private", media=False)
    Video.objects.filter(pk=video.pk).update(moderation="review")
    client.force_login(make_user("viewer"))
    assert _send(client, private, "play").status_code == 404
    assert _send(client, video, "play").status_code == 404
    assert not EngagementEvent.objects.exists()


def test_events_are_rate_limited_per_viewer(client, video, settings):
    settings.EVENTS_RATE_PER_MINUTE = 5
    client.force_login(make_user("viewer"))
    codes = [_send(client, video, "impression").status_code for _ in range(7)]
    assert codes == [204] * 5 + [429, 429]
    assert EngagementEvent.objects.count() == 5
    other = Client()
    other.force_login(make_user("other"))
    assert _send(other, video, "impression").status_code == 204


def test_the_beacon_needs_the_csrf_token_in_its_body(video):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user("viewer"))
    assert _send(csrf_client, video, "impression").status_code == 403
    csrf_client.get("/")
    token = csrf_client.cookies["csrftoken"].value
    assert _send(csrf_client, video, "impression", csrfmiddlewaretoken=token).status_code == 204


def test_each_event_reaches_the_recommender_profile_hook(client, video, monkeypatch):
    seen = []
    original = receivers.profile_on_event

    def spy(*, event):
        seen.append(event.kind)
        return original(event=event)

    # The receiver that recommendations connects to videos' engagement_recorded signal.
    monkeypatch.setattr(receivers, "profile_on_event", spy)
    client.force_login(make_user("viewer"))
    _send(client, video, "impression")
    client.post(reverse("videos:like", args=[video.public_id]), {"action": "like"})
    assert seen == ["impression", "like"]

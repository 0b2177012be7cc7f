"""A request without a cookie writes no session row unless there is something to keep: crawlers,
link-preview bots and load generators once turned 20 rows into 11,313 in a minute. A signed-out
viewer's first engagement event starts the session their feed profile lives in, and expired
sessions are cleared every night."""

import datetime as dt
import time
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import ready_video
from tiktok import tasks, viewer_tokens
from tiktok.schedules import SCHEDULES
from videos.models import EngagementEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_video(make_user):
    return ready_video(make_user("maker"), title="Out in the open", description="#shared", hashtags=["shared"])


def public_urls(video) -> list[str]:
    pid = video.public_id
    return [
        "/",
        "/feed/more/?seen=" + pid,
        "/following/",
        f"/v/{pid}/",
        f"/v/{pid}/comments/",
        f"/v/{pid}/poster.jpg",
        f"/v/{pid}/media/720p.mp4",
        "/@maker/",
        "/search/?q=open",
        "/tag/shared/",
        "/c/music/",
        "/healthz",
        reverse("accounts:login"),
        reverse("accounts:signup"),
        reverse("accounts:password_reset"),
        reverse("recommendations:interests"),  # a redirect to log in
        "/no-such-page/",
    ]


def test_a_first_get_of_any_public_page_writes_no_session(public_video):
    for url in public_urls(public_video):
        browser = Client()  # no cookies: a crawler, a preview bot, a load generator
        response = browser.get(url)
        assert response.status_code < 500, url
        assert settings.SESSION_COOKIE_NAME not in response.cookies, url
        assert Session.objects.count() == 0, url


def test_a_minute_of_cookieless_load_leaves_the_session_table_as_it_was(public_video):
    for _ in range(40):
        for url in ("/", f"/v/{public_video.public_id}/", "/feed/more/"):
            assert Client().get(url).status_code == 200
    assert Session.objects.count() == 0


def test_a_signed_out_viewers_first_event_starts_the_session_their_events_share(client, public_video):
    assert client.get("/").status_code == 200
    assert Session.objects.count() == 0
    beacon = {"video": public_video.public_id, "kind": "impression", "slot": "ranked"}
    response = client.post("/events/", beacon)
    assert response.status_code == 204
    assert settings.SESSION_COOKIE_NAME in response.cookies
    (session,) = Session.objects.all()
    assert client.post("/events/", {**beacon, "kind": "play"}).status_code == 204
    assert Session.objects.count() == 1
    kinds = EngagementEvent.objects.filter(user=None, session_key=session.session_key).values_list("kind", flat=True)
    assert sorted(kinds) == ["impression", "play"]
    # The feed's next page reads the same session, and writes nothing new.
    assert client.get("/feed/more/").status_code == 200
    assert Session.objects.count() == 1


def test_beacons_sent_before_the_first_answer_share_one_session(public_video):
    """The player's first beacons leave together, so none carries a session cookie yet; all
    carry the viewer token the page set, which joins them to the session the first one started."""
    beacon = {"video": public_video.public_id, "slot": "ranked"}
    token = Client().get("/").cookies[viewer_tokens.COOKIE_NAME].value
    one_browser = [Client(), Client()]  # two requests in flight at once, from one browser
    for request in one_browser:
        request.cookies[settings.CSRF_COOKIE_NAME] = "b" * 32
        request.cookies[viewer_tokens.COOKIE_NAME] = token
    first = one_browser[0].post("/events/", {**beacon, "kind": "impression"})
    second = one_browser[1].post("/events/", {**beacon, "kind": "play"})
    assert first.status_code == second.status_code == 204
    (session,) = Session.objects.all()
    for response in (first, second):
        assert response.cookies[settings.SESSION_COOKIE_NAME].value == session.session_key
    assert set(EngagementEvent.objects.values_list("session_key", flat=True)) == {session.session_key}

    other_browser = Client()
    other_browser.get("/")  # its own token
    assert other_browser.post("/events/", {**beacon, "kind": "impression"}).status_code == 204
    assert Session.objects.count() == 2


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_signed_out_player_in_chromium_sends_every_event_into_one_session(live_server, page, make_user):
    for i in range(3):
        ready_video(make_user(f"maker{i}"), title=f"Clip {i}")
    for _ in range(3):  # the first beacons race each other: try it a few times
        page.context.clear_cookies()
        Session.objects.all().delete()
        EngagementEvent.objects.all().delete()
        page.goto(live_server.url + "/")
        page.wait_for_function("window.clipEvents.some(e => e.kind === 'play')")
        page.wait_for_timeout(500)
        sent = page.evaluate("window.clipEvents")
        deadline = time.monotonic() + 10
        while EngagementEvent.objects.count() < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        cookie = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
        assert list(Session.objects.values_list("session_key", flat=True)) == [cookie]
        keys = set(EngagementEvent.objects.filter(user=None).values_list("session_key", flat=True))
        assert keys == {cookie}, (len(sent), EngagementEvent.objects.count())


def test_a_refused_event_from_a_cookieless_caller_leaves_no_session(client, public_video):
    for bad in (
        {"video": public_video.public_id, "kind": "teleport"},
        {"video": "nosuchvideo", "kind": "impression"},
        {"video": public_video.public_id, "kind": "watch", "watch_seconds": "9999", "completion": "0.5"},
    ):
        response = client.post("/events/", bad)
        assert 400 <= response.status_code < 500, bad
        assert (
            settings.SESSION_COOKIE_NAME not in response.cookies
            or not response.cookies[settings.SESSION_COOKIE_NAME].value
        )
        assert Session.objects.count() == 0, bad
        assert not EngagementEvent.objects.exists()


def test_signing_in_still_writes_a_session(client, make_user):
    make_user("member", password="a-long-password-1")
    response = client.post(reverse("accounts:login"), {"username": "member", "password": "a-long-password-1"})
    assert response.status_code == 302
    assert Session.objects.count() == 1


def test_expired_sessions_are_cleared_every_night():
    (job,) = [item for item in SCHEDULES if item.func == "tiktok.tasks.clear_expired_sessions"]
    assert job.daily_at

    store = import_module(settings.SESSION_ENGINE).SessionStore
    live, expired = store(), store()
    for session in (live, expired):
        session["v"] = 1
        session.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    tasks.clear_expired_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]

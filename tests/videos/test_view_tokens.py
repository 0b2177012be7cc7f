"""Signed-out views cannot be inflated: the engagement beacon takes a signed-out viewer's event
only with the signed, expiring viewer token a page view sets (a cookie, no database row); a view
counts once per viewer and video, however many plays; anonymous events are limited per address,
and so are the new signed-out viewers one address may start."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client
from django.urls import reverse

from tests.factories import make_user, ready_video
from tiktok import viewer_tokens
from videos.models import EngagementEvent, Video, VideoView

pytestmark = pytest.mark.django_db

TOKEN_COOKIE = viewer_tokens.COOKIE_NAME


@pytest.fixture
def video():
    return ready_video(make_user("maker"), title="Counted", media=False)


def play(client, video, kind="play", **extra):
    return client.post(reverse("videos:event"), {"video": video.public_id, "kind": kind, "slot": "ranked"}, **extra)


def token_from_a_page(client, url="/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert TOKEN_COOKIE in response.cookies, "a page view gives a signed-out viewer their token"
    return response.cookies[TOKEN_COOKIE].value


def with_token(token: str) -> Client:
    """A caller that keeps nothing but the token: no session cookie, no CSRF cookie."""
    client = Client()
    client.cookies[TOKEN_COOKIE] = token
    return client


def views(video) -> int:
    return Video.objects.values_list("view_count", flat=True).get(pk=video.pk)


def test_a_cookieless_client_posting_fifty_plays_adds_no_view_and_writes_nothing(video):
    codes = set()
    for _ in range(50):
        response = play(Client(), video)
        codes.add(response.status_code)
        text = response.content.decode()
        assert text.strip() and "\n" not in text.strip()
    assert codes == {403}
    assert views(video) == 0
    assert not VideoView.objects.exists() and not EngagementEvent.objects.exists()
    assert Session.objects.count() == 0


def test_a_page_view_sets_the_token_and_writes_no_session_row(video):
    for url in ("/", f"/v/{video.public_id}/", "/@maker/", "/search/?q=counted"):
        browser = Client()
        response = browser.get(url)
        cookie = response.cookies[TOKEN_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 0
        assert "private" in response["Cache-Control"]  # never stored by a shared cache
        # The next page keeps the token as it is (it is refreshed only past half its age).
        assert TOKEN_COOKIE not in browser.get(url).cookies
    assert Session.objects.count() == 0
    signed_in = Client()
    signed_in.force_login(make_user("member"))
    assert TOKEN_COOKIE not in signed_in.get("/").cookies  # a signed-in viewer needs none


def test_a_browser_with_a_token_counts_one_view_per_video_however_many_plays(video):
    other = ready_video(video.creator, title="Second", media=False)
    browser = Client()
    token_from_a_page(browser)
    for _ in range(5):
        for clip in (video, other):
            assert play(browser, clip).status_code == 204
    assert (views(video), views(other)) == (1, 1)
    assert Session.objects.count() == 1
    assert EngagementEvent.objects.filter(kind="play").count() == 10


def test_a_token_without_its_session_cookie_still_counts_once(video):
    """A script that keeps the token but drops the session cookie joins the session the token
    started, rather than becoming a new viewer each time."""
    token = token_from_a_page(Client())
    for _ in range(20):
        assert play(with_token(token), video).status_code == 204
    assert views(video) == 1
    assert Session.objects.count() == 1
    assert VideoView.objects.count() == 1


def test_a_forged_token_is_refused_and_writes_nothing(video):
    real = token_from_a_page(Client())
    value, _, signature = real.rpartition(":")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = [
        f"{value}:{flipped}",  # the signature changed
        signing.dumps({"v": "x" * 22}),  # signed with this key, for another purpose (salt)
        signing.dumps({"v": "x" * 22}, key="another-secret", salt="tiktok.viewer_tokens"),
        "not-a-token",
        "",
        "a" * 5000,
    ]
    for token in forged:
        response = play(with_token(token), video)
        assert response.status_code == 403, token[:40]
    assert views(video) == 0 and not EngagementEvent.objects.exists()
    assert Session.objects.count() == 0


def test_an_expired_token_is_refused(video, settings, monkeypatch):
    token = token_from_a_page(Client())
    later = time.time() + settings.VIEWER_TOKEN_MAX_AGE + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = play(with_token(token), video)
    assert response.status_code == 403
    assert views(video) == 0 and not EngagementEvent.objects.exists() and Session.objects.count() == 0


def test_anonymous_events_are_limited_per_address(video, settings):
    settings.ANON_EVENTS_PER_MINUTE_PER_IP = 5
    browser = Client()
    token_from_a_page(browser)
    codes = [play(browser, video, kind="impression").status_code for _ in range(7)]
    assert codes == [204] * 5 + [429, 429]
    assert EngagementEvent.objects.count() == 5
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    token_from_a_page(elsewhere)
    assert play(elsewhere, video, kind="impression").status_code == 204
    # Signed-in viewers are counted per account, not per address.
    member = Client()
    member.force_login(make_user("member"))
    assert play(member, video, kind="impression").status_code == 204


def test_new_signed_out_viewers_are_limited_per_address(video, settings):
    settings.ANON_VIEWERS_PER_HOUR_PER_IP = 2
    browsers = [Client() for _ in range(3)]
    for browser in browsers:
        token_from_a_page(browser)
    assert [play(b, video).status_code for b in browsers] == [204, 204, 429]
    assert views(video) == 2 and Session.objects.count() == 2
    # The viewers already counted carry on.
    assert play(browsers[0], video, kind="impression").status_code == 204
    elsewhere = Client(REMOTE_ADDR="2001:db8:1::5")
    token_from_a_page(elsewhere)
    assert play(elsewhere, video).status_code == 204
    assert views(video) == 3


def test_a_page_view_refreshes_an_ageing_token_and_keeps_the_viewer(video, settings, monkeypatch):
    browser = Client()
    first = token_from_a_page(browser)
    assert play(browser, video).status_code == 204
    later = time.time() + settings.VIEWER_TOKEN_MAX_AGE * 0.6
    monkeypatch.setattr(signing.time, "time", lambda: later)
    second = token_from_a_page(browser)
    assert second != first
    read = lambda token: signing.loads(token, salt=viewer_tokens.SALT)  # noqa: E731
    assert read(second)["v"] == read(first)["v"]
    assert play(with_token(second), video).status_code == 204  # the same viewer, the same session
    assert views(video) == 1 and Session.objects.count() == 1


def test_after_logging_in_and_out_the_token_starts_a_fresh_session(video):
    browser = Client()
    token_from_a_page(browser)
    assert play(browser, video, kind="impression").status_code == 204
    (before,) = Session.objects.values_list("session_key", flat=True)
    browser.force_login(make_user("member"))
    assert browser.post(reverse("accounts:logout")).status_code == 302  # the token cookie stays
    assert play(browser, video, kind="impression").status_code == 204
    after = EngagementEvent.objects.filter(user=None).order_by("pk").values_list("session_key", flat=True)
    assert after[0] == before and after[1] not in ("", before)
    assert play(with_token(browser.cookies[TOKEN_COOKIE].value), video, kind="impression").status_code == 204
    assert EngagementEvent.objects.filter(user=None).order_by("-pk")[0].session_key == after[1]


def test_a_signed_out_share_needs_the_viewer_token_too(video):
    share = reverse("videos:share", args=[video.public_id])
    codes = {Client().post(share).status_code for _ in range(20)}
    assert codes == {403}
    assert Video.objects.values_list("share_count", flat=True).get(pk=video.pk) == 0
    token = token_from_a_page(Client())
    assert with_token(token).post(share).status_code == 200
    assert Video.objects.values_list("share_count", flat=True).get(pk=video.pk) == 1

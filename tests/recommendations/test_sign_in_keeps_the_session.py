"""What a viewer watched while signed out carries over when they log in or sign up: the
session's profile is folded into the account's, and the videos they played stay seen."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from accounts.models import User
from recommendations import ranking
from recommendations.services import profile_state
from videos.models import VideoView

pytestmark = pytest.mark.django_db


def watch_signed_out(client, videos):
    assert client.get("/").status_code == 200  # the first page starts the session
    for video in videos:
        seconds = f"{video.duration or 0:.1f}"
        for kind, extra in (("play", {}), ("watch", {"completion": "1.0", "watch_seconds": seconds}), ("replay", {})):
            data = {"video": video.public_id, "kind": kind, "slot": "ranked", **extra}
            assert client.post("/events/", data).status_code == 204
    return client.session.session_key


def test_logging_in_keeps_what_the_browser_watched_signed_out(world, client, make_user):
    cats, _people, _videos, by_cat = world
    target = cats[2]
    watched = by_cat[target.pk][:4]
    viewer = make_user("returning", password="a-long-password-1")
    session_key = watch_signed_out(client, watched)
    assert cache.get(f"rec:session-profile:{session_key}") is not None

    response = client.post("/accounts/login/", {"username": "returning", "password": "a-long-password-1"})
    assert response.status_code == 302

    state = profile_state(user_id=viewer.pk)
    assert state["category_weights"][str(target.pk)] > 0
    assert [vid for vid, _ in state["recent"]] == [v.pk for v in reversed(watched)]
    assert state["ranked_alpha"] > 1.0  # the completed watches and replays count as engaged
    # The played videos are in the account's history now, so the feed leaves them out.
    moved = VideoView.objects.filter(viewer_key=f"u:{viewer.pk}", user=viewer)
    assert set(moved.values_list("video_id", flat=True)) == {v.pk for v in watched}
    assert cache.get(f"rec:session-profile:{session_key}") is None

    page = client.get("/feed/more/", headers={"HX-Request": "true"}).content.decode()
    assert f"Because you watch {target.name}" in page or "which you enjoyed" in page
    assert not any(f"/v/{v.public_id}/" in page for v in watched)


def test_signing_up_starts_the_profile_from_the_session(world, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cats, _people, _videos, by_cat = world
    target = cats[1]
    watch_signed_out(client, by_cat[target.pk][:3])
    data = {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password1": "correct-horse-battery",
        "password2": "correct-horse-battery",
        "age_confirmed": "on",
    }
    assert client.post("/accounts/signup/", data).status_code == 302
    # The account is made when the e-mailed link is followed, in the same browser.
    link = re.search(r"https?://testserver(/accounts/signup/confirm/\S+/)", mail.outbox[0].body).group(1)
    assert client.post(link).status_code == 302
    user = User.objects.get(username="newcomer")
    assert profile_state(user_id=user.pk)["category_weights"][str(target.pk)] > 0


def test_a_log_in_without_a_signed_out_profile_changes_nothing(client, make_user):
    viewer = make_user("fresh", password="a-long-password-1")
    response = client.post("/accounts/login/", {"username": "fresh", "password": "a-long-password-1"})
    assert response.status_code == 302
    assert profile_state(user_id=viewer.pk) == ranking.new_profile_state()


def test_merging_adds_weights_puts_the_session_first_and_counts_the_prior_once():
    account = ranking.new_profile_state()
    account.update(category_weights={"1": 2.0, "2": 1.0}, recent=[[10, 1.0], [11, 0.5]], ranked_alpha=3.0)
    session = ranking.new_profile_state()
    session.update(category_weights={"2": 0.5, "3": 1.5}, recent=[[12, 2.0], [10, 1.0]], ranked_alpha=2.0)
    merged = ranking.profile_merge(account, session)
    assert merged["category_weights"] == {"1": 2.0, "2": 1.5, "3": 1.5}
    assert merged["recent"] == [[12, 2.0], [10, 2.0], [11, 0.5]]
    assert (merged["ranked_alpha"], merged["ranked_beta"]) == (4.0, 1.0)
    assert (merged["explore_alpha"], merged["explore_beta"]) == (1.0, 1.0)

"""Issue 17, item 7: "Why am I seeing this?" names the real reason: never "popular right now"
for a clip nobody liked; new, exploring, a followed creator (and, with a trained model,
"because you watched X": tests/recommendations/test_why_in_browser.py)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Follow
from recommendations.selectors import caches_clear
from tests.conftest import save_artifact
from tests.factories import make_user, ready_video
from tests.videos.player_browser import phone_page, sign_in
from videos.models import Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clip_nobody_liked_is_never_called_popular(live_server, browser):
    cache.clear()
    caches_clear()
    viewer = make_user("viewer")
    old = timezone.now() - timedelta(days=30)
    unliked = [
        ready_video(make_user(f"quiet{i}"), title=f"Unliked {i}", categories=["Music"], published_at=old,
                    impression_count=900, view_count=40)
        for i in range(4)
    ]  # fmt: skip
    liked = ready_video(
        make_user("loud"), title="Loved", categories=["Music"], published_at=old, impression_count=900, like_count=12
    )
    fresh = ready_video(make_user("newbie"), title="Brand new", categories=["Music"])
    followed = ready_video(make_user("friend"), title="From a friend", categories=["Music"], published_at=old)
    Follow.objects.create(follower=viewer, followee=followed.creator)

    with phone_page(browser) as page:
        sign_in(page, live_server, viewer)
        page.goto(live_server.url + "/")
        reasons = {}
        for article in page.query_selector_all("article.slide"):
            reasons[article.get_attribute("data-video")] = (
                article.get_attribute("data-slot"),
                article.query_selector("details.why p").text_content(),
            )
        page.locator(f"#slide-{unliked[0].public_id} details.why summary").click()
        page.locator(f"#slide-{unliked[0].public_id}").scroll_into_view_if_needed()
        save_artifact(page, "feed-why-truthful")

    assert set(reasons) == {v.public_id for v in [*unliked, liked, fresh, followed]}
    for public_id, (_slot, reason) in reasons.items():
        video = Video.objects.get(public_id=public_id)
        if video.like_count == 0:
            assert "opular" not in reason, (video.title, reason)
    assert reasons[liked.public_id] == ("trending", "Popular in Music right now.")
    assert reasons[followed.public_id] == ("following", "From @friend, whom you follow.")
    assert reasons[fresh.public_id][1] in ("Recently posted.", "New and being tried out: few people have seen it yet.")
    for video in unliked:
        reason = reasons[video.public_id][1]
        assert reason in (
            "One of the newest videos you have not seen yet.",
            "Watched by other viewers lately; nothing you watched points to it yet.",
        ), reason

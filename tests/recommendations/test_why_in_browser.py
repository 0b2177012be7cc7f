import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Follow
from recommendations.selectors import caches_clear
from recommendations.services import recommender_train
from tests.conftest import save_artifact
from tests.recommendations.catalogue import make_catalogue, plant_engagement, record
from videos.models import Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def reasons_on_page(page, url):
    page.goto(url)
    page.wait_for_selector("article.slide")
    out = []
    for article in page.query_selector_all("article.slide"):
        why = article.query_selector("details.why p")
        out.append((article.get_attribute("data-video"), article.get_attribute("data-slot"), why.text_content()))
    return out


def test_why_am_i_seeing_this_shows_a_true_reason_for_each_slot_kind(live_server, page, make_user):
    caches_clear()
    cats, people, _videos, by_cat = make_catalogue()
    plant_engagement(by_cat)
    recommender_train()
    viewer = make_user()
    liked = by_cat[cats[1].pk][:3]
    for video in liked:
        record(viewer, video, "watch", completion=1.0)
        record(viewer, video, "like")
    followed = by_cat[cats[1].pk][5].creator
    Follow.objects.create(follower=viewer, followee=followed)
    client = Client()
    client.force_login(viewer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    seen = {}
    for _ in range(3):
        for public_id, slot, reason in reasons_on_page(page, live_server.url + "/"):
            seen.setdefault(slot, []).append((Video.objects.get(public_id=public_id), reason))
    page.locator("details.why summary").first.click()
    assert page.locator("details.why p").first.is_visible()
    save_artifact(page, "feed-why-am-i-seeing-this")

    assert {"ranked", "explore", "following"} <= set(seen)
    for video, reason in seen["following"]:
        assert video.creator_id == followed.pk
        assert reason == f"From @{followed.username}, whom you follow."
    for video, reason in seen["explore"]:
        assert video.impression_count < 200
        assert reason.startswith("New and being tried out")
    liked_titles = {v.title for v in liked}
    for video, reason in seen["ranked"]:
        if reason.startswith("Liked by people who liked"):
            assert reason.split("“")[1].split("”")[0] in liked_titles
        elif reason.startswith("Because you watch"):
            assert reason.removeprefix("Because you watch ").rstrip(".") in {c.name for c in video.categories.all()}

    page.context.clear_cookies()
    caches_clear()
    newcomer_page = reasons_on_page(page, live_server.url + "/")
    assert any(reason.startswith("Popular in") for _, _, reason in newcomer_page)
    for public_id, slot, reason in newcomer_page:
        video = Video.objects.get(public_id=public_id)
        if reason.startswith("Popular in"):  # only a video people like is called popular
            named = reason.removeprefix("Popular in ").removesuffix(" right now.")
            assert video.like_count > 0 and named in {c.name for c in video.categories.all()}
        elif slot == "trending" and reason in ("Recently posted.", "One of the newest videos you have not seen yet."):
            assert video.pk in set(Video.objects.order_by("-published_at").values_list("pk", flat=True)[:40])
        elif slot == "trending":
            assert video.like_count == 0 and "Popular" not in reason
        else:
            assert slot == "explore"

"""Issue 17, item 8: Discover shows trending videos, rising hashtags and creators to follow, read
from the recommender's nightly pools (the model's trending list and its decayed popularity)."""

import pytest
from django.core.cache import cache

from accounts.models import Block, Follow
from recommendations.selectors import caches_clear
from recommendations.services import recommender_train
from tests.conftest import save_artifact
from tests.recommendations.catalogue import make_catalogue, plant_engagement
from tests.test_accessibility import assert_accessible
from tests.videos.player_browser import sign_in
from videos.models import EngagementEvent, Hashtag, Video

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tag(name, videos):
    tag = Hashtag.objects.create(name=name)
    through = Video.hashtags.through
    through.objects.bulk_create([through(video_id=v.pk, hashtag_id=tag.pk) for v in videos])


def test_discover_lists_trending_videos_rising_hashtags_and_creators_from_the_nightly_pools(
    live_server, page, make_user
):
    cache.clear()
    caches_clear()
    cats, _people, videos, by_cat = make_catalogue()
    plant_engagement(by_cat)
    engaged = set(EngagementEvent.objects.values_list("video_id", flat=True))
    _tag("topica", [v for v in by_cat[cats[0].pk] if v.pk in engaged])
    _tag("quiet", [v for v in videos if v.pk not in engaged][:10])
    recommender_train()
    viewer = make_user("viewer")
    ranked_creators = [v.creator for v in videos if v.pk in engaged]
    followed, blocked = ranked_creators[0], ranked_creators[1]
    Follow.objects.create(follower=viewer, followee=followed)
    Block.objects.create(blocker=viewer, blocked=blocked)
    hidden = Video.objects.filter(pk__in=engaged).exclude(creator__in=[followed, blocked]).first()
    Video.objects.filter(pk=hidden.pk).update(hidden=True)  # taken down after the nightly run

    sign_in(page, live_server, viewer)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/discover/")
    assert page.locator("h1").inner_text() == "Discover"

    hrefs = page.eval_on_selector_all("#trending-h + .grid a.tile-link", "els => els.map(e => e.getAttribute('href'))")
    shown = [h.split("/")[2] for h in hrefs]
    assert len(shown) == 12
    trending = Video.objects.filter(public_id__in=shown)
    assert all(v.pk in engaged for v in trending), "trending comes from engagement, through the model"
    assert hidden.public_id not in shown
    assert not trending.filter(creator=blocked).exists()

    tags = page.eval_on_selector_all(".rising-tags a", "els => els.map(e => e.getAttribute('href'))")
    assert "/tag/topica/" in tags and "/tag/quiet/" not in tags

    people = page.eval_on_selector_all(".creators-to-follow li > a", "els => els.map(e => e.getAttribute('href'))")
    assert 1 <= len(people) <= 6
    assert f"/@{followed.username}/" not in people and f"/@{blocked.username}/" not in people
    assert f"/@{viewer.username}/" not in people
    save_artifact(page, "discover")
    assert_accessible(page, "discover")

    first = page.locator(".creators-to-follow li").first
    name = first.locator("a").first.get_attribute("href").strip("/@")
    first.locator(".follow-form button").click()
    page.wait_for_selector(".creators-to-follow .follow-form button:has-text('Following')")
    assert Follow.objects.filter(follower=viewer, followee__username=name).exists()


def test_before_any_training_discover_shows_the_most_liked_videos(live_server, page, make_user):
    cache.clear()
    caches_clear()
    cats, _people, videos, _by_cat = make_catalogue(per_category=4, creators=4)
    page.goto(live_server.url + "/discover/")
    hrefs = page.eval_on_selector_all("#trending-h + .grid a.tile-link", "els => els.map(e => e.getAttribute('href'))")
    shown = Video.objects.filter(public_id__in=[h.split("/")[2] for h in hrefs])
    assert shown.count() == len(hrefs) > 0
    assert all(v.like_count > 0 for v in shown)
    save_artifact(page, "discover-signed-out")
    assert_accessible(page, "discover signed out")

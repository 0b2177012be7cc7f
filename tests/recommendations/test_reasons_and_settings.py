import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from accounts.models import Follow
from recommendations import store
from recommendations.models import RecommenderSettings
from recommendations.selectors import caches_clear, feed_for_viewer
from recommendations.services import profile_set_interests, recommender_train
from tests.recommendations.catalogue import make_catalogue, record
from tiktok.models import ModelVersion
from videos.models import EngagementEvent, Video

pytestmark = pytest.mark.django_db


def categories_of(video):
    return set(video.categories.values_list("name", flat=True))


def test_each_slot_kind_carries_a_true_reason(world, make_user, django_assert_max_num_queries):
    cats, people, _videos, by_cat = world
    viewer = make_user()
    liked = by_cat[cats[1].pk][:3]
    for video in liked:
        record(viewer, video, "watch", completion=1.0)
        record(viewer, video, "like")
    Follow.objects.create(follower=viewer, followee=people[7])
    seen: set[int] = set()
    kinds = {}
    with django_assert_max_num_queries(25):
        feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
    for _ in range(6):
        for item in feed_for_viewer(user=viewer, session_key="", exclude_ids=seen):
            seen.add(item.video.pk)
            kinds.setdefault(item.slot, []).append(item)
    assert {"ranked", "explore", "following"} <= set(kinds)
    for item in kinds["following"]:
        assert item.video.creator_id == people[7].pk
        assert item.reason == f"From @{people[7].username}, whom you follow."
    for item in kinds["explore"]:
        assert item.video.impression_count < RecommenderSettings().explore_impressions
        assert item.reason.startswith("New and being tried out")
    liked_titles = {v.title for v in liked}
    collaborative = [i for i in kinds["ranked"] if i.reason.startswith("Liked by people who liked")]
    assert collaborative
    for item in collaborative:
        assert item.reason.split("“")[1].split("”")[0] in liked_titles
    for item in kinds["ranked"]:
        if item.reason.startswith("Because you watch"):
            assert item.reason.removeprefix("Because you watch ").rstrip(".") in categories_of(item.video)

    newcomer = make_user()
    first = feed_for_viewer(user=newcomer, session_key="", exclude_ids=set())
    trending = [i for i in first if i.slot == "trending"]
    assert trending
    newest = set(Video.objects.order_by("-published_at").values_list("pk", flat=True)[:40])
    for item in trending:
        if item.reason == "Recently posted.":
            assert item.video.pk in newest
            continue
        named = item.reason.removeprefix("Popular in ").removesuffix(" right now.")
        assert named in categories_of(item.video)
        assert EngagementEvent.objects.filter(video=item.video, kind="like").exists()
    # A newcomer's page spreads over categories rather than one topic.
    assert len({c for i in trending for c in categories_of(i.video)}) >= 3


def test_picked_interests_steer_a_new_viewers_first_page(world, make_user):
    cats, *_ = world
    viewer = make_user()
    profile_set_interests(user=viewer, category_ids=[cats[3].pk, 999999])
    items = [i for i in feed_for_viewer(user=viewer, session_key="", exclude_ids=set()) if i.slot == "ranked"]
    assert items
    assert sum(cats[3].name in categories_of(i.video) for i in items) >= len(items) - 1
    assert viewer.rec_profile.interests == [cats[3].pk]


def test_settings_are_validated_and_recorded_with_each_model_version(world):
    row = RecommenderSettings(pk=1, explore_min=0.5, explore_default=0.2)
    with pytest.raises(ValidationError):
        row.full_clean()
    with pytest.raises(ValidationError):
        RecommenderSettings(pk=1, interaction_weights={"like": "lots"}).full_clean()
    RecommenderSettings.objects.update_or_create(pk=1, defaults={"w_content": 0.9, "neighbours": 20})
    mv = recommender_train(version="second")
    assert mv.params["w_content"] == 0.9 and mv.params["neighbours"] == 20
    assert list(ModelVersion.objects.filter(kind="recommender", active=True)) == [mv]


def test_the_feed_swaps_to_a_newly_activated_model_without_a_restart(world, make_user):
    viewer = make_user()
    feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
    first = store.active_model().version_id
    mv = recommender_train(version="newer")
    store._state["checked"] = 0.0  # the short cache of the active id has expired
    feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
    assert store.active_model().version_id == mv.pk != first


def test_a_feed_works_before_any_training(db, make_user):
    caches_clear()
    cats, _people, _videos, by_cat = make_catalogue(per_category=8, creators=8)
    viewer = make_user()
    record(viewer, by_cat[cats[0].pk][0], "like")
    items = feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
    assert len(items) == 10
    assert len({i.video.pk for i in items}) == 10
    assert Video.objects.filter(pk__in=[i.video.pk for i in items], categories=cats[0]).count() >= 3


def test_a_settings_row_from_before_learned_weights_lets_training_choose_k_again():
    """A row saved when k was fixed at 50 would cap validation's choice at 50; the migration moves
    that old default to the new ceiling and keeps a value an operator chose."""
    migration = importlib.import_module("recommendations.migrations.0003_neighbours_ceiling")
    RecommenderSettings.objects.update_or_create(pk=1, defaults={"neighbours": 50})
    migration.raise_old_default(django_apps, None)
    assert RecommenderSettings.objects.get(pk=1).neighbours == RecommenderSettings().neighbours == 400
    RecommenderSettings.objects.filter(pk=1).update(neighbours=120)
    migration.raise_old_default(django_apps, None)
    assert RecommenderSettings.objects.get(pk=1).neighbours == 120

from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Block
from moderation import reports
from recommendations import ranking
from recommendations.models import ViewerProfile
from recommendations.selectors import feed_for_viewer
from recommendations.services import profile_on_event, profile_state, settings_params
from tests.recommendations.catalogue import record
from tiktok.models import ModelVersion
from videos.models import EngagementEvent, NotInterested, Video

pytestmark = pytest.mark.django_db


def page_categories(items):
    ids = [item.video.pk for item in items]
    return Counter(Video.categories.through.objects.filter(video_id__in=ids).values_list("category_id", flat=True))


def test_likes_in_one_category_show_on_the_next_page_without_the_nightly_job(world, make_user):
    cats, _people, _videos, by_cat = world
    viewer = make_user()
    target = cats[2].pk
    before = page_categories(feed_for_viewer(user=viewer, session_key="", exclude_ids=set()))[target]
    trained_at = ModelVersion.objects.get(kind="recommender", active=True).pk
    for video in by_cat[target][:4]:
        record(viewer, video, "watch", completion=1.0)
        record(viewer, video, "like")
    after = feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
    assert page_categories(after)[target] > before
    assert page_categories([i for i in after if i.slot == "ranked"])[target] >= 5
    assert ModelVersion.objects.get(kind="recommender", active=True).pk == trained_at


def simulate(viewer, *, explore_completion: float, pages: int = 12):
    seen: set[int] = set()
    for _ in range(pages):
        items = feed_for_viewer(user=viewer, session_key="", exclude_ids=seen)
        for item in items:
            seen.add(item.video.pk)
            if item.slot == "explore":
                kind = "skip" if explore_completion < 0.3 else "watch"
                record(viewer, item.video, kind, completion=explore_completion, slot="explore")
            else:
                record(viewer, item.video, "watch", completion=0.5, slot=item.slot)
    assert ViewerProfile.objects.filter(user=viewer).exists()
    return ranking.expected_exploration_share(profile_state(user_id=viewer.pk), settings_params())


def test_a_viewer_who_always_skips_exploration_slots_falls_to_the_lower_bound(world, make_user):
    params = settings_params()
    viewer = make_user()
    share = simulate(viewer, explore_completion=0.0)
    assert share == pytest.approx(params["explore_min"])
    # Each page is a Thompson draw, so single pages vary; the typical page is at the bound.
    counts = sorted(
        sum(i.slot == "explore" for i in feed_for_viewer(user=viewer, session_key="", exclude_ids=set()))
        for _ in range(7)
    )
    assert counts[3] == round(10 * params["explore_min"])


def test_a_viewer_who_finishes_exploration_slots_gets_more_of_them(world, make_user):
    params = settings_params()
    viewer = make_user()
    share = simulate(viewer, explore_completion=1.0)
    assert share > params["explore_default"]
    assert share == pytest.approx(params["explore_max"], abs=0.01)


def test_excluded_videos_never_appear_and_a_session_never_repeats(world, make_user):
    _cats, people, videos, _by_cat = world
    viewer = make_user()
    own = Video.objects.create(
        creator=viewer,
        title="mine",
        processing="ready",
        moderation="approved",
        visibility="public",
        published_at=videos[0].published_at,
    )
    Video.categories.through.objects.create(video_id=own.pk, category_id=_cats[0].pk)
    not_interested = videos[:5]
    NotInterested.objects.bulk_create([NotInterested(user=viewer, video=v) for v in not_interested])
    reported = videos[30:33]
    for video in reported:
        reports.report_create(reporter=viewer, item=video, category="H")
    Block.objects.create(blocker=viewer, blocked=people[1])
    Block.objects.create(blocker=people[2], blocked=viewer)
    hidden = Video.objects.filter(pk=videos[60].pk)
    hidden.update(hidden=True)
    for video in videos[40:44]:
        record(viewer, video, "like")
    banned_ids = {own.pk, videos[60].pk} | {v.pk for v in not_interested + reported}
    banned_creators = {people[1].pk, people[2].pk}

    session: list[int] = []
    for _ in range(10):
        items = feed_for_viewer(user=viewer, session_key="", exclude_ids=set(session))
        assert items, "the catalogue is not exhausted yet"
        per_creator = Counter(item.video.creator_id for item in items)
        assert max(per_creator.values()) <= 2
        for item in items:
            if item.slot == "again":  # caught up: seen videos come back, the turned-down ones last
                assert item.video.pk not in {own.pk, videos[60].pk}
            else:
                assert item.video.pk not in banned_ids
            assert item.video.creator_id not in banned_creators
            assert item.slot in {"ranked", "explore", "trending", "following", "again"}
            assert item.reason
        session += [item.video.pk for item in items]
    assert len(session) == len(set(session))


def test_a_signed_out_viewers_events_shape_their_sessions_next_page(world):
    cats, _people, _videos, by_cat = world
    anonymous, target = AnonymousUser(), cats[2].pk
    before = page_categories(feed_for_viewer(user=anonymous, session_key="s-watcher", exclude_ids=set()))[target]
    for video in by_cat[target][:4]:
        for kind in ("watch", "replay"):
            event = EngagementEvent.objects.create(
                session_key="s-watcher", video=video, kind=kind, completion=1.0, slot="ranked"
            )
            profile_on_event(event=event)
    after = feed_for_viewer(user=anonymous, session_key="s-watcher", exclude_ids=set())
    assert page_categories(after)[target] > before
    assert page_categories([i for i in after if i.slot == "ranked"])[target] >= 5
    assert any("Because you watch" in i.reason or "which you enjoyed" in i.reason for i in after)
    # Another session is untouched: still the cold-start page.
    other = feed_for_viewer(user=anonymous, session_key="s-other", exclude_ids=set())
    assert not any("you watch" in i.reason or "you enjoyed" in i.reason for i in other)


def test_the_player_beacon_of_a_signed_out_viewer_reaches_their_next_feed_page(world, client):
    cats, _people, _videos, by_cat = world
    target = cats[2]
    assert client.get("/").status_code == 200  # the first page starts the session
    for video in by_cat[target.pk][:4]:
        data = {"video": video.public_id, "kind": "watch", "slot": "ranked", "completion": "1.0"}
        data["watch_seconds"] = f"{video.duration or 0:.1f}"
        assert client.post("/events/", data).status_code == 204
        replay = {"video": video.public_id, "kind": "replay", "slot": "ranked"}
        assert client.post("/events/", replay).status_code == 204
    page = client.get("/feed/more/", headers={"HX-Request": "true"}).content.decode()
    assert f"Because you watch {target.name}" in page or "which you enjoyed" in page


def test_exploration_tries_little_seen_videos_on_viewers_they_fit(world, make_user):
    """Exploration slots hold only videos under the impression threshold, and among those the
    ones that fit the viewer's taste are tried out first."""
    cats, _people, _videos, by_cat = world
    params = settings_params()
    viewer = make_user()
    target = cats[1].pk
    for video in by_cat[target][1:9]:
        record(viewer, video, "watch", completion=1.0)
        record(viewer, video, "like")
    explored = []
    for _ in range(6):
        page = feed_for_viewer(user=viewer, session_key="", exclude_ids=set())
        explored += [item.video for item in page if item.slot == "explore"]
    assert explored
    assert all(v.impression_count < params["explore_impressions"] for v in explored)
    in_taste = sum(v.categories.filter(pk=target).exists() for v in explored)
    assert in_taste >= 0.75 * len(explored)  # a quarter of the little-seen videos are in that category


def test_a_signed_out_viewers_finished_watch_reaches_their_next_page(world):
    """A like needs an account; a signed-out viewer's strongest signal is a finished watch. One
    finished watch, and the session's very next page ranks that video's neighbours."""
    cats, _people, _videos, by_cat = world
    anonymous, target = AnonymousUser(), cats[3].pk
    first = feed_for_viewer(user=anonymous, session_key="s-one-watch", exclude_ids=set())
    assert not any(i.slot == "ranked" for i in first)  # the cold-start page
    watched = by_cat[target][5]
    event = EngagementEvent.objects.create(
        session_key="s-one-watch", video=watched, kind="watch", completion=1.0, slot="trending"
    )
    profile_on_event(event=event)
    after = feed_for_viewer(user=anonymous, session_key="s-one-watch", exclude_ids={i.video.pk for i in first})
    ranked = [i for i in after if i.slot == "ranked"]
    assert ranked
    assert page_categories(ranked)[target] >= len(ranked) - 1
    assert any(f"“{watched.title}”" in i.reason or "Because you watch" in i.reason for i in ranked)

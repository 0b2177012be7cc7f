"""Queries compiled once per process answer exactly as the querysets they come from."""

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.utils import timezone

from accounts.models import Block, Follow, User
from moderation.backends import StandingBackend
from recommendations.models import ViewerProfile
from recommendations.selectors import CARD_FIELDS, _card_videos
from recommendations.views import _seen_ids
from tests.factories import make_user, ready_video
from tiktok.prepared import Prepared, instance, row_insert, row_update
from videos.engagement import _event_video, _event_video_query
from videos.models import EngagementEvent, Like, Video, VideoView
from videos.selectors import (
    _flags,
    _flags_query,
    is_blocked_between,
    listable_videos,
    video_for_actor,
    video_for_viewer,
    viewer_flags,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people_and_videos():
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    videos = [ready_video(ann, title="one", media=False), ready_video(bob, title="two", media=False)]
    videos.append(ready_video(cat, title="three", visibility="unlisted", media=False))
    videos.append(ready_video(cat, title="four", visibility="private", media=False))
    return (ann, bob, cat), videos


def test_a_prepared_lookup_matches_its_queryset_for_every_viewer_and_video(people_and_videos):
    (ann, bob, cat), videos = people_and_videos
    Block.objects.create(blocker=bob, blocked=ann)
    for user_id in (0, ann.pk, bob.pk, cat.pk):
        for public_id in [v.public_id for v in videos] + ["no-such-video"]:
            expected = [tuple(r) for r in _event_video_query(public_id, user_id)]
            assert _event_video.rows(public_id=public_id, user_id=user_id) == expected
    # The converters ran: booleans and floats, not the driver's raw values.
    (row,) = _event_video.rows(public_id=videos[0].public_id, user_id=bob.pk)
    assert row[3] is True and isinstance(row[2], float)
    assert _event_video.rows(public_id=videos[3].public_id, user_id=0) == []  # private: not watchable


def test_list_arguments_expand_and_an_empty_list_means_what_the_orm_means(people_and_videos):
    (ann, _bob, cat), videos = people_and_videos
    query = Prepared(
        lambda ids, creators: (
            listable_videos().filter(pk__in=ids).exclude(creator_id__in=creators).values_list("title")
        ),
        ids=list,
        creators=list,
    )
    everything = [v.pk for v in videos]
    assert sorted(query.rows(ids=everything, creators=[])) == [("one",), ("two",)]
    assert query.rows(ids=everything, creators=[ann.pk, cat.pk]) == [("two",)]
    assert query.rows(ids=[], creators=[ann.pk]) == []
    assert query.rows(ids=[videos[0].pk], creators=[cat.pk]) == [("one",)]


def test_constants_of_the_query_stay_and_json_comes_back_decoded(people_and_videos):
    (ann, bob, cat), _videos = people_and_videos
    Follow.objects.create(follower=ann, followee=bob)
    Block.objects.create(blocker=ann, blocked=cat)
    lists = Prepared(
        lambda user_id: (
            Follow.objects.filter(follower_id=user_id)
            .values_list(Value("follow"), "followee_id")
            .union(Block.objects.filter(blocker_id=user_id).values_list(Value("block"), "blocked_id"), all=True)
        ),
        user_id=int,
    )
    assert sorted(lists.rows(user_id=ann.pk)) == [("block", cat.pk), ("follow", bob.pk)]
    assert lists.rows(user_id=cat.pk) == []

    ViewerProfile.objects.create(user=ann, category_weights={"3": 1.5}, recent=[[1, 0.5]])
    profile = Prepared(
        lambda user_id: ViewerProfile.objects.filter(user_id=user_id).values_list("category_weights", "recent"),
        user_id=int,
    )
    assert profile.rows(user_id=ann.pk) == [({"3": 1.5}, [[1, 0.5]])]


def test_a_query_that_cannot_be_prepared_is_refused_when_compiled(people_and_videos):
    sliced = Prepared(lambda n: Video.objects.values_list("pk")[:n], n=int)
    with pytest.raises(ValueError, match="cannot be prepared"):
        sliced.rows(n=2)
    with pytest.raises(TypeError, match="expected arguments"):
        _event_video.rows(public_id="x")
    with pytest.raises(TypeError, match="an int, a str or a list"):
        Prepared(lambda when: Video.objects.filter(published_at__lt=when), when=float)


def test_the_session_user_loads_whole_and_a_banned_or_missing_one_does_not():
    ann = make_user("ann", display_name="Ann A.", bio="hi")
    loaded = StandingBackend().get_user(str(ann.pk))
    orm = User.objects.get(pk=ann.pk)
    fields = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(loaded, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert loaded.get_session_auth_hash() == orm.get_session_auth_hash()
    User.objects.filter(pk=ann.pk).update(banned_at=timezone.now())
    assert StandingBackend().get_user(str(ann.pk)) is None
    assert StandingBackend().get_user("999999") is None
    assert StandingBackend().get_user("not-a-number") is None


def test_card_videos_are_built_as_select_related_only_builds_them(people_and_videos):
    (ann, _bob, _cat), videos = people_and_videos
    ann.display_name = "Ann A."
    ann.save()
    ids = [v.pk for v in videos]
    ours = _card_videos(ids)
    orm = Video.objects.select_related("creator").only(*CARD_FIELDS).in_bulk(ids)
    assert ours.keys() == orm.keys()
    for pk, video in ours.items():
        for name in CARD_FIELDS:
            a, b = video, orm[pk]
            for part in name.split("__"):
                a, b = getattr(a, part), getattr(b, part)
            assert a == b, name
        assert video.creator.name == orm[pk].creator.name
        assert video.get_deferred_fields() == orm[pk].get_deferred_fields()


def test_an_instance_takes_its_columns_in_any_order():
    video = instance(Video, ["duration", "id", "title"], [2.5, 7, "late"])
    assert (video.pk, video.title, video.duration) == (7, "late", 2.5)
    assert "public_id" in video.get_deferred_fields()


def test_seen_public_ids_and_the_viewer_flags_match_the_orm(people_and_videos):
    (ann, bob, _cat), videos = people_and_videos
    Like.objects.create(user=ann, video=videos[1])
    Follow.objects.create(follower=ann, followee=bob)
    public_ids = [v.public_id for v in videos[:2]] + ["gone"]
    assert sorted(_seen_ids.rows(public_ids=public_ids)) == [(videos[0].pk,), (videos[1].pk,)]
    args = {"user_id": ann.pk, "video_ids": [v.pk for v in videos], "creator_ids": [ann.pk, bob.pk]}
    assert sorted(_flags.rows(**args)) == sorted(tuple(r) for r in _flags_query(**args))
    assert viewer_flags(user=ann, videos=videos) == {
        "liked": {videos[1].pk},
        "favourited": set(),
        "following": {bob.pk},
    }


def test_row_insert_and_row_update_write_what_the_orm_writes(people_and_videos):
    (ann, _bob, _cat), videos = people_and_videos
    event = row_insert(EngagementEvent, user=ann, video=videos[0], kind="watch", watch_seconds=1.5, completion=0.5)
    stored = EngagementEvent.objects.get(pk=event.pk)
    assert (stored.user_id, stored.video_id, stored.kind, stored.watch_seconds, stored.completion, stored.slot) == (
        ann.pk,
        videos[0].pk,
        "watch",
        1.5,
        0.5,
        "",
    )
    assert stored.created_at == event.created_at and stored.created_at is not None

    row_insert(VideoView, video_id=videos[0].pk, viewer_key=f"u:{ann.pk}", user_id=ann.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(VideoView, video_id=videos[0].pk, viewer_key=f"u:{ann.pk}", user_id=ann.pk)

    before = Video.objects.get(pk=videos[0].pk)
    assert row_update(Video, {"id": videos[0].pk}, add={"view_count": 2, "completion_sum": 0.25}) == 1
    assert row_update(Video, {"id": videos[0].pk}, set_to={"title": "renamed"}) == 1
    assert row_update(Video, {"id": videos[0].pk}, set_to={"title": "renamed"}) == 1  # matched, unchanged
    assert row_update(Video, {"id": -1}, add={"view_count": 1}) == 0
    after = Video.objects.get(pk=videos[0].pk)
    assert (after.view_count, after.completion_sum, after.title) == (
        before.view_count + 2,
        before.completion_sum + 0.25,
        "renamed",
    )
    ViewerProfile.objects.create(user=ann)
    row_update(ViewerProfile, {"user_id": ann.pk}, set_to={"recent": [[1, 0.5]], "category_weights": {"2": 1.0}})
    assert ViewerProfile.objects.values_list("recent", "category_weights").get(user=ann) == ([[1, 0.5]], {"2": 1.0})


def test_list_values_are_written_safely(people_and_videos):
    _people, videos = people_and_videos
    titles = Prepared(lambda ids: Video.objects.filter(pk__in=ids).values_list("title"), ids=list)
    assert titles.rows(ids=[np.int64(videos[0].pk)]) == [("one",)]
    assert _seen_ids.rows(public_ids=["x') OR 1=1 OR ('x"]) == []
    assert titles.rows(ids=["0) OR (1=1"]) == []  # not an integer: bound as a parameter


def test_video_for_actor_answers_as_viewer_rules_and_blocks_do(people_and_videos):
    (ann, bob, cat), videos = people_and_videos
    staff = make_user("staff", is_staff=True)
    Block.objects.create(blocker=ann, blocked=bob)
    dan = make_user("dan")
    videos.append(ready_video(dan, title="banned creator", media=False))
    User.objects.filter(pk=dan.pk).update(banned_at=timezone.now())
    for viewer in (AnonymousUser(), ann, bob, cat, staff):
        for video in videos:
            expected = video_for_viewer(public_id=video.public_id, user=viewer)
            if expected is not None and is_blocked_between(user=viewer, other=expected.creator):
                expected = None
            got = video_for_actor(public_id=video.public_id, user=viewer)
            assert (got and got.pk) == (expected and expected.pk), (viewer, video.title)
            if got is not None:
                assert got.creator.username == expected.creator.username
                assert got.title == expected.title and not got.get_deferred_fields()
    assert video_for_actor(public_id="no-such-video", user=ann) is None

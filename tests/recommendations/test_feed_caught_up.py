"""Issue 17, item 1, the order of the caught-up stage: least recently shown first, the best liked
first among equals, skipped and "not interested" videos last, each with a true reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations.selectors import caches_clear, feed_for_viewer
from tests.factories import make_user, ready_video
from videos import engagement, likes
from videos.models import NotInterested, VideoView

pytestmark = pytest.mark.django_db


def test_seen_videos_come_back_least_recently_shown_first_and_turned_down_last():
    caches_clear()
    viewer = make_user("viewer")
    videos = [ready_video(make_user(f"maker{i}"), title=f"Clip {i}", media=False) for i in range(6)]
    for video in videos:
        engagement.events_record(user=viewer, session_key="", public_id=video.public_id, kind="play")
    now = timezone.now()
    # Shown 6, 5, ... 1 hours ago in this order: videos[0] longest ago.
    for hours, video in zip(range(6, 0, -1), videos, strict=True):
        VideoView.objects.filter(user=viewer, video=video).update(last_seen_at=now - timedelta(hours=hours))
    skipped, turned_down = videos[0], videos[1]
    engagement.events_record(user=viewer, session_key="", public_id=skipped.public_id, kind="skip")
    NotInterested.objects.create(user=viewer, video=turned_down)
    likes.like_set(user=viewer, video=videos[5], liked=True)

    page = feed_for_viewer(user=viewer, session_key="", exclude_ids=set(), limit=6)
    assert [item.slot for item in page] == ["again"] * 6
    order = [item.video.pk for item in page]
    assert order == [v.pk for v in (videos[2], videos[3], videos[4], videos[5], skipped, turned_down)]
    reasons = {item.video.pk: item.reason for item in page}
    assert reasons[videos[2].pk] == "You have seen everything newer: one you watched before, not shown for a while."
    assert reasons[videos[5].pk] == "You liked this before and have seen everything newer."
    assert "skipped it or turned it down" in reasons[skipped.pk] and "turned it down" in reasons[turned_down.pk]

    # Within one scroll a video comes once: the page's exclude list is respected.
    second = feed_for_viewer(user=viewer, session_key="", exclude_ids=set(order[:4]), limit=6)
    assert [item.video.pk for item in second] == [skipped.pk, turned_down.pk]

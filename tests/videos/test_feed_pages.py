"""The For You feed, the Following tab and the watch page, rendered on the server."""

import re
from datetime import timedelta

import pytest
from django.db import reset_queries
from django.urls import reverse
from django.utils import timezone

from accounts.services import block_create, follow_create
from tests.factories import counting_queries, make_user, ready_video

pytestmark = pytest.mark.django_db


def _ids(html: str) -> list[str]:
    return re.findall(r'<article class="slide" id="slide-([\w-]+)"', html)


@pytest.fixture
def creator():
    return make_user("maker")


def test_the_first_page_is_in_the_initial_html_with_a_sentinel_for_the_next(client, creator, settings):
    settings.FEED_PAGE_SIZE = 3
    videos = [ready_video(make_user(f"c{i}"), title=f"clip {i}", media=False) for i in range(5)]
    html = client.get("/").content.decode()
    assert len(_ids(html)) == 3
    # The feed scrolls inside its own container, where htmx's `intersect` fires and `revealed` does not.
    assert 'hx-trigger="intersect once"' in html
    assert "Why am I seeing this?" in html
    assert set(_ids(html)) <= {v.public_id for v in videos}


def test_the_next_page_never_repeats_a_video_already_on_the_page(client, creator, settings):
    settings.FEED_PAGE_SIZE = 3
    videos = [ready_video(make_user(f"c{i}"), title=f"clip {i}", media=False) for i in range(7)]
    html = client.get("/").content.decode()
    seen = _ids(html)
    for _ in range(3):
        more = re.search(r'class="sentinel" hx-get="([^"]+)"', html)
        if not more:
            break
        html = client.get(more.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
        page = _ids(html)
        assert not set(page) & set(seen)
        seen += page
    assert sorted(seen) == sorted(v.public_id for v in videos)
    assert "all caught up" in html


def test_an_empty_feed_says_so_and_links_to_upload(client):
    html = client.get("/").content.decode()
    assert "No videos yet" in html and reverse("videos:upload") in html


def test_anonymous_viewers_get_sign_in_links_that_come_back_to_the_video(client, creator):
    video = ready_video(creator, media=False)
    html = client.get("/").content.decode()
    assert f"/accounts/login/?next=/v/{video.public_id}/" in html


def test_the_feed_page_query_count_does_not_grow_with_the_number_of_videos(
    client, creator, settings, django_assert_max_num_queries
):
    settings.FEED_PAGE_SIZE = 20
    viewer = make_user("viewer")
    client.force_login(viewer)
    ready_video(creator, title="one", categories=["Music"], hashtags=["a"], media=False)
    client.get("/")  # session row exists from now on

    with counting_queries() as small:
        client.get("/")
    for i in range(12):
        ready_video(make_user(f"c{i}"), title=f"v{i}", categories=["Music", "Comedy"], hashtags=["a", "b"], media=False)
    client.get("/")  # the same warm-up as above: caches the recommender may fill once
    reset_queries()  # the request clears the log at its start; begin from zero
    with django_assert_max_num_queries(len(small)), counting_queries() as large:
        html = client.get("/").content.decode()
    assert 5 < len(large) <= len(small)
    assert len(_ids(html)) == 13


def test_the_following_tab_shows_followed_creators_newest_first(client, creator):
    viewer = make_user("viewer")
    other = make_user("other")
    old = ready_video(creator, title="old one", published_at=timezone.now() - timedelta(days=2), media=False)
    new = ready_video(creator, title="new one", media=False)
    ready_video(other, title="not followed", media=False)
    follow_create(follower=viewer, followee=creator)
    client.force_login(viewer)
    html = client.get(reverse("videos:following")).content.decode()
    assert _ids(html) == [new.public_id, old.public_id]


def test_the_watch_page_has_opengraph_tags_and_private_videos_are_not_found(client, creator):
    video = ready_video(creator, title="Sunset <b>timelapse</b>", description="Golden hour #sky", media=False)
    html = client.get(reverse("videos:watch", args=[video.public_id])).content.decode()
    assert '<meta property="og:title" content="Sunset &lt;b&gt;timelapse&lt;/b&gt;">' in html
    assert f"/v/{video.public_id}/poster.jpg" in html
    assert 'href="/tag/sky/"' in html
    private = ready_video(creator, title="secret", visibility="private", media=False)
    assert client.get(reverse("videos:watch", args=[private.public_id])).status_code == 404
    client.force_login(creator)
    assert client.get(reverse("videos:watch", args=[private.public_id])).status_code == 200


def test_blocked_creators_videos_leave_the_feed_both_ways(client, creator):
    viewer = make_user("viewer")
    video = ready_video(creator, title="from the blocked", media=False)
    client.force_login(viewer)
    assert video.public_id in _ids(client.get("/").content.decode())
    block_create(blocker=creator, blocked=viewer)
    assert video.public_id not in _ids(client.get("/").content.decode())
    assert client.get(reverse("videos:watch", args=[video.public_id])).status_code == 404

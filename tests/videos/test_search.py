"""Discovery: search over titles, descriptions, hashtags and usernames; category and hashtag
pages; the viewer's watch history."""

import pytest
from django.urls import reverse

from tests.factories import make_user, ready_video
from videos.engagement import events_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    dancer, cook = make_user("dancer"), make_user("cook", display_name="Chef Ana")
    return {
        "dance": ready_video(dancer, title="Moves", description="Try this #DanceChallenge", hashtags=["dancechallenge"],
                             categories=["Dance"], media=False),
        "pasta": ready_video(cook, title="Fresh pasta", description="Flour and eggs", categories=["Food"],
                             media=False),
        "private": ready_video(cook, title="Secret pasta", visibility="private", media=False),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("q", "expected"),
    [("#dancechallenge", {"dance"}), ("pasta", {"pasta"}), ("eggs", {"pasta"}), ("dancer", {"dance"}),
     ("Chef", {"pasta"}), ("nothing-here", set())],
)  # fmt: skip
def test_search_finds_videos_by_title_description_hashtag_and_creator(client, catalogue, q, expected):
    html = client.get(reverse("videos:search"), {"q": q}).content.decode()
    found = {name for name, video in catalogue.items() if f"/v/{video.public_id}/" in html}
    assert found == expected


def test_search_matches_the_start_of_words_not_the_middle(client, make_user):
    maker = make_user("maker")
    videos = {
        "cat": ready_video(maker, title="My cat's nap", media=False),
        "cats": ready_video(maker, title="Sunday", description="(cats) everywhere", media=False),
        "education": ready_video(maker, title="Education demo", description="Vocational catch-up", media=False),
        "dotted": ready_video(maker, title="a.b c+d [x]", media=False),
    }

    def found(q):
        html = client.get(reverse("videos:search"), {"q": q}).content.decode()
        return {name for name, video in videos.items() if f"/v/{video.public_id}/" in html}

    assert found("cat") == {"cat", "cats", "education"}  # "catch-up" starts with "cat"
    assert found("cats") == {"cats"}
    assert found("ucation") == set()
    # Query text is matched literally, never as a pattern.
    assert found("a.b") == {"dotted"} and found("c+d") == {"dotted"} and found("[x]") == {"dotted"}
    assert found("a*") == set() and found("(") == {"cats"}


def test_category_and_hashtag_pages_list_listable_videos_in_both_orders(client, catalogue):
    for sort in ("newest", "engaging"):
        html = client.get(reverse("videos:category", args=["food"]), {"sort": sort}).content.decode()
        assert catalogue["pasta"].public_id in html and catalogue["dance"].public_id not in html
        html = client.get(reverse("videos:hashtag", args=["DanceChallenge"]), {"sort": sort}).content.decode()
        assert catalogue["dance"].public_id in html
    assert client.get(reverse("videos:category", args=["no-such"])).status_code == 404
    assert client.get(reverse("videos:hashtag", args=["nosuchtag"])).status_code == 404


def test_the_watch_history_lists_what_the_viewer_played(client, catalogue):
    viewer = make_user("viewer")
    events_record(user=viewer, session_key="", public_id=catalogue["pasta"].public_id, kind="play")
    client.force_login(viewer)
    html = client.get(reverse("videos:history")).content.decode()
    assert catalogue["pasta"].public_id in html and catalogue["dance"].public_id not in html

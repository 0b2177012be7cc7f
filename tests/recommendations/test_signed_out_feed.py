"""A signed-out viewer's feed is ranked from their session's own events, updated in the request
that records each one, through the real views: the page view gives the viewer token, the action
starts the session, and the next page of the feed is ranked for it."""

import re
from collections import Counter

import pytest

from recommendations.models import RecommenderSettings
from videos.models import Video

pytestmark = pytest.mark.django_db
CARD_VIDEO = re.compile(r"/v/([\w-]{6,})/")


def page_videos(html: str) -> list[Video]:
    ids = list(dict.fromkeys(CARD_VIDEO.findall(html)))
    return list(Video.objects.filter(public_id__in=ids))


def test_a_signed_out_viewers_next_page_reflects_a_like_weighted_share(world, client):
    """A like needs an account; a share does not and weighs as much as a like (3.0 in the
    settings). One share on the signed-out viewer's first page and their very next page ranks
    that video's neighbours, with the reason naming it."""
    cats, _people, _videos, by_cat = world
    weights = RecommenderSettings().as_params()["interaction_weights"]
    assert weights["share"] == weights["like"]
    first = client.get("/")
    assert first.status_code == 200
    assert "Because you watch" not in first.content.decode() and "which you enjoyed" not in first.content.decode()
    target = cats[1]
    shared = by_cat[target.pk][4]
    assert client.post(f"/v/{shared.public_id}/share/", {"slot": "trending"}).status_code == 200
    more = client.get("/feed/more/", headers={"HX-Request": "true"}).content.decode()
    assert f"“{shared.title}”" in more or f"Because you watch {target.name}" in more
    shown = page_videos(more)
    in_target = Counter(target.pk in {c.pk for c in v.categories.all()} for v in shown)
    assert in_target[True] > in_target[False]
    # Another browser, signed out too, still gets the cold-start page.
    client.cookies.clear()
    other = client.get("/").content.decode()
    assert f"“{shared.title}”" not in other and "Because you watch" not in other

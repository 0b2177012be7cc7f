"""A hashtag page exists only while a listable video (public, approved, not hidden, its creator
not banned) carries the tag. Tags written in private or unlisted descriptions, or on videos not
yet approved, answer exactly like tags nobody ever wrote: 404, so the page is no oracle for what
private descriptions say."""

import pytest
from django.utils import timezone

from tests import factories
from videos.models import Hashtag, Video
from videos.uploads import hashtags_parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(make_user):
    return make_user("creator")


def tagged_video(creator, description="", **fields):
    """A video whose tags come from its description, through the parser uploads and edits use."""
    return factories.ready_video(creator, description=description, hashtags=hashtags_parse(description), **fields)


def tag_page(client, name):
    return client.get(f"/tag/{name}/")


def test_a_tag_only_in_a_private_or_unlisted_description_answers_404_like_an_unknown_tag(client, creator):
    tagged_video(creator, title="mine", description="#surprisepartyplans", visibility="private", media=False)
    tagged_video(creator, title="link only", description="#salarybands", visibility="unlisted", media=False)
    assert Hashtag.objects.filter(name__in=["surprisepartyplans", "salarybands"]).count() == 2
    unknown = tag_page(client, "neverwritten")
    assert unknown.status_code == 404
    for name in ("surprisepartyplans", "SurprisePartyPlans", "salarybands"):
        response = tag_page(client, name)
        assert response.status_code == 404, name
        assert [t.name for t in response.templates] == [t.name for t in unknown.templates]


def test_the_creator_and_staff_get_the_same_404(client, creator, make_user):
    tagged_video(creator, description="#drafts", visibility="private", media=False)
    client.force_login(creator)
    assert tag_page(client, "drafts").status_code == 404
    client.force_login(make_user("staffer", is_staff=True))
    assert tag_page(client, "drafts").status_code == 404


@pytest.mark.parametrize(
    "unlistable",
    [
        {"moderation": Video.Moderation.PENDING},
        {"moderation": Video.Moderation.REJECTED},
        {"hidden": True},
        {"deleted_at": timezone.now()},
        {"processing": Video.Processing.TRANSCODING},
    ],
)
def test_a_public_video_that_is_not_listable_does_not_make_a_tag_page(client, creator, unlistable):
    video = tagged_video(creator, description="#notyet", media=False)
    Video.objects.filter(pk=video.pk).update(**unlistable)
    assert tag_page(client, "notyet").status_code == 404


def test_a_banned_creators_videos_do_not_make_a_tag_page(client, creator):
    tagged_video(creator, description="#gone", media=False)
    creator.banned_at = timezone.now()
    creator.save(update_fields=["banned_at"])
    assert tag_page(client, "gone").status_code == 404


def test_one_listable_video_opens_the_page_and_only_it_is_shown(client, creator):
    tagged_video(creator, title="Private one", description="#shared", visibility="private")
    tagged_video(creator, title="Unlisted one", description="#shared", visibility="unlisted")
    assert tag_page(client, "shared").status_code == 404
    tagged_video(creator, title="Public one", description="#shared")
    response = tag_page(client, "shared")
    assert response.status_code == 200
    page = response.content.decode()
    assert "#shared" in page and "Public one" in page
    assert "Private one" not in page and "Unlisted one" not in page


def test_the_page_closes_again_when_its_last_listable_video_goes_private(client, creator):
    video = tagged_video(creator, description="#fleeting", media=False)
    assert tag_page(client, "fleeting").status_code == 200
    Video.objects.filter(pk=video.pk).update(visibility=Video.Visibility.PRIVATE)
    assert tag_page(client, "fleeting").status_code == 404


def test_search_finds_no_video_by_a_private_tag(client, creator):
    tagged_video(creator, title="Quiet", description="#whisper", visibility="unlisted")
    page = client.get("/search/", {"q": "#whisper"}).content.decode()
    assert "Quiet" not in page

"""Staged versions (tiktok.staging): an edit of a profile or of a published video's title and
description waits beside the approved version, decided by the same text decision as a comment
(the real classifier, with the policy rows set to force each outcome). The owner sees the new
version under review, everyone else the approved one, and no edit takes the approved one down."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts import privacy as account_privacy
from accounts import services as account_services
from accounts.models import Notification
from moderation import decisions
from moderation.models import ModerationDecision, ModerationPolicy
from tests.factories import make_user, ready_video
from videos import privacy as video_privacy
from videos import services as video_services
from videos.models import Category, Video
from videos.selectors import search_videos

pytestmark = pytest.mark.django_db


def force(scope: str, outcome: str) -> None:
    """Make the text decision give `outcome` for any text in `scope`, through the policy rows."""
    review, reject = {"review": (0.0, 1.0), "rejected": (0.0, 0.0)}[outcome]
    ModerationPolicy.objects.filter(scope=scope).update(review_threshold=review, reject_threshold=reject)


def edit(video, title: str, description: str = "") -> Video:
    video_services.video_update(
        video=video, title=title, description=description, categories=[], visibility="public", allow_comments=True
    )
    video.refresh_from_db()
    return video


@pytest.fixture
def moderator():
    user = make_user("mod", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def test_a_staged_title_edit_keeps_the_old_title_live_until_approved(moderator):
    creator = make_user("maker")
    video = ready_video(creator, title="Sunset at the pier", media=False)
    viewer = make_user("viewer")
    force("videos", "review")

    video = edit(video, "Sunrise at the pier", "early start #morning")

    assert (video.title, video.staged_title) == ("Sunset at the pier", "Sunrise at the pier")
    assert video.moderation == Video.Moderation.APPROVED and video.is_listable
    assert list(search_videos(q="sunset", viewer=viewer)) == [video]
    assert not search_videos(q="sunrise", viewer=viewer).exists()
    held = ModerationDecision.objects.filter(object_id=video.pk, content_type__model="video", action="edit").get()
    assert (held.source, held.outcome) == ("auto", "review")
    assert held.text_snapshot == "Sunrise at the pier\nearly start #morning"

    decisions.staged_decide(item=video, outcome="approved", actor=moderator, note="fine")
    video.refresh_from_db()
    assert (video.title, video.description, video.staged_at) == ("Sunrise at the pier", "early start #morning", None)
    assert list(video.hashtags.values_list("name", flat=True)) == ["morning"]
    assert list(search_videos(q="sunrise", viewer=viewer)) == [video]
    assert video.is_listable
    assert Notification.objects.filter(recipient=creator, text__contains="approved your edit").exists()


def test_a_cyrillic_retitle_of_a_live_video_does_not_take_it_offline(client):
    creator = make_user("maker")
    video = ready_video(creator, title="Sunset at the pier", media=False)
    client.force_login(creator)
    response = client.post(
        reverse("videos:edit", args=[video.public_id]),
        {
            "title": "Закат на пирсе",
            "description": "",
            "categories": [Category.objects.get(name="Art").pk],
            "visibility": "public",
            "poster_time": "1.0",
        },
    )
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.moderation == Video.Moderation.APPROVED and video.is_listable
    if video.staged_at is not None:  # held for a person (or Gemini): the approved title stays
        assert (video.title, video.staged_title) == ("Sunset at the pier", "Закат на пирсе")
    else:  # decided here and approved
        assert video.title == "Закат на пирсе"
    client.logout()
    assert client.get(reverse("videos:watch", args=[video.public_id])).status_code == 200


def test_a_rejected_edit_is_discarded_with_a_notice_and_the_video_stays(client):
    creator = make_user("maker")
    video = ready_video(creator, title="Sunset at the pier", media=False)
    force("videos", "rejected")
    video = edit(video, "Something else entirely")
    assert (video.title, video.staged_at, video.staged_title) == ("Sunset at the pier", None, "")
    assert video.is_listable
    notice = Notification.objects.get(recipient=creator, kind="moderation")
    assert "was not accepted" in notice.text


def test_the_owner_sees_the_staged_title_under_review_and_edits_it_further(client):
    creator = make_user("maker")
    video = ready_video(creator, title="Sunset at the pier", media=False)
    force("videos", "review")
    edit(video, "Sunrise at the pier")
    client.force_login(creator)
    status = client.get(reverse("videos:status", args=[video.public_id])).content.decode()
    assert "Sunrise at the pier" in status and 'id="edit-under-review"' in status
    form = client.get(reverse("videos:edit", args=[video.public_id])).content.decode()
    assert 'value="Sunrise at the pier"' in form
    # Back to the live text: the waiting edit is withdrawn.
    video = edit(video, "Sunset at the pier")
    assert video.staged_at is None and video.title == "Sunset at the pier"


def test_the_owners_watch_page_shows_the_staged_title_under_review_and_others_the_approved_one(client):
    creator = make_user("maker")
    video = ready_video(creator, title="Sunset at the pier", description="golden hour", media=False)
    force("videos", "review")
    edit(video, "Sunrise at the pier", "early start")
    url = reverse("videos:watch", args=[video.public_id])

    visitor = client.get(url).content.decode()
    assert "Sunset at the pier" in visitor and "golden hour" in visitor
    assert "Sunrise at the pier" not in visitor and "early start" not in visitor and "Under review" not in visitor

    client.force_login(make_user("viewer"))
    assert "Sunrise at the pier" not in client.get(url).content.decode()

    client.force_login(creator)
    owner = client.get(url).content.decode()
    assert f'<h2 class="title"><a href="{url}">Sunrise at the pier</a></h2>' in owner
    # The card and the page's title read the edit; the meta tags, which others see, stay approved.
    assert '<p class="desc">early start</p>' in owner and '<p class="desc">golden hour' not in owner
    assert "<title>Sunrise at the pier" in owner and 'og:title" content="Sunset at the pier"' in owner
    assert f'id="under-review-{video.public_id}">Under review: viewers see “Sunset at the pier”' in owner


def test_a_held_profile_edit_shows_the_owner_the_new_version_and_others_the_approved_one(client, moderator):
    person = make_user("dancer")
    person.display_name, person.bio = "Dancer", "I dance"
    person.save()
    force("profiles", "review")
    account_services.profile_update(user=person, display_name="Dancing Queen", bio="I dance every day")
    person.refresh_from_db()
    assert (person.name, person.bio) == ("Dancer", "I dance")

    client.force_login(make_user("viewer"))
    seen = client.get(reverse("videos:profile", args=["dancer"])).content.decode()
    assert "Dancer" in seen and "Dancing Queen" not in seen and "every day" not in seen
    client.force_login(person)
    own = client.get(reverse("videos:profile", args=["dancer"])).content.decode()
    assert "Dancing Queen" in own and "I dance every day" in own and 'id="profile-under-review"' in own

    client.force_login(moderator)
    queue = reverse("admin:moderation_profilereview_changelist")
    assert "Dancing Queen" in client.get(queue).content.decode()
    response = client.post(queue, {"action": "approve_edits", "_selected_action": [person.pk], "note": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.bio, person.staged_at) == ("Dancing Queen", "I dance every day", None)
    decision = ModerationDecision.objects.filter(object_id=person.pk, content_type__model="user").first()
    assert (decision.source, decision.action, decision.outcome) == ("human", "edit", "approved")
    assert decision.actor == moderator


def test_a_staged_avatar_is_served_to_its_owner_only_until_approved(client, moderator):
    person = make_user("painter")
    force("profiles", "review")
    account_services.profile_update(  # a new name with the picture: the text decision holds both
        user=person, display_name="Painter", bio="", avatar=ContentFile(b"\xff\xd8\xff\xe0 jpeg", name="new.jpg")
    )
    person.refresh_from_db()
    assert not person.avatar and person.staged_avatar
    url = person.staged_avatar_url
    client.force_login(make_user("viewer"))
    assert client.get(url).status_code == 404
    client.force_login(person)
    assert client.get(url).status_code in (200, 302)
    decisions.staged_decide(item=person, outcome="approved", actor=moderator)
    person.refresh_from_db()
    assert person.avatar_url == url and not person.staged_avatar
    client.force_login(make_user("another"))
    assert client.get(url).status_code in (200, 302)


def test_a_new_picture_alone_needs_no_text_decision():
    person = make_user("painter")
    person.display_name = "Painter"
    person.save()
    force("profiles", "review")
    account_services.profile_update(
        user=person, display_name="Painter", bio="", avatar=ContentFile(b"\xff\xd8\xff\xe0 jpeg", name="new.jpg")
    )
    person.refresh_from_db()
    assert person.avatar and not person.staged_avatar and person.staged_at is None


def test_a_display_name_given_at_sign_up_waits_like_any_edit():
    force("profiles", "review")
    user = account_services.user_sign_up(username="newbie", email="n@example.com", password="x", display_name="Nu")
    user.refresh_from_db()
    assert (user.name, user.display_name, user.staged_display_name) == ("newbie", "", "Nu")


def test_deciding_an_edit_that_is_no_longer_waiting_is_refused(moderator):
    video = ready_video(make_user("maker"), media=False)
    with pytest.raises(decisions.Refused, match="No edit is waiting"):
        decisions.staged_decide(item=video, outcome="approved", actor=moderator)


def test_a_data_export_includes_the_edits_under_review():
    person = make_user("dancer")
    video = ready_video(person, title="Sunset at the pier", media=False)
    force("profiles", "review")
    force("videos", "review")
    account_services.profile_update(user=person, display_name="Dancing Queen", bio="")
    edit(video, "Sunrise at the pier")
    person.refresh_from_db()
    profile = account_privacy.export(person)["profile.json"]
    assert profile["edit_under_review"]["display_name"] == "Dancing Queen" and profile["display_name"] == ""
    (row,) = video_privacy.export(person)["videos.json"]
    assert row["title"] == "Sunset at the pier" and row["edit_under_review"]["title"] == "Sunrise at the pier"

"""Staff status alone opens nothing that is not public. A private, held or rejected video (its
page and its media) opens to a staff member only with the review queue's permission
(`moderation.view_videoreview`) and, under STAFF_2FA, a verified second factor; each such view
is logged with who, which video and why it is not public. A held profile's avatar needs the
report queue's permission the same way. Staff remove others' comments only in the admin's
comment queue, as a recorded rejection."""

import logging

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation.models import ModerationDecision
from tests.factories import ready_video
from videos.models import Comment, Video

pytestmark = pytest.mark.django_db

NOT_PUBLIC = {
    "private": ({"visibility": "private"}, "private"),
    "held": ({"moderation": "review"}, "moderation review"),
    "rejected": ({"moderation": "rejected"}, "moderation rejected"),
    "hidden": ({"hidden": True}, "hidden"),
}


def urls(video) -> list[str]:
    pid = video.public_id
    return [
        reverse("videos:watch", args=[pid]),
        reverse("videos:media", args=[pid, "720p"]),
        reverse("videos:media", args=[pid, "preview"]),
        reverse("videos:poster", args=[pid]),
        reverse("videos:captions", args=[pid]),
    ]


def statuses(client, video) -> list[int]:
    return [client.get(url).status_code for url in urls(video)]


@pytest.fixture
def not_public(make_user):
    def _make(kind: str) -> Video:
        fields, _ = NOT_PUBLIC[kind]
        video = ready_video(make_user("olivia"), title="Not for everyone", captions_vtt="WEBVTT\n\n")
        Video.objects.filter(pk=video.pk).update(**fields)
        video.refresh_from_db()
        return video

    return _make


@pytest.fixture
def bare_staff(make_user):
    """Staff with no permission at all."""
    return make_user("intern", is_staff=True)


@pytest.fixture
def moderator(make_user):
    user = make_user("mod", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def verify(client, user):
    """What django-otp's otp_login leaves in the session after a right one-time code."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.mark.parametrize("kind", sorted(NOT_PUBLIC))
@pytest.mark.parametrize("two_factor", [False, True])
def test_staff_without_the_permission_get_404(client, settings, not_public, bare_staff, kind, two_factor):
    settings.STAFF_2FA = two_factor
    video = not_public(kind)
    client.force_login(bare_staff)
    if two_factor:
        verify(client, bare_staff)
    assert statuses(client, video) == [404] * 5


@pytest.mark.parametrize("kind", sorted(NOT_PUBLIC))
def test_the_permission_without_a_verified_second_factor_gets_404(client, settings, not_public, moderator, kind):
    settings.STAFF_2FA = True
    video = not_public(kind)
    client.force_login(moderator)
    assert statuses(client, video) == [404] * 5


@pytest.mark.parametrize("kind", sorted(NOT_PUBLIC))
@pytest.mark.parametrize("two_factor", [False, True])
def test_the_permission_opens_it_and_each_view_is_logged(
    client, settings, caplog, not_public, moderator, kind, two_factor
):
    settings.STAFF_2FA = two_factor
    video = not_public(kind)
    client.force_login(moderator)
    if two_factor:
        verify(client, moderator)
    with caplog.at_level(logging.INFO, logger="videos.selectors"):
        assert statuses(client, video) == [200] * 5
    lines = [r.getMessage() for r in caplog.records if r.name == "videos.selectors"]
    why = NOT_PUBLIC[kind][1]
    expected = f"staff mod viewed video {video.public_id}, which is not public ({why})"
    assert lines.count(expected) >= len(urls(video)), lines


def test_the_creator_and_the_public_are_not_logged(client, caplog, make_user, not_public):
    video = not_public("private")
    public = ready_video(make_user("third"))
    client.force_login(video.creator)
    with caplog.at_level(logging.INFO, logger="videos.selectors"):
        assert statuses(client, video) == [200] * 5
        assert statuses(client, public)[:4] == [200] * 4
    assert not [r for r in caplog.records if r.name == "videos.selectors"]


def test_a_superuser_follows_the_same_rule(client, settings, make_user, not_public):
    root = make_user("root", is_staff=True, is_superuser=True)
    video = not_public("private")
    settings.STAFF_2FA = True
    client.force_login(root)
    assert statuses(client, video) == [404] * 5
    verify(client, root)
    assert statuses(client, video) == [200] * 5


def test_a_held_profiles_avatar_needs_the_report_queues_permission(client, settings, make_user, caplog):
    settings.STAFF_2FA = False
    person = make_user("held_face")
    (settings.MEDIA_ROOT / "avatars").mkdir(parents=True)
    (settings.MEDIA_ROOT / "avatars" / "held.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 20)
    person.avatar = "avatars/held.jpg"
    person.profile_state = "held"
    person.save()
    client.force_login(make_user("intern", is_staff=True))
    assert client.get(person.avatar_url).status_code == 404
    reviewer = make_user("reviewer", is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="view_report"))
    client.force_login(reviewer)
    with caplog.at_level(logging.INFO, logger="videos.views_media"):
        assert client.get(person.avatar_url).status_code == 200
    assert "staff reviewer viewed the avatar of held_face, whose profile is held" in caplog.text
    settings.STAFF_2FA = True
    assert client.get(person.avatar_url).status_code == 404


def test_staff_remove_others_comments_only_as_a_recorded_rejection(client, settings, make_user, moderator):
    settings.STAFF_2FA = False
    video = ready_video(make_user("olivia"))
    comment = Comment.objects.create(video=video, author=make_user("ann"), text="first!", state="published")
    client.force_login(moderator)
    response = client.post(reverse("videos:comment_delete", args=[comment.pk]))
    assert response.status_code == 403
    assert Comment.objects.filter(pk=comment.pk, state="published").exists()
    response = client.post(f"/admin/moderation/commentreview/{comment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.state == "rejected"
    decision = ModerationDecision.objects.get(object_id=comment.pk, content_type__model="comment", source="human")
    assert (decision.outcome, decision.actor_id) == ("rejected", moderator.pk)

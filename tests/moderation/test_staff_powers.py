"""Who may suspend, ban and reinstate whom. Moderators sanction ordinary accounts (the
`moderation.suspend_user` and `moderation.ban_user` permissions, which the Moderators group
holds); only a superuser acts against a staff account; nobody acts against their own; the
strike policy never suspends or bans staff by itself. A refused admin action says why on the
page and changes nothing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts.models import User
from moderation import decisions, sanctions
from moderation.models import ModerationDecision
from tiktok.errors import Refused
from videos.models import Video

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/videoreview/"
SANCTIONS = ("suspend", "ban", "reinstate")


@pytest.fixture(autouse=True)
def password_alone_opens_the_admin(settings):
    settings.STAFF_2FA = False


@pytest.fixture
def moderator(make_user):
    user = make_user("mod", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def root(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


def video_of(creator) -> Video:
    return Video.objects.create(creator=creator, title="v", processing="ready", moderation="approved")


def standing(user) -> tuple:
    user.refresh_from_db()
    return user.strikes, user.suspended_until, user.banned_at


def sanction_rows(user):
    return ModerationDecision.objects.filter(object_id=user.pk, content_type__model="user").exclude(action="strike")


def act(client, action: str, videos, note="Threats in every video."):
    """Run one of the queue's creator actions, following the redirect to the page that shows
    the action's messages."""
    data = {"action": f"{action}_creators", "_selected_action": [v.pk for v in videos], "note": note}
    response = client.post(QUEUE, data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def prepare(user, action: str):
    """Reinstating needs a standing sanction to lift; the others start from a clean account."""
    if action == "reinstate":
        User.objects.filter(pk=user.pk).update(suspended_until=timezone.now() + timedelta(days=1))


def test_the_moderators_group_holds_the_sanction_permissions(moderator):
    assert moderator.has_perm("moderation.suspend_user")
    assert moderator.has_perm("moderation.ban_user")


@pytest.mark.parametrize("action", SANCTIONS)
@pytest.mark.parametrize("target_kind", ["staff", "superuser"])
def test_a_moderator_cannot_sanction_a_staff_account_from_the_queue(client, make_user, moderator, action, target_kind):
    target = make_user("boss", is_staff=True, is_superuser=target_kind == "superuser")
    prepare(target, action)
    before = standing(target)
    client.force_login(moderator)
    page = act(client, action, [video_of(target)])
    assert "Only a superuser may" in page and "boss" in page
    assert standing(target) == before
    assert not sanction_rows(target).exists()


def test_a_refused_target_in_a_selection_stops_the_whole_action(client, make_user, moderator):
    staff, creator = make_user("helper", is_staff=True), make_user("troll")
    client.force_login(moderator)
    page = act(client, "ban", [video_of(staff), video_of(creator)])
    assert "Only a superuser may" in page and "Creators banned." not in page
    assert standing(creator)[2] is None and standing(staff)[2] is None
    assert not sanction_rows(creator).exists()


@pytest.mark.parametrize("action", SANCTIONS)
def test_a_superuser_sanctions_a_staff_account_from_the_queue(client, make_user, root, action):
    target = make_user("helper", is_staff=True)
    prepare(target, action)
    client.force_login(root)
    page = act(client, action, [video_of(target)])
    assert "Only a superuser may" not in page
    _, suspended_until, banned_at = standing(target)
    expected = {
        "suspend": suspended_until is not None and suspended_until > timezone.now(),
        "ban": banned_at is not None,
        "reinstate": banned_at is None and suspended_until is None,
    }
    assert expected[action]
    assert list(sanction_rows(target).values_list("action", "actor__username")) == [(action, "root")]


@pytest.mark.parametrize("action", SANCTIONS)
def test_nobody_sanctions_their_own_account(client, root, action):
    prepare(root, action)
    before = standing(root)
    client.force_login(root)
    page = act(client, action, [video_of(root)])
    assert "your own account" in page
    assert standing(root) == before
    assert not sanction_rows(root).exists()


def test_staff_without_the_sanction_permissions_cannot_ban_an_ordinary_creator(client, make_user):
    """The queue's own permissions (see and decide videos) are not enough to ban."""
    reviewer = make_user("reviewer", is_staff=True)
    reviewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_videoreview", "change_videoreview"]))
    creator = make_user("troll")
    client.force_login(reviewer)
    for action in ("suspend", "ban"):
        page = act(client, action, [video_of(creator)])
        assert "moderation." in page and "permission" in page
    assert standing(creator) == (0, None, None)


def test_a_moderator_still_bans_and_reinstates_an_ordinary_creator(client, make_user, moderator):
    creator = make_user("troll")
    client.force_login(moderator)
    assert "Creators banned." in act(client, "ban", [video_of(creator)])
    assert standing(creator)[2] is not None
    assert "Creators reinstated." in act(client, "reinstate", [video_of(creator)], note="Appeal accepted.")
    assert standing(creator)[2] is None


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (sanctions.user_suspend, {"days": 3, "reason": "x"}),
        (sanctions.user_ban, {"reason": "x"}),
        (sanctions.user_reinstate, {"reason": "x"}),
    ],
)
def test_the_services_refuse_on_their_own(make_user, moderator, call, kwargs):
    """A command or any new caller gets the same refusal: the check is in the services."""
    staff = make_user("helper", is_staff=True)
    User.objects.filter(pk=staff.pk).update(suspended_until=timezone.now() + timedelta(days=1))
    staff.refresh_from_db()
    before = standing(staff)
    with pytest.raises(Refused) as refused:
        call(user=staff, actor=moderator, **kwargs)
    assert refused.value.status == 403
    assert standing(staff) == before
    assert not sanction_rows(staff).exists()
    with pytest.raises(Refused):
        call(user=staff, actor=None, **kwargs)


@pytest.mark.parametrize("target_kind", ["staff", "superuser"])
def test_strikes_reaching_the_ban_count_do_not_suspend_or_ban_staff(settings, make_user, moderator, target_kind):
    settings.STRIKES_SUSPEND_AT, settings.STRIKES_BAN_AT = 2, 3
    target = make_user("helper", is_staff=True, is_superuser=target_kind == "superuser")
    for i in range(3):
        decisions.video_decide(video=video_of(target), outcome="rejected", actor=moderator, note=f"Removed {i}.")
    strikes, suspended_until, banned_at = standing(target)
    assert strikes == 3 and suspended_until is None and banned_at is None
    assert not sanction_rows(target).exists()
    reasons = list(
        ModerationDecision.objects.filter(object_id=target.pk, content_type__model="user", action="strike")
        .order_by("created_at", "id")
        .values_list("reason", flat=True)
    )
    assert len(reasons) == 3
    assert "a superuser decides" not in reasons[0]
    assert all("a superuser decides" in r for r in reasons[1:])


def test_strikes_still_suspend_and_ban_an_ordinary_creator(settings, make_user):
    """The policy is unchanged for ordinary accounts, whoever rejects (the actor's own sanction
    permissions are not asked: the count decides)."""
    settings.STRIKES_SUSPEND_AT, settings.STRIKES_BAN_AT = 2, 3
    creator, reviewer = make_user("troll"), make_user("reviewer", is_staff=True)
    for i in range(3):
        decisions.video_decide(video=video_of(creator), outcome="rejected", actor=reviewer, note=f"Removed {i}.")
    strikes, suspended_until, banned_at = standing(creator)
    assert strikes == 3 and suspended_until is not None and banned_at is not None

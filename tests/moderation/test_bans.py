"""Strikes, suspensions and bans: each upheld rejection is a strike, the configured counts suspend
and ban, a banned account cannot log in and its videos stop being listable; all are decisions."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission

from accounts.models import Notification
from moderation import decisions, sanctions
from moderation.models import ModerationDecision
from videos.models import Video
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


def a_moderator(make_user):
    """Staff in the Moderators group, which holds the sanction permissions (suspend_user, ban_user)."""
    moderator = make_user(is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    return moderator


def test_strikes_suspend_at_the_configured_count_then_ban(settings, make_user):
    settings.STRIKES_SUSPEND_AT, settings.STRIKES_BAN_AT = 2, 3
    creator, moderator = make_user(), make_user(is_staff=True)
    videos = [Video.objects.create(creator=creator, title=f"v{i}", processing="ready") for i in range(3)]
    decisions.video_decide(video=videos[0], outcome="rejected", actor=moderator, note="Hate speech.")
    creator.refresh_from_db()
    assert creator.strikes == 1 and creator.suspended_until is None
    # The same video rejected again (an upheld appeal) is not a second strike.
    decisions.video_decide(video=videos[0], outcome="rejected", actor=moderator, note="Upheld.")
    creator.refresh_from_db()
    assert creator.strikes == 1
    decisions.video_decide(video=videos[1], outcome="rejected", actor=moderator, note="Threats.")
    creator.refresh_from_db()
    assert creator.strikes == 2 and creator.suspended_until is not None and creator.is_restricted
    decisions.video_decide(video=videos[2], outcome="rejected", actor=moderator, note="Threats again.")
    creator.refresh_from_db()
    assert creator.banned_at is not None
    actions = list(ModerationDecision.objects.filter(object_id=creator.pk, content_type__model="user")
                   .values_list("action", flat=True))  # fmt: skip
    assert actions.count("strike") == 3 and "suspend" in actions and "ban" in actions


def test_the_strike_notice_names_the_video_by_its_title_not_its_id(make_user):
    creator, moderator = make_user(), make_user(is_staff=True)
    video = Video.objects.create(creator=creator, title="Sunset over the bay", processing="ready")
    decisions.video_decide(video=video, outcome="rejected", actor=moderator, note="Hate speech.")
    notice = Notification.objects.get(recipient=creator, text__contains="strike").text
    assert notice == "Your account received a strike (1): Your video “Sunset over the bay” was removed: Hate speech."
    assert video.public_id not in notice


def test_a_banned_account_cannot_log_in_and_its_videos_stop_being_listable(client, make_user):
    creator = make_user("banme", password="a-Str0ng-pass!")
    video = Video.objects.create(creator=creator, title="v", processing="ready", moderation="approved")
    assert authenticate(username="banme", password="a-Str0ng-pass!") == creator
    client.force_login(creator)
    sanctions.user_ban(user=creator, actor=a_moderator(make_user), reason="Repeated threats.")
    assert authenticate(username="banme", password="a-Str0ng-pass!") is None
    assert not listable_videos().filter(pk=video.pk).exists()
    # The open session ended with the ban.
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"username": "banme", "password": "a-Str0ng-pass!"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_reinstating_lifts_the_ban_as_a_logged_decision(make_user):
    creator, moderator = make_user("back", password="a-Str0ng-pass!"), a_moderator(make_user)
    sanctions.user_ban(user=creator, actor=moderator, reason="Mistake.")
    sanctions.user_reinstate(user=creator, actor=moderator, reason="Appeal accepted.")
    assert authenticate(username="back", password="a-Str0ng-pass!") == creator
    assert ModerationDecision.objects.filter(object_id=creator.pk, action="reinstate").exists()


def test_a_moderator_bans_and_reinstates_a_creator_from_the_video_queue(client, make_user, settings):
    settings.STAFF_2FA = False
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(*Permission.objects.filter(codename__in=["view_videoreview", "change_videoreview"]))
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(group)
    creator = make_user("troll")
    video = Video.objects.create(creator=creator, title="v", processing="ready", moderation="approved")
    client.force_login(moderator)
    url = "/admin/moderation/videoreview/"
    client.post(url, {"action": "ban_creators", "_selected_action": [video.pk], "note": "Threats in every video."})
    creator.refresh_from_db()
    assert creator.banned_at is not None and not listable_videos().filter(pk=video.pk).exists()
    client.post(url, {"action": "reinstate_creators", "_selected_action": [video.pk], "note": "Appeal accepted."})
    creator.refresh_from_db()
    assert creator.banned_at is None and listable_videos().filter(pk=video.pk).exists()
    actions = set(ModerationDecision.objects.filter(object_id=creator.pk, content_type__model="user")
                  .values_list("action", "actor__username"))  # fmt: skip
    assert actions == {("ban", "mod"), ("reinstate", "mod")}

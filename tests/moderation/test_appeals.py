"""Appeals: the creator of a rejected video appeals once with a reason; the video goes back to the
queue marked appealed; the moderator's answer reaches the creator."""

import pytest

from accounts.models import Notification
from moderation import decisions, reports
from moderation.models import ModerationDecision
from moderation.services import decision_record
from tiktok.errors import Refused
from videos.models import Video
from videos.services import video_apply_moderation

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected(make_user):
    video = Video.objects.create(creator=make_user("creator"), title="Boxing", processing="ready")
    decision_record(item=video, source="auto", outcome="rejected", action="screen", reason="violence (0.95)")
    video_apply_moderation(video=video, outcome="rejected", reason="Removed automatically: violence (0.95).")
    return video


def test_an_appeal_returns_the_video_to_the_queue_marked_appealed(rejected):
    reports.appeal_create(video=rejected, user=rejected.creator, reason="It is a sport, with gloves and a referee.")
    rejected.refresh_from_db()
    assert rejected.moderation == "review" and rejected.appealed_at is not None
    assert rejected.appeal_reason.startswith("It is a sport")
    latest = ModerationDecision.objects.filter(object_id=rejected.pk).first()
    assert (latest.action, latest.outcome, latest.actor) == ("appeal", "review", rejected.creator)


def test_a_rejection_can_be_appealed_only_once(make_user, rejected):
    reports.appeal_create(video=rejected, user=rejected.creator, reason="Sport.")
    decisions.video_decide(video=rejected, outcome="rejected", actor=make_user(is_staff=True), note="Upheld.")
    rejected.refresh_from_db()
    with pytest.raises(Refused, match="already appealed"):
        reports.appeal_create(video=rejected, user=rejected.creator, reason="Again.")


def test_only_the_creator_may_appeal_and_only_a_rejection(make_user, rejected):
    with pytest.raises(Refused, match="Only the creator"):
        reports.appeal_create(video=rejected, user=make_user(), reason="Please.")
    with pytest.raises(Refused, match="Say why"):
        reports.appeal_create(video=rejected, user=rejected.creator, reason="   ")
    approved = Video.objects.create(creator=rejected.creator, title="ok", processing="ready", moderation="approved")
    with pytest.raises(Refused, match="Only a rejected"):
        reports.appeal_create(video=approved, user=rejected.creator, reason="?")


def test_the_appeal_page_takes_the_reason_and_the_answer_notifies_the_creator(
    client, make_user, rejected, django_capture_on_commit_callbacks
):
    client.force_login(rejected.creator)
    url = f"/moderation/appeal/{rejected.public_id}/"
    assert b"Send appeal" in client.get(url).content
    response = client.post(url, {"reason": "The punch is staged, see the credits."})
    assert response.status_code == 200 and b"with the moderators" in response.content
    rejected.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.video_decide(video=rejected, outcome="approved", actor=make_user(is_staff=True), note="Staged.")
    assert "appeal" in Notification.objects.filter(recipient=rejected.creator).first().text

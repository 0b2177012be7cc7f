"""One path for every human decision: a rejection made from any screen or command records the same
decision, applies the strike policy, closes the open reports and tells the person whose content
it was (and the reporters)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Notification
from moderation import reports
from moderation.models import ModerationDecision, Report
from tests.factories import make_user, ready_video
from videos.models import Comment, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    return make_user("boss", is_staff=True, is_superuser=True)


def _reported_video():
    creator = make_user("maker")
    video = ready_video(creator, title="Dance battle", media=False)
    reporter = make_user("watcher")
    reports.report_create(reporter=reporter, item=video, category="H", note="slurs at 0:05")
    return video, creator, reporter


def _outcome(item, owner, reporter, moderator) -> dict:
    """What a human rejection left behind, in a form two paths can be compared by."""
    item.refresh_from_db()
    owner.refresh_from_db()
    # The fixture's own approval has no actor; every decision a person made here has one.
    human = ModerationDecision.objects.filter(
        content_type__model=item._meta.model_name, object_id=item.pk, source="human", actor__isnull=False
    ).exclude(action="strike")
    strikes = ModerationDecision.objects.filter(content_type__model="user", object_id=owner.pk, action="strike")
    return {
        "decisions": [(d.outcome, d.actor_id == moderator.pk, d.reason) for d in human],
        "strikes": owner.strikes,
        "strike_rows": strikes.count(),
        "reports": sorted(Report.objects.filter(object_id=item.pk).values_list("status", flat=True)),
        "owner_told": Notification.objects.filter(recipient=owner, kind="moderation", text__contains="removed")
        .exclude(text__contains="strike")
        .count(),
        "strike_notice": Notification.objects.filter(recipient=owner, text__contains="strike").count(),
        "reporter_told": Notification.objects.filter(recipient=reporter, kind="report").count(),
    }


EXPECTED_VIDEO = {
    "decisions": [("rejected", True, "Hate speech at 0:05.")],
    "strikes": 1,
    "strike_rows": 1,
    "reports": ["upheld"],
    "owner_told": 1,
    "strike_notice": 1,
    "reporter_told": 1,
}


def test_rejecting_a_video_in_the_review_queue(client, moderator):
    video, creator, reporter = _reported_video()
    client.force_login(moderator)
    response = client.post(
        reverse("admin:moderation_videoreview_changelist"),
        {"action": "reject_selected", "_selected_action": [video.pk], "note": "Hate speech at 0:05."},
    )
    assert response.status_code == 302
    assert _outcome(video, creator, reporter, moderator) == EXPECTED_VIDEO
    assert video.moderation == Video.Moderation.REJECTED and not video.is_listable


def test_rejecting_a_video_in_the_videos_admin(client, moderator):
    video, creator, reporter = _reported_video()
    client.force_login(moderator)
    response = client.post(
        reverse("admin:videos_video_changelist"),
        {"action": "reject", "_selected_action": [video.pk], "note": "Hate speech at 0:05."},
    )
    assert response.status_code == 302
    assert _outcome(video, creator, reporter, moderator) == EXPECTED_VIDEO


def test_rejecting_a_video_with_reject_video(moderator):
    video, creator, reporter = _reported_video()
    out = io.StringIO()
    call_command("reject_video", str(video.pk), "--note", "Hate speech at 0:05.", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == f"video={video.pk} moderation=rejected listable=False"
    assert _outcome(video, creator, reporter, moderator) == EXPECTED_VIDEO


def test_upholding_the_reports_on_a_video(client, moderator):
    video, creator, reporter = _reported_video()
    client.force_login(moderator)
    report = Report.objects.get(object_id=video.pk)
    client.post(
        reverse("admin:moderation_report_changelist"),
        {"action": "uphold", "_selected_action": [report.pk], "note": "Hate speech at 0:05."},
    )
    assert _outcome(video, creator, reporter, moderator) == EXPECTED_VIDEO


def test_reject_video_refuses_bad_input_with_one_line_and_changes_nothing(moderator):
    video, _creator, _reporter = _reported_video()
    for args, message in [
        (["999999", "--note", "x"], "No video '999999'."),
        ([str(video.pk), "--note", "   "], "A note is required."),
        ([str(video.pk), "--note", "x", "--actor", "nobody"], "No active staff member named 'nobody'."),
    ]:
        with pytest.raises(Exception, match=message):
            call_command("reject_video", *args, stdout=io.StringIO())
    video.refresh_from_db()
    assert video.moderation == Video.Moderation.APPROVED
    assert not ModerationDecision.objects.filter(source="human", actor__isnull=False).exists()


# --- Comments ----------------------------------------------------------------------------------


def _reported_comment():
    video = ready_video(make_user("maker"), title="Dance", media=False)
    author = make_user("writer")
    comment = Comment.objects.create(video=video, author=author, text="you people are vermin", state="published")
    reporter = make_user("watcher")
    reports.report_create(reporter=reporter, item=comment, category="H")
    return comment, author, reporter


def _comment_outcome(comment, author, reporter, moderator) -> dict:
    result = _outcome(comment, author, reporter, moderator)
    result["state"] = comment.state
    result["decisions"] = [(outcome, by_moderator) for outcome, by_moderator, _reason in result["decisions"]]
    return result


EXPECTED_COMMENT = {
    "decisions": [("rejected", True)],
    "state": "rejected",
    "strikes": 1,
    "strike_rows": 1,
    "reports": ["upheld"],
    "owner_told": 1,
    "strike_notice": 1,
    "reporter_told": 1,
}


def test_upholding_a_report_on_a_comment(client, moderator):
    comment, author, reporter = _reported_comment()
    client.force_login(moderator)
    report = Report.objects.get(object_id=comment.pk)
    client.post(
        reverse("admin:moderation_report_changelist"),
        {"action": "uphold", "_selected_action": [report.pk], "note": "Dehumanising."},
    )
    assert _comment_outcome(comment, author, reporter, moderator) == EXPECTED_COMMENT


def test_rejecting_a_comment_in_the_comment_queue(client, moderator):
    comment, author, reporter = _reported_comment()
    client.force_login(moderator)
    client.post(
        reverse("admin:moderation_commentreview_changelist") + "?state__exact=published",
        {"action": "reject", "_selected_action": [comment.pk], "note": "Dehumanising.", "category": "H"},
    )
    assert _comment_outcome(comment, author, reporter, moderator) == EXPECTED_COMMENT


def test_deleting_a_comment_as_staff_in_the_admin_is_a_recorded_rejection(client, moderator):
    comment, author, reporter = _reported_comment()
    client.force_login(moderator)
    response = client.post(reverse("admin:moderation_commentreview_delete", args=[comment.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert _comment_outcome(comment, author, reporter, moderator) == EXPECTED_COMMENT


def test_staff_cannot_delete_others_comments_from_the_page(client, moderator):
    comment, _author, _reporter = _reported_comment()
    client.force_login(moderator)
    response = client.post(reverse("videos:comment_delete", args=[comment.pk]))
    assert response.status_code == 403
    assert Comment.objects.filter(pk=comment.pk, state="published").exists()

"""User reports: one per person per item, refused for anonymous viewers, rate-limited; enough of
them hide the item until a moderator decides, and reporters hear the outcome. (How much each
report counts, by the reporter's standing, is tests/moderation/test_report_weights.py; the
reporters here are established accounts, whose reports weigh 1 each.)"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import Notification
from moderation import decisions, reports
from moderation.models import ModerationDecision, Report
from tiktok.errors import Refused
from videos.models import Comment, Video
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


@pytest.fixture
def established(make_user):
    """An account old enough (and with no dismissed reports) for its report to weigh 1."""
    return lambda **extra: make_user(date_joined=timezone.now() - timedelta(days=365), **extra)


@pytest.fixture
def video(make_user):
    return Video.objects.create(
        creator=make_user("creator"), title="A dance", processing="ready", moderation="approved"
    )


def test_reports_reaching_the_threshold_hide_the_video_pending_review(settings, established, video):
    settings.REPORTS_HIDE_THRESHOLD = 2
    assert listable_videos().filter(pk=video.pk).exists()
    reports.report_create(reporter=established(), item=video, category="H", note="slur at the end")
    video.refresh_from_db()
    assert not video.hidden
    reports.report_create(reporter=established(), item=video, category="HR")
    video.refresh_from_db()
    assert video.hidden and not listable_videos().filter(pk=video.pk).exists()
    hide = ModerationDecision.objects.get(object_id=video.pk, action="hide")
    assert hide.outcome == "review" and "2 reports" in hide.reason


def test_a_second_report_by_the_same_person_is_refused(make_user, video):
    reporter = make_user()
    reports.report_create(reporter=reporter, item=video, category="S")
    with pytest.raises(Refused, match="already reported"):
        reports.report_create(reporter=reporter, item=video, category="V")
    assert Report.objects.count() == 1


def test_anonymous_reports_are_refused_on_the_page_and_in_the_service(client, video):
    with pytest.raises(Refused, match="Sign in"):
        reports.report_create(reporter=AnonymousUser(), item=video, category="S")
    response = client.post(f"/moderation/report/video/{video.public_id}/", {"category": "S"})
    assert response.status_code == 403 and Report.objects.count() == 0


def test_the_report_page_files_a_report_and_refuses_a_duplicate_with_a_clear_line(client, make_user, video):
    client.force_login(make_user())
    url = f"/moderation/report/video/{video.public_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"category": "HR", "note": "targets a classmate"}).status_code == 200
    again = client.post(url, {"category": "HR"})
    assert again.status_code == 409 and b"already reported" in again.content
    assert Report.objects.get().note == "targets a classmate"


def test_reporters_are_rate_limited(settings, make_user):
    settings.REPORTS_PER_HOUR = 2
    reporter, creator = make_user(), make_user()
    items = [Video.objects.create(creator=creator, title=f"v{i}", processing="ready") for i in range(3)]
    reports.report_create(reporter=reporter, item=items[0], category="S")
    reports.report_create(reporter=reporter, item=items[1], category="S")
    with pytest.raises(Refused, match="many reports") as refused:
        reports.report_create(reporter=reporter, item=items[2], category="S")
    assert refused.value.status == 429


def test_reporting_your_own_video_is_refused(video):
    with pytest.raises(Refused, match="your own"):
        reports.report_create(reporter=video.creator, item=video, category="S")


def test_a_hidden_comment_and_a_held_profile_follow_the_threshold(settings, make_user, established, video):
    settings.REPORTS_HIDE_THRESHOLD = 1
    comment = Comment.objects.create(video=video, author=make_user(), text="nasty", state="published")
    reports.report_create(reporter=established(), item=comment, category="HR")
    comment.refresh_from_db()
    assert comment.hidden
    person = make_user(display_name="Rude name")
    reports.report_create(reporter=established(), item=person, category="H")
    person.refresh_from_db()
    assert person.profile_state == "held" and person.name == person.username


def test_a_dismissal_shows_the_item_again_and_tells_each_reporter(settings, make_user, established, video):
    settings.REPORTS_HIDE_THRESHOLD = 2
    moderator = make_user(is_staff=True)
    reporters = [established(), established()]
    for reporter in reporters:
        reports.report_create(reporter=reporter, item=video, category="S")
    video.refresh_from_db()
    assert video.hidden
    decisions.video_decide(video=video, outcome="approved", actor=moderator, note="Dance is fine.")
    video.refresh_from_db()
    assert not video.hidden and listable_videos().filter(pk=video.pk).exists()
    assert set(Report.objects.values_list("status", flat=True)) == {"dismissed"}
    for reporter in reporters:
        note = Notification.objects.get(recipient=reporter)
        assert note.kind == "report" and "no violation" in note.text

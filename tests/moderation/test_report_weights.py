"""Reports are weighed by the reporter's standing: a new account's report weighs little, and a
reporter whose past reports moderators dismissed weighs less. An item is hidden pending review only
when the weights of its open reports reach REPORTS_HIDE_THRESHOLD, and a burst of reports from new
accounts goes to the moderators flagged as a possible brigade, without hiding anything."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation import decisions, reports
from moderation.models import ModerationDecision, Report
from tests.factories import make_user
from videos.models import Comment, Video
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


def established(days: float = 90, **extra):
    """An account `days` old (by default old enough for its reports to count in full)."""
    return make_user(date_joined=timezone.now() - timedelta(days=days), **extra)


def newcomer(hours: float = 2):
    return make_user(date_joined=timezone.now() - timedelta(hours=hours))


CAPPED = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def knobs(settings):
    settings.REPORTS_HIDE_THRESHOLD = 3.0
    settings.REPORTER_MIN_AGE_HOURS = 72
    settings.REPORTER_NEW_WEIGHT = 0.1
    settings.REPORTER_FULL_AGE_DAYS = 30
    settings.REPORTS_BRIGADE_COUNT = 3
    settings.REPORTS_BRIGADE_MINUTES = 60
    return settings


@pytest.fixture
def video():
    return Video.objects.create(
        creator=established(username="creator"), title="A dance", processing="ready", moderation="approved"
    )


def _visible(video) -> bool:
    video.refresh_from_db()
    return not video.hidden and listable_videos().filter(pk=video.pk).exists()


def test_three_brand_new_accounts_cannot_hide_a_video(knobs, video):
    for _ in range(3):
        reports.report_create(reporter=newcomer(), item=video, category="H")
    assert _visible(video)
    assert not ModerationDecision.objects.filter(object_id=video.pk, action="hide").exists()


def test_three_established_reporters_hide_it_and_each_report_keeps_its_weight(knobs, video):
    for _ in range(2):
        reports.report_create(reporter=established(), item=video, category="H")
    assert _visible(video)
    reports.report_create(reporter=established(), item=video, category="HR")
    assert not _visible(video)
    assert list(Report.objects.values_list("weight", flat=True)) == [1.0, 1.0, 1.0]
    hide = ModerationDecision.objects.get(object_id=video.pk, action="hide")
    assert hide.outcome == "review" and "3 reports" in hide.reason and "3.00" in hide.reason


def test_the_weight_follows_age_and_the_reporters_record(knobs, make_user):
    creator = established(username="maker")
    moderator = make_user("mod", is_staff=True)
    items = [Video.objects.create(creator=creator, title=f"v{i}", processing="ready") for i in range(5)]

    assert reports.reporter_weight(newcomer(hours=5)) == pytest.approx(0.1)
    assert reports.reporter_weight(established(days=15)) == pytest.approx(0.5)
    assert reports.reporter_weight(established(days=400)) == pytest.approx(1.0)

    # Three dismissed reports and one upheld: (1 + 1) / (1 + 1 + 3) = 0.4 of the age factor.
    crier = established(days=90)
    for item in items[:4]:
        reports.report_create(reporter=crier, item=item, category="S")
    for item in items[:3]:
        decisions.reported_item_decide(item=item, upheld=False, actor=moderator)
    decisions.reported_item_decide(item=items[3], upheld=True, actor=moderator)
    assert reports.reporter_weight(crier) == pytest.approx(0.4)
    report = reports.report_create(reporter=crier, item=items[4], category="S")
    report.refresh_from_db()
    assert report.weight == pytest.approx(0.4)


def test_a_burst_from_new_accounts_is_flagged_as_a_brigade_and_hides_nothing(knobs, video):
    # Ten new accounts would weigh 1.0 together; as a brigade they count for nothing.
    knobs.REPORTS_HIDE_THRESHOLD = 1.0
    for _ in range(10):
        reports.report_create(reporter=newcomer(), item=video, category="H")
    assert _visible(video)
    assert Report.objects.filter(brigade=True).count() == 10
    assert not ModerationDecision.objects.filter(object_id=video.pk, action="hide").exists()
    # Reporters in good standing still decide: their reports hide it.
    reports.report_create(reporter=established(), item=video, category="H")
    assert not _visible(video)


def test_new_accounts_spread_over_time_are_not_a_brigade(knobs, video):
    first = reports.report_create(reporter=newcomer(), item=video, category="H")
    second = reports.report_create(reporter=newcomer(), item=video, category="H")
    Report.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=timezone.now() - timedelta(hours=3))
    reports.report_create(reporter=newcomer(), item=video, category="H")
    assert not Report.objects.filter(brigade=True).exists()


def test_a_comment_and_a_profile_follow_the_same_weights(knobs, video):
    comment = Comment.objects.create(video=video, author=established(), text="nasty", state="published")
    person = established(display_name="Rude name")
    for _ in range(3):
        reports.report_create(reporter=established(days=80), item=comment, category="HR")
        reports.report_create(reporter=newcomer(), item=person, category="H")
    comment.refresh_from_db()
    person.refresh_from_db()
    assert comment.hidden
    assert person.profile_state != "held"


def test_the_report_admin_shows_the_weight_and_filters_brigades(knobs, client, video):
    for _ in range(3):
        reports.report_create(reporter=newcomer(), item=video, category="H")
    reports.report_create(reporter=established(username="steady"), item=video, category="S")
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)
    html = client.get("/admin/moderation/report/").content.decode()
    assert "weight" in html and "brigade" in html and "1.00" in html and "0.10" in html
    flagged = client.get("/admin/moderation/report/?brigade__exact=1").content.decode()
    assert "steady" not in flagged and flagged.count("0.10") == 3


@CAPPED
@given(
    ages_hours=st.lists(st.floats(min_value=0, max_value=71.9), min_size=1, max_size=10),
    threshold=st.sampled_from([0.5, 1.0, 3.0]),
)
@override_settings(REPORTER_MIN_AGE_HOURS=72, REPORTER_NEW_WEIGHT=0.1, REPORTS_BRIGADE_COUNT=3)
def test_new_accounts_reporting_together_never_hide_an_item(ages_hours, threshold):
    """Any number of new accounts reporting at once: below the brigade size they weigh too little
    (2 x 0.1 under every threshold here), and from there on they are a brigade and weigh nothing."""
    target = Video.objects.create(creator=established(), title="target", processing="ready", moderation="approved")
    with override_settings(REPORTS_HIDE_THRESHOLD=threshold):
        for hours in ages_hours:
            reports.report_create(reporter=newcomer(hours=hours), item=target, category="H")
    assert _visible(target)
    flagged = Report.objects.filter(object_id=target.pk, brigade=True).count()
    assert flagged == (len(ages_hours) if len(ages_hours) >= 3 else 0)


@CAPPED
@given(younger=st.floats(min_value=0, max_value=2000), older=st.floats(min_value=0, max_value=2000))
@override_settings(REPORTER_MIN_AGE_HOURS=72, REPORTER_NEW_WEIGHT=0.1, REPORTER_FULL_AGE_DAYS=30)
def test_a_report_weighs_between_the_new_weight_and_one_and_never_less_with_age(younger, older):
    younger, older = sorted((younger, older))
    light, heavy = (reports.reporter_weight(established(days=days)) for days in (younger, older))
    assert 0.1 <= light <= heavy <= 1.0

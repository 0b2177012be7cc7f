"""The moderators' admin: the video queue opens on what needs a decision, the index page and every
page's navigation count what waits (videos, comments, reported items, appeals, profile edits),
reports are grouped per reported item with one decision for it, and the dashboard's override rate
counts only moderators' decisions that changed an automatic outcome (appeals apart, demo seeding
not at all). Staff need their second factor first when STAFF_2FA is on."""

import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Notification
from moderation import decisions, reports
from moderation.dashboard import moderation_figures
from moderation.models import ModerationDecision, Report
from moderation.services import decision_record
from tests.factories import make_user, ready_video
from videos.models import Comment, Video

pytestmark = pytest.mark.django_db
QUEUE = "/admin/moderation/videoreview/"
REPORTED = "/admin/moderation/reported-items/"


@pytest.fixture
def moderator():
    user = make_user("mod", password="mod-password-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def video(title, moderation="approved", **fields):
    made = ready_video(make_user(), title=title, media=False, **fields)
    Video.objects.filter(pk=made.pk).update(moderation=moderation)
    made.refresh_from_db()
    return made


def report(item, reporter, category="H", weight=1.0, brigade=False, note=""):
    return Report.objects.create(
        reporter=reporter, content_type=ContentType.objects.get_for_model(item), object_id=item.pk,
        category=category, weight=weight, brigade=brigade, note=note,
    )  # fmt: skip


def counts(html: str) -> dict[str, int]:
    return {label: int(n) for label, n in re.findall(r'class="pending-count" data-queue="([^"]+)">(\d+)<', html)}


@pytest.fixture
def waiting():
    held = video("Held for review", moderation="review")
    appealed = video("Appealed rejection", moderation="review")
    Video.objects.filter(pk=appealed.pk).update(appealed_at=appealed.created_at, appeal_reason="It is a cooking video")
    edited = video("Live title", staged_title="Edited title", staged_description="", staged_at=held.created_at)
    reported = video("Reported one")
    report(reported, make_user("rep1"))
    report(reported, make_user("rep2"), category="HR")
    quiet = video("Nothing to do")
    rejected = video("Rejected long ago", moderation="rejected")
    comment = Comment.objects.create(video=quiet, author=make_user(), text="held words", state="held")
    report(comment, make_user("rep3"))
    return {"in": [held, appealed, edited, reported], "out": [quiet, rejected], "comment": comment}


def test_the_video_queue_opens_on_what_needs_a_decision(client, moderator, waiting):
    client.force_login(moderator)
    page = client.get(QUEUE).content.decode()
    for v in waiting["in"]:
        assert v.title in page
    for v in waiting["out"]:
        assert v.title not in page
    everything = client.get(QUEUE, {"queue": "all"}).content.decode()
    assert all(v.title in everything for v in waiting["in"] + waiting["out"])
    approved = client.get(QUEUE, {"moderation__exact": "approved"}).content.decode()
    assert "Nothing to do" in approved and "Held for review" not in approved


def test_the_index_and_the_navigation_count_what_waits(client, moderator, waiting):
    client.force_login(moderator)
    index = client.get("/admin/").content.decode()
    assert counts(index) == {"videos": 4, "comments": 1, "reports": 2, "appeals": 1, "profile edits": 0}
    nav = client.get("/admin/moderation/commentreview/").content.decode()
    assert re.search(r'data-queue="reports"[^>]*><strong>2</strong> reports', nav)
    assert re.search(r'data-queue="videos"[^>]*><strong>4</strong> videos', nav)


def test_staff_see_no_counts_before_their_second_factor(client, moderator, waiting, settings):
    settings.STAFF_2FA = True
    device = TOTPDevice.objects.create(user=moderator, name="phone", confirmed=True)
    client.post("/admin/login/?next=/admin/", {"username": "mod", "password": "mod-password-123"})
    before = client.get("/admin/login/?next=/admin/").content.decode()
    assert 'name="otp_token"' in before and "pending-count" not in before and "data-queue" not in before
    assert client.get(REPORTED).status_code == 302
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post("/admin/login/?next=/admin/", {"otp_token": code, "next": "/admin/"})
    assert counts(client.get("/admin/").content.decode())["videos"] == 4


def test_reports_are_grouped_per_item_with_reasons_reporters_and_weights(client, moderator):
    target = video("Reported clip")
    reporters = [("ann", "H", 1.0, "slur at 0:03"), ("bob", "H", 0.5, ""), ("cy", "HR", 0.25, "")]
    for name, category, weight, note in reporters:
        report(target, make_user(name), category=category, weight=weight, note=note)
    other = video("Other clip")
    report(other, make_user("dee"), category="S", weight=0.1, brigade=True)
    client.force_login(moderator)
    page = client.get(REPORTED).content.decode()
    rows = re.findall(r"<tr data-kind=\"video\".*?</tr>", page, flags=re.S)
    assert len(rows) == 2  # one row per item, not per report
    first = rows[0]  # the heaviest first
    assert "Reported clip" in first and '<td class="report-count">3</td>' in first
    assert '<td class="report-weight">1.75' in first
    assert "(H) × 2" in first and "(HR) × 1" in first and "slur at 0:03" in first
    assert "ann (1.00)" in first and "bob (0.50)" in first and "cy (0.25)" in first
    assert "possible brigade" in rows[1] and "dee (0.10, brigade)" in rows[1]


def test_one_decision_for_the_item_goes_through_the_human_decision_path(client, moderator):
    target = video("Reported clip")
    reporters = [make_user(name) for name in ("ann", "bob", "cy")]
    for reporter in reporters:
        report(target, reporter)
    other = video("Other clip")
    report(other, make_user("dee"))
    ct = ContentType.objects.get_for_model(Video)
    client.force_login(moderator)
    response = client.post(
        REPORTED, {"content_type": ct.pk, "object_id": target.pk, "verdict": "uphold", "note": "Hate speech at 0:03"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.moderation == "rejected" and not target.is_listable
    decision = ModerationDecision.objects.filter(object_id=target.pk, content_type=ct, actor=moderator).get()
    assert (decision.actor, decision.reason, decision.outcome) == (moderator, "Hate speech at 0:03", "rejected")
    assert set(Report.objects.filter(object_id=target.pk).values_list("status", flat=True)) == {"upheld"}
    assert all(Notification.objects.filter(recipient=r, kind="report").exists() for r in reporters)
    assert target.creator.__class__.objects.get(pk=target.creator_id).strikes == 1
    assert Report.objects.get(object_id=other.pk).status == "open"  # one item, one decision
    again = client.post(REPORTED, {"content_type": ct.pk, "object_id": target.pk, "verdict": "dismiss"})
    assert again.status_code == 400 and b"decided already" in again.content


def test_staff_without_the_report_permissions_neither_see_nor_decide(client, make_user):
    target = video("Reported clip")
    report(target, make_user("ann"))
    intern = make_user("intern", is_staff=True)
    client.force_login(intern)
    assert client.get(REPORTED).status_code == 403
    ct = ContentType.objects.get_for_model(Video)
    response = client.post(REPORTED, {"content_type": ct.pk, "object_id": target.pk, "verdict": "uphold"})
    assert response.status_code == 403
    assert Report.objects.get(object_id=target.pk).status == "open"


def test_the_override_rate_counts_only_moderators_changing_an_automatic_outcome(client, moderator, make_user):
    def screened(title, outcome):
        v = video(title, moderation=outcome)
        decision_record(item=v, source="auto", outcome=outcome, action="screen", subject_user=v.creator)
        return v

    overridden = screened("held then approved", "review")
    decisions.video_decide(video=overridden, outcome="approved", actor=moderator, note="fine")
    confirmed = screened("approved then reported", "approved")
    decisions.reported_item_decide(item=confirmed, upheld=False, actor=moderator, note="")
    appealed = screened("rejected then appealed", "rejected")
    reports.appeal_create(video=appealed, user=appealed.creator, reason="It is a cooking video")
    decisions.video_decide(video=Video.objects.get(pk=appealed.pk), outcome="approved", actor=moderator, note="ok")
    seeded = screened("demo clip", "review")
    decisions.video_decide(video=seeded, outcome="approved", actor=moderator, note="Demo content", action="seed")
    comment = Comment.objects.create(video=confirmed, author=make_user(), text="hmm", state="held")
    decision_record(item=comment, source="auto", outcome="review", subject_user=comment.author)
    decisions.comment_decide(comment=comment, outcome="rejected", actor=moderator, note="insult")

    since = overridden.created_at.replace(year=overridden.created_at.year - 1)
    figures = moderation_figures(since)
    assert (figures["auto"], figures["reviewed"], figures["overrides"]) == (5, 3, 2)
    assert figures["override_rate"] == 0.4
    assert figures["appeals"] == {"made": 1, "accepted": 1, "refused": 0}

    client.force_login(make_user("ops", is_staff=True, is_superuser=True))
    page = client.get("/admin/dashboard/").content.decode()
    assert re.search(r'id="override-rate"[^>]*>40%<', page)
    assert '<td id="overrides">2 / 3</td>' in page and '<td id="appeals-decided">1 / 0</td>' in page


def test_a_waiting_title_edit_is_decided_from_the_video_review_page(client, moderator):
    edited = video("Live title", staged_title="Edited title", staged_description="new words")
    Video.objects.filter(pk=edited.pk).update(staged_at=edited.created_at)
    client.force_login(moderator)
    url = f"{QUEUE}{edited.pk}/change/"
    page = client.get(url).content.decode()
    assert '<td id="staged-title">Edited title</td>' in page and "Live title" in page
    refused = client.post(url, {"decision": "reject_edit", "note": ""})
    assert refused.status_code == 200 and "Say why" in refused.content.decode()
    assert client.post(url, {"decision": "approve_edit", "note": "", "_save": "Save"}).status_code == 302
    edited.refresh_from_db()
    assert (edited.title, edited.description, edited.staged_at) == ("Edited title", "new words", None)
    assert edited.moderation == "approved"
    decision = ModerationDecision.objects.filter(object_id=edited.pk, content_type__model="video").first()
    assert (decision.action, decision.outcome, decision.actor) == ("edit", "approved", moderator)

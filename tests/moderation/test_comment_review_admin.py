"""The comment review queue in the admin: moderators see held and rejected comments with their
probabilities, approve or reject in bulk with a note, and read the decision history; other staff
get nothing."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from moderation import services
from moderation.models import ModerationDecision
from tests.factories import make_user, ready_video
from videos.models import Comment

pytestmark = pytest.mark.django_db

QUEUE = "admin:moderation_commentreview_changelist"


@pytest.fixture
def moderator():
    user = make_user("mod", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def held(db):
    video = ready_video(make_user("maker"), title="Dance", media=False)
    author = make_user("writer")
    comments = []
    for text, scores in [
        ("you are a clown <b>lol</b>", {"HR": 0.62, "H": 0.04}),
        ("all of them should be shot", {"V": 0.71, "H2": 0.41}),
    ]:
        c = Comment.objects.create(video=video, author=author, text=text, state="held")
        services.decision_record(
            item=c, source="auto", outcome="review", reason="Held", text_snapshot=text, subject_user=author,
            scores=scores, thresholds={"HR": {"review": 0.3, "reject": 0.8}},
        )  # fmt: skip
        comments.append(c)
    Comment.objects.create(video=video, author=author, text="a published one", state="published")
    return comments


def test_the_moderators_group_has_exactly_the_queue_permissions():
    codenames = set(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))
    assert {"view_commentreview", "change_commentreview", "view_moderationdecision"} <= codenames
    assert not any(c.startswith(("delete_", "add_")) for c in codenames)
    assert "change_moderationpolicy" not in codenames and "change_modelversion" not in codenames


def test_moderators_see_held_comments_with_probability_chips_and_filters(client, moderator, held):
    client.force_login(moderator)
    html = client.get(reverse(QUEUE)).content.decode()
    assert "you are a clown &lt;b&gt;lol&lt;/b&gt;" in html and "a published one" not in html
    assert "HR 0.62" in html and "prob-chip" in html
    only_v = client.get(reverse(QUEUE), {"category": "V"}).content.decode()
    assert "all of them should be shot" in only_v and "you are a clown" not in only_v
    medium = client.get(reverse(QUEUE), {"score": "medium"}).content.decode()
    assert "all of them should be shot" in medium


def test_bulk_approve_and_reject_with_a_note_record_human_decisions(client, moderator, held):
    client.force_login(moderator)
    clown, threat = held
    resp = client.post(
        reverse(QUEUE),
        {"action": "approve", "_selected_action": [clown.pk], "note": "banter between friends", "category": ""},
    )
    assert resp.status_code == 302
    client.post(
        reverse(QUEUE), {"action": "reject", "_selected_action": [threat.pk], "note": "threat", "category": "V"}
    )
    clown.refresh_from_db(), threat.refresh_from_db()
    assert clown.state == "published" and threat.state == "rejected"
    human = services.decisions_for(item=threat).first()
    assert human.source == ModerationDecision.Source.HUMAN and human.actor == moderator
    assert human.reason == "threat" and human.evidence == {"categories": ["V"]}
    assert human.scores == {"V": 0.71, "H2": 0.41}  # the model's view at the time, kept beside the verdict
    # The history shows both decisions on the comment's page.
    page = client.get(reverse("admin:moderation_commentreview_change", args=[threat.pk])).content.decode()
    assert "decision history" in page.lower() and "threat" in page and "Held" in page


def test_staff_without_the_group_cannot_see_the_queue(client, held):
    client.force_login(make_user("staffer", is_staff=True))
    assert client.get(reverse(QUEUE)).status_code == 403

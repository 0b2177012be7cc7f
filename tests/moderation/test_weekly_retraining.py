"""Moderators' decisions reach the classifier without anyone running a command: a weekly job (set up
by setup_schedules) retrains the heads and activates the candidate only if it is not worse."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils.module_loading import import_string
from django_q.models import Schedule

from moderation import classifier, decisions
from moderation.tasks import retrain_comment_heads
from tests.factories import make_user, ready_video
from tiktok.models import ModelVersion
from videos.models import Comment

pytestmark = pytest.mark.django_db


def test_setup_schedules_creates_the_weekly_retraining_on_the_long_cluster(settings):
    settings.TIME_ZONE = "UTC"
    call_command("setup_schedules")
    job = Schedule.objects.get(func="moderation.tasks.retrain_comment_heads")
    assert job.schedule_type == Schedule.WEEKLY and job.repeats == -1 and job.cluster == "long"
    assert job.next_run.weekday() == 6 and job.next_run.strftime("%H:%M") == "03:30"
    assert dt.timedelta(0) < job.next_run - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)


def test_the_weekly_job_skips_when_no_moderator_decided_anything():
    job = import_string("moderation.tasks.retrain_comment_heads")  # as django-q finds it
    assert job(limit=40, heldout_limit=40).startswith("skipped")
    assert not ModelVersion.objects.filter(kind="comment_classifier").exists()


def test_the_weekly_job_trains_on_moderators_decisions_and_guards_activation(caplog):
    caplog.set_level("INFO", logger="moderation")
    video = ready_video(make_user("maker"), media=False)
    moderator = make_user("mod", is_staff=True)
    comment = Comment.objects.create(video=video, author=make_user("a"), text="you absolute clown, log off",
                                     state="held")  # fmt: skip
    decisions.comment_decide(comment=comment, outcome="rejected", actor=moderator, note="insult", categories=["HR"])

    # A candidate from 40 rows is worse than the shipped model on the held-out rows: registered, not active.
    summary = retrain_comment_heads(limit=40, heldout_limit=300)
    version = ModelVersion.objects.get(kind="comment_classifier")
    assert summary == f"version={version.version} activated=no human_rows=1"
    comparison = version.metrics["comparison"]
    assert comparison["activated"] is False and comparison["active_any_auprc"] > comparison["candidate_any_auprc"]
    assert version.params["counts"]["human"] == 1
    assert classifier.active_version() == classifier.Heads.load(classifier.SHIPPED_DIR).version
    assert "comparison" in caplog.text
    # Nothing new since that version: the next week's run does not train again.
    assert retrain_comment_heads(limit=40, heldout_limit=300).startswith("skipped")

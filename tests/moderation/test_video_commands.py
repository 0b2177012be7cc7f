# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""moderate_video re-runs the pipeline for one video and prints the decision with per-category
scores; moderation_report prints counts by outcome, category and provider, the override rate and
the appeal outcomes."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from moderation import decisions, reports
from moderation.services import decision_record
from tests.moderation.video_clips import clips, local_models, pending_video, whisper_dir  # noqa: F401
from videos.models import Video
from videos.services import video_apply_moderation

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_moderate_video_prints_each_stage_and_ends_with_the_decision_and_scores(local_models, make_user, clips):
    video = pending_video(make_user(), clips["colours"], title="Colour bars")
    lines = run("moderate_video", video.public_id)
    assert [line.split(":")[0] for line in lines[:4]] == ["stage text", "stage frames", "stage speech", "stage gemini"]
    assert lines[-2].startswith("reason: ")
    last = lines[-1].split()
    assert last[0] == f"video={video.pk}" and last[1].split("=")[1] in ("approved", "review", "rejected")
    assert [item.split("=")[0] for item in last[2:]] == ["S", "H", "V", "HR", "SH", "S3", "H2", "V2"]
    video.refresh_from_db()
    assert video.moderation == last[1].split("=")[1]


def test_moderate_video_refuses_an_unknown_or_unfinished_video(make_user):
    with pytest.raises(CommandError, match="No video"):
        call_command("moderate_video", "nope")
    video = Video.objects.create(creator=make_user(), title="t", processing="transcoding")
    with pytest.raises(CommandError, match="not transcoded"):
        call_command("moderate_video", str(video.pk))


def test_moderation_report_counts_outcomes_categories_providers_overrides_and_appeals(make_user):
    creator, moderator = make_user(), make_user(is_staff=True)
    thresholds = {c: {"review": 0.3, "reject": 0.9} for c in ["S", "H", "V", "HR", "SH", "S3", "H2", "V2"]}
    videos = [Video.objects.create(creator=creator, title=f"v{i}", processing="ready") for i in range(3)]
    decision_record(item=videos[0], source="auto", outcome="review", action="screen", scores={"H": 0.5},
                    thresholds=thresholds, model_versions={"comment_classifier": "v1", "nsfw": "n"})  # fmt: skip
    decision_record(item=videos[1], source="auto", outcome="rejected", action="screen", scores={"V": 0.95},
                    thresholds=thresholds, model_versions={"gemini": "gemini-2.5-flash"})  # fmt: skip
    decision_record(item=videos[2], source="auto", outcome="approved", action="screen", scores={},
                    thresholds=thresholds, model_versions={"comment_classifier": "v1"})  # fmt: skip
    for video in videos:
        video.refresh_from_db()
    video_apply_moderation(video=videos[1], outcome="rejected", reason="violence")
    decisions.video_decide(video=videos[0], outcome="approved", actor=moderator, note="fine")
    reports.appeal_create(video=videos[1], user=creator, reason="It is a film scene.")
    videos[1].refresh_from_db()
    decisions.video_decide(video=videos[1], outcome="approved", actor=moderator, note="staged")

    lines = run("moderation_report", "--days", "7")
    text = "\n".join(lines)
    assert "by outcome: approved=3 review=1 rejected=1" in text
    assert "by category: S=0 H=1 V=1" in text
    assert "comment_classifier=2" in text and "gemini=1" in text and "human=2" in text
    assert "human override rate: 0.667 (2 of 3 automatically decided items)" in text
    assert lines[-1] == "appeals: filed=1 accepted=1 upheld=0 pending=0"


def test_moderation_report_refuses_a_bad_window():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("moderation_report", "--days", "0")

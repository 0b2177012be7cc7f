# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""Deleting an account erases the person's text from the moderation records that outlive it.

A real clip with a spoken address and phone number goes through the real moderation stages
(Whisper, the text classifier, the frame model); a moderator removes it with a note, the person
appeals, another viewer's report quotes it. After the deletion no text or JSON column of any
model holds any of those strings, and the decisions keep their scores, outcomes and the reasons
the system wrote."""

import json
import re

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts import privacy
from accounts.registry import ERASED
from moderation import decisions, reports
from moderation.models import ModerationDecision, Report, VideoReview
from moderation.privacy import scrub
from moderation.services import decision_record
from moderation.video_jobs import video_moderation_run
from tests.factories import ready_video as listable_video
from tests.media import make_clip
from tests.moderation.video_clips import local_models, pending_video, whisper_dir  # noqa: F401
from videos.models import Comment

pytestmark = pytest.mark.django_db

VOICE = (
    "Hello, this is my walk. My address is twelve Elm Street, Springfield. "
    "Call me on five five five, zero one four two. "
    "I hate all of you people. You are vermin and you should all die."
)
TITLE = "My walk down Elm Street"
DESCRIPTION = "Ring me on 555 0142 any time"
BIO = "I live at 12 Elm Street, Springfield"
MODERATOR_NOTE = "Doxxing: reads out a home address on Elm Street"
APPEAL = "It is my own address, 12 Elm Street, and my own number, 555 0142; I may share them"
REPORT_NOTE = "He reads out his phone number 555 0142 and his address"
COMMENT = "my number is 555 0142, call me"


def scan_database(needles: list[str]) -> list[str]:
    """Every text and JSON column of every model, searched for each needle (case-insensitive)."""
    kinds = (models.CharField, models.TextField, models.JSONField)
    lowered = sorted({n.lower().strip() for n in needles if n.strip()})
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        columns = [f.name for f in model._meta.concrete_fields if isinstance(f, kinds)]
        if not columns:
            continue
        for row in model._default_manager.values_list("pk", *columns):
            for column, value in zip(columns, row[1:], strict=True):
                text = (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).lower()
                found += [f"{model._meta.label}.{column} (row {row[0]}): {n!r}" for n in lowered if n in text]
    return found


def test_the_scan_sees_inside_json_columns(make_user):
    video = listable_video(make_user("scanned"), title="Scan me")
    decision_record(item=video, source="auto", outcome="approved", evidence={"deep": [{"text": "Elm Street 12"}]})
    assert any("ModerationDecision.evidence" in hit for hit in scan_database(["elm street 12"]))
    assert any("videos.Video.title" in hit for hit in scan_database(["scan me"]))


def test_scrub_keeps_numbers_and_system_words_and_erases_every_other_string():
    stages = {
        "speech": {"status": "ok", "model": "whisper-base", "language": "en", "scores": {"H": 0.9}, "seconds": 1.5,
                   "evidence": [{"category": "H", "score": 0.9, "text": "12 Elm St", "words": ["elm"], "start": 1}]},
        "rules": ["possible S3"],
        "gemini": {"status": "ok", "explanation": "The speaker gives an address.", "timestamps": [{"t": 3, "w": "x"}]},
    }  # fmt: skip
    assert scrub(stages) == {
        "speech": {"status": "ok", "model": "whisper-base", "language": "en", "scores": {"H": 0.9}, "seconds": 1.5,
                   "evidence": [{"category": "H", "score": 0.9, "text": ERASED, "words": [ERASED], "start": 1}]},
        "rules": ["possible S3"],
        "gemini": {"status": "ok", "explanation": ERASED, "timestamps": [{"t": 3, "w": ERASED}]},
    }  # fmt: skip


def _phrase(pattern: str, text: str) -> str:
    match = re.search(pattern, text, flags=re.IGNORECASE)
    assert match, f"{pattern!r} not in the transcript {text!r}"
    return match.group(0)


def test_deletion_leaves_no_personal_text_in_any_column_and_keeps_the_decisions(
    local_models, make_user, tmp_path, settings
):
    person = make_user("leaving", display_name="Elm Street walker", bio=BIO)
    other = make_user("viewer")
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))

    clip = make_clip(tmp_path / "address.mp4", seconds=14, voice_text=VOICE, pattern="testsrc2")
    video = pending_video(person, clip, title=TITLE, description=DESCRIPTION)
    video_moderation_run(video=video)
    video.refresh_from_db()
    screen = ModerationDecision.objects.get(object_id=video.pk, action="screen", content_type__model="video")
    transcript = video.transcript
    assert screen.evidence["transcript_excerpt"] and "address" in transcript.lower(), transcript

    reports.report_create(reporter=other, item=video, category="HR", note=REPORT_NOTE)
    decisions.video_decide(video=video, outcome="rejected", actor=moderator, note=MODERATOR_NOTE)
    video.refresh_from_db()
    reports.appeal_create(video=video, user=person, reason=APPEAL)
    comment = Comment.objects.create(video=listable_video(other), author=person, text=COMMENT, state="published")
    decision_record(item=comment, source="auto", outcome="approved", text_snapshot=comment.text, subject_user=person)
    decision_record(
        item=person, source="auto", outcome="approved", text_snapshot=reports.snapshot(person), subject_user=person
    )
    LogEntry.objects.create(
        user=moderator, content_type=ContentType.objects.get_for_model(VideoReview, for_concrete_model=False),
        object_id=str(video.pk), object_repr=str(video), action_flag=CHANGE, change_message="[]",
    )  # fmt: skip

    # What Whisper heard (it writes "twelve Elm Street" and the number its own way).
    spoken = [transcript, _phrase(r"my address is[^.]*", transcript), _phrase(r"call me[^.]*", transcript)]
    spoken += [e["text"] for e in screen.evidence.get("speech", [])]
    typed = [TITLE, DESCRIPTION, BIO, MODERATOR_NOTE, APPEAL, REPORT_NOTE, COMMENT]
    needles = spoken + typed
    before = scan_database(needles)
    for needle in [spoken[1], spoken[2], *typed]:  # each is really in the database beforehand
        assert any(repr(needle.lower().strip()) in hit for hit in before), needle

    kept = {
        d.pk: (d.scores, d.outcome, d.action, d.source, d.model_versions, d.reason if d.source == "auto" else None)
        for d in ModerationDecision.objects.filter(subject_user=person)
    }
    assert {"screen", "appeal", "strike", ""} <= {action for _, _, action, _, _, _ in kept.values()}

    privacy.user_delete(user=person)

    assert scan_database(needles) == []
    for decision in ModerationDecision.objects.filter(pk__in=kept):
        scores, outcome, action, source, versions, auto_reason = kept[decision.pk]
        assert (decision.scores, decision.outcome, decision.action) == (scores, outcome, action)
        assert decision.source == source and decision.model_versions == versions
        assert decision.tombstoned and decision.text_snapshot == ""
        # A reason the system wrote stays; one a person typed (moderator, appellant) goes.
        assert decision.reason == (auto_reason if source == "auto" else ERASED)
    assert ModerationDecision.objects.filter(pk__in=kept).count() == len(kept)
    appeal = ModerationDecision.objects.get(pk__in=kept, action="appeal")
    assert appeal.actor is None and appeal.reason == ERASED
    human = ModerationDecision.objects.get(pk__in=kept, action="", source="human", outcome="rejected")
    assert human.actor == moderator  # a moderator's decision still says who decided
    tombstoned_screen = ModerationDecision.objects.get(pk=screen.pk)
    assert tombstoned_screen.stages["speech"]["status"] == "ok"
    assert tombstoned_screen.evidence["transcript_excerpt"] == ERASED
    report = Report.objects.get(reporter=other)
    assert report.note == ERASED and report.status == "upheld"

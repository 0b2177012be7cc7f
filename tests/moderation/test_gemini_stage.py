# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""The Gemini stage drives the real google-genai client against a local fake of the REST API
(GEMINI_BASE_URL): upload, wait for ACTIVE, structured answer, retries, deletion. No test contacts Google."""

import pytest

from moderation.models import ModerationDecision
from moderation.video_jobs import video_moderation_run
from tests.moderation.fake_gemini import well_formed_answer
from tests.moderation.video_clips import clips, gemini, local_models, pending_video, whisper_dir  # noqa: F401
from videos.models import Category
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db


def moderate(make_user, clips, title="Colour bars"):
    video = pending_video(make_user(), clips["colours"], title=title)
    video_moderation_run(video=video)
    video.refresh_from_db()
    return video, ModerationDecision.objects.filter(object_id=video.pk, action="screen").first()


def test_a_well_formed_answer_decides_and_the_uploaded_file_is_deleted(gemini, make_user, clips):
    fake = gemini(generate=[well_formed_answer(suggested_categories=["Comedy", "Not A Category"])])
    Category.objects.get_or_create(name="Comedy", defaults={"slug": "comedy"})
    video, decision = moderate(make_user, clips)
    stage = decision.stages["gemini"]
    assert stage["status"] == "ok" and stage["calls"] == {"upload": 1, "get": 1, "generate": 1, "delete": 1}
    assert fake.deleted == [stage["file"]] and stage["deleted"] is True
    assert fake.uploaded_bytes == clips["colours"].stat().st_size
    assert video.moderation == decision.outcome == "approved"
    assert list(video.categories.values_list("name", flat=True)) == ["Comedy"]
    assert stage["dropped_suggestions"] == ["Not A Category"]
    assert decision.model_versions["gemini"]
    # The prompt asked for structured output with the policy's categories.
    config = fake.prompts[0]["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert set(config["responseSchema"]["properties"]["scores"]["required"]) == {
        "S", "H", "V", "HR", "SH", "S3", "H2", "V2"
    }  # fmt: skip


def test_a_confident_violation_from_gemini_rejects_the_video_with_its_explanation(gemini, make_user, clips):
    answer = well_formed_answer(verdict="reject", explanation="A person is beaten at 1.5s.")
    answer["scores"]["V2"] = 0.97
    answer["timestamps"] = [{"seconds": 1.5, "category": "V2", "note": "graphic injury"}]
    gemini(generate=[answer])
    video, decision = moderate(make_user, clips)
    assert video.moderation == "rejected" and "violence/graphic" in video.moderation_reason
    assert decision.scores["V2"] == 0.97
    assert decision.evidence["gemini"]["timestamps"][0]["t"] == 1.5


def test_a_429_is_retried_and_the_retry_succeeds(gemini, make_user, clips):
    fake = gemini(generate=[429, well_formed_answer()])
    video, decision = moderate(make_user, clips)
    stage = decision.stages["gemini"]
    assert stage["status"] == "ok"
    assert fake.count("POST", r":generateContent$") == 2
    assert "generate attempt 1: HTTP 429" in stage["errors"][0]
    assert video.moderation == "approved"


def test_503_until_the_retries_run_out_holds_the_video_for_review_with_the_failure_recorded(gemini, make_user, clips):
    fake = gemini(generate=[503])
    video, decision = moderate(make_user, clips)
    stage = decision.stages["gemini"]
    assert stage["status"] == "failed" and "HTTP 503" in stage["error"]
    assert fake.count("POST", r":generateContent$") == 3 and stage["calls"]["generate"] == 3
    assert fake.deleted  # the upload is removed even when the stage fails
    assert video.moderation == "review" and "gemini check could not run" in video.moderation_reason
    assert not listable_videos().filter(pk=video.pk).exists()


def test_malformed_json_from_the_model_holds_the_video_for_review(gemini, make_user, clips):
    gemini(generate=['{"scores": {"S": 0.1, "H": '])
    video, decision = moderate(make_user, clips)
    assert decision.stages["gemini"]["status"] == "failed"
    assert "malformed" in decision.stages["gemini"]["error"]
    assert video.moderation == "review"


def test_a_file_stuck_in_processing_times_out_into_review(gemini, make_user, clips):
    fake = gemini(file_states=["PROCESSING"])
    video, decision = moderate(make_user, clips)
    assert "still PROCESSING" in decision.stages["gemini"]["error"]
    assert fake.count("POST", r":generateContent$") == 0 and fake.deleted
    assert video.moderation == "review"


def test_without_an_api_key_the_stage_is_skipped_not_failed(local_models, make_user, clips):
    video, decision = moderate(make_user, clips)
    assert decision.stages["gemini"]["status"] == "skipped"
    assert "gemini" not in decision.model_versions

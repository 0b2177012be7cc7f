# ruff: noqa: F811  (the shared fixtures are imported by name and then requested as arguments)
"""The offline stage on generated clips, through the real upload and transcoding pipeline: hateful
speech or a threatening title is held or removed under the category that fits, with evidence that
points at the words; friendly speech is approved and gets captions; colour patterns score S near zero."""

import pytest
from django.conf import settings

from moderation.models import ModerationDecision
from moderation.video_jobs import video_moderation_run
from tests.moderation.video_clips import clips, local_models, pending_video, through_pipeline, whisper_dir  # noqa: F401
from videos.selectors import listable_videos

pytestmark = pytest.mark.django_db
HOSTILE = {"H", "H2", "V", "HR"}


def screen_of(video):
    return ModerationDecision.objects.filter(object_id=video.pk, action="screen", content_type__model="video").first()


def test_hateful_speech_is_held_or_removed_with_the_transcript_as_evidence(local_models, make_user, clips):
    video = through_pipeline(make_user(), clips["hateful"], title="My morning", description="Just talking")
    decision = screen_of(video)
    assert video.moderation in ("review", "rejected"), decision.reason
    assert not listable_videos().filter(pk=video.pk).exists()
    speech = decision.evidence["speech"]
    assert {e["category"] for e in speech} & HOSTILE
    assert any("kill" in e["text"].lower() or "hate" in e["text"].lower() for e in speech)
    assert "vermin" in video.transcript.lower() or "kill" in video.transcript.lower()
    assert decision.stages["speech"]["status"] == "ok" and decision.model_versions["whisper"]


def test_friendly_speech_is_approved_and_gets_captions(local_models, make_user, clips):
    video = through_pipeline(make_user(), clips["friendly"], title="Lemon cake", description="Baking with friends")
    decision = screen_of(video)
    assert video.moderation == "approved", decision.reason
    assert listable_videos().filter(pk=video.pk).exists()
    assert video.captions_vtt.startswith("WEBVTT") and "-->" in video.captions_vtt
    assert "cake" in video.captions_vtt.lower()
    assert {"text", "frames", "speech"} <= set(decision.stages)


def test_a_threatening_title_is_held_with_the_title_as_evidence(local_models, make_user, clips):
    video = pending_video(make_user(), clips["colours"], title="I will find you and kill you and your whole family")
    video_moderation_run(video=video)
    video.refresh_from_db()
    decision = screen_of(video)
    assert video.moderation in ("review", "rejected"), decision.reason
    text = decision.evidence["text"]
    assert text and text[0]["field"] == "title" and text[0]["category"] in HOSTILE
    assert text[0]["words"]


def test_plain_colour_patterns_score_sexual_content_near_zero(local_models, make_user, clips):
    video = pending_video(make_user(), clips["colours"], title="Colour bars")
    video_moderation_run(video=video)
    decision = screen_of(video)
    frames = decision.stages["frames"]
    assert frames["status"] == "ok" and frames["scores"]["S"] < 0.1
    assert 1 <= len(frames["frames"]) <= 30
    assert decision.stages["speech"]["status"] == "skipped"  # a silent clip
    thumbs = [f for f in decision.evidence["frames"] if "thumb" in f]
    assert thumbs
    assert (settings.MEDIA_ROOT / "moderation" / video.public_id / thumbs[0]["thumb"]).is_file()


def test_a_title_in_a_language_not_read_here_is_held_without_gemini(local_models, make_user, clips, settings):
    """Video texts take the one text decision, language handling included: an Arabic title is not
    trusted with the English model's low scores, the video waits for a person and the reason says why."""
    settings.GEMINI_API_KEY = ""
    video = pending_video(make_user(), clips["colours"], title="وصفة كعكة الليمون مع العائلة")
    video_moderation_run(video=video)
    video.refresh_from_db()
    decision = screen_of(video)
    assert video.moderation == "review", decision.reason
    assert "language" in decision.reason
    assert decision.stages["text"]["languages"]["title"]["code"] == "ar"
    assert not listable_videos().filter(pk=video.pk).exists()

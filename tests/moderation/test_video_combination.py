"""The documented combination rule on stage results: the per-category maximum over the stages that
see the category, frames only for S, the possible-S3 rule, and the policy's thresholds."""

from moderation.models import CATEGORIES
from moderation.video_rules import StageResult, combine, decide

THRESHOLDS = {c: {"review": 0.3, "reject": 0.9} for c in CATEGORIES}


def ok(**scores):
    return StageResult(status="ok", scores=scores)


def test_each_category_takes_the_maximum_over_the_stages_and_frames_speak_only_to_s():
    stages = {"text": ok(H=0.2, V=0.1), "speech": ok(H=0.6, V=0.05), "frames": ok(S=0.4, V=0.99), "gemini": ok(V=0.7)}
    scores, notes = combine(stages, texts=["a title"])
    assert (scores["H"], scores["V"], scores["S"]) == (0.6, 0.7, 0.4)
    assert notes == []


def test_stages_that_did_not_run_do_not_count():
    stages = {"text": ok(H=0.1), "gemini": StageResult(status="failed", scores={"H": 0.99})}
    scores, _ = combine(stages, texts=[])
    assert scores["H"] == 0.1


def test_sexual_frames_with_words_about_minors_go_to_review_as_possible_s3_never_rejected():
    stages = {"text": ok(S3=0.01), "frames": ok(S=0.95)}
    scores, notes = combine(stages, texts=["my 14 year old at the beach"])
    assert notes == ["possible S3"] and scores["S3"] == 0.95
    outcome, reason = decide(scores=scores, thresholds=THRESHOLDS, stages=stages, notes=notes)
    # Even where S alone would remove the video, a person sees it (it may have to be escalated).
    assert outcome == "review" and "sexual/minors (0.95)" in reason and "words suggest minors" in reason
    stages = {"text": ok(), "frames": ok(S=0.6)}
    scores, notes = combine(stages, texts=["school girls dancing"])
    outcome, reason = decide(scores=scores, thresholds=THRESHOLDS, stages=stages, notes=notes)
    assert outcome == "review" and "sexual/minors" in reason


def test_the_same_frames_without_words_about_minors_do_not_raise_s3():
    scores, notes = combine({"frames": ok(S=0.6)}, texts=["beach day with friends"])
    assert notes == [] and scores["S3"] == 0.0


def test_thresholds_decide_and_a_failed_stage_holds_the_video():
    stages = {"text": ok(H=0.1), "speech": StageResult(status="failed", error="no whisper")}
    scores, notes = combine(stages, texts=[])
    outcome, reason = decide(scores=scores, thresholds=THRESHOLDS, stages=stages, notes=notes)
    assert outcome == "review" and "the speech check could not run" in reason
    stages = {"text": ok(H=0.95)}
    scores, notes = combine(stages, texts=[])
    assert decide(scores=scores, thresholds=THRESHOLDS, stages=stages, notes=notes)[0] == "rejected"
    stages = {"text": ok(H=0.1)}
    scores, notes = combine(stages, texts=[])
    assert decide(scores=scores, thresholds=THRESHOLDS, stages=stages, notes=notes) == (
        "approved",
        "No policy category reached its threshold.",
    )


def test_a_gemini_verdict_can_hold_but_not_decide_alone():
    gemini = StageResult(status="ok", scores={c: 0.05 for c in CATEGORIES}, detail={"verdict": "reject"})
    stages = {"text": ok(), "gemini": gemini}
    scores, notes = combine(stages, texts=[])
    outcome, reason = decide(scores=scores, thresholds=THRESHOLDS, stages=stages, notes=notes)
    assert outcome == "review" and "Gemini suggested reject" in reason

"""Automatic moderation of one transcoded video: run the stages (`video_stages`), combine their
per-category scores and decide with the video scope's policy (`video_rules`), keep the evidence,
and record the decision. Any stage that fails sends the video to review (fail closed). The job
around a run (claim, heartbeat, retries, sweeper) is `video_jobs`."""

import logging
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services import notification_send
from moderation import classifier, gemini
from moderation.models import ModerationDecision, ModerationPolicy, VideoModerationJob
from moderation.services import decision_record, decisions_for, policy_thresholds
from moderation.video_rules import VISUAL_LIMITATION, StageResult, combine, decide
from moderation.video_stages import (
    StageFailed,
    stage_frames,
    stage_gemini,
    stage_speech,
    stage_text,
    video_file,
    video_texts,
)
from videos.models import Video
from videos.services import video_apply_moderation, video_attach_speech, video_suggest_categories

log = logging.getLogger(__name__)

EXCERPT_CHARS = 600


def _evidence(stages: dict[str, StageResult], transcript: str) -> dict:
    evidence: dict = {"limitations": VISUAL_LIMITATION}
    text = stages.get("text")
    if text and text.detail.get("evidence"):
        evidence["text"] = text.detail["evidence"]
    speech = stages.get("speech")
    if speech and speech.detail.get("evidence"):
        evidence["speech"] = speech.detail["evidence"]
    frames = stages.get("frames")
    if frames and frames.detail.get("frames"):
        evidence["frames"] = [f for f in frames.detail["frames"] if "thumb" in f]
    gemini = stages.get("gemini")
    if gemini and gemini.status == "ok":
        evidence["gemini"] = {
            "explanation": gemini.detail.get("explanation", ""),
            "timestamps": gemini.detail.get("timestamps", []),
        }
    if transcript:
        evidence["transcript_excerpt"] = transcript[:EXCERPT_CHARS]
    return evidence


def _stage_json(stages: dict[str, StageResult]) -> dict:
    out = {}
    for name, result in stages.items():
        data = result.as_json()
        # The full transcript and captions live on the video; the stage keeps what explains it.
        for bulky in ("vtt", "segments", "transcript", "fields") if name == "speech" else ():
            data.pop(bulky, None)
        out[name] = data
    return out


def _run_stage(name: str, func, stages: dict, job=None):
    if job is not None:
        VideoModerationJob.objects.filter(pk=job.pk).update(stage=name, heartbeat_at=timezone.now())
    started = time.monotonic()
    try:
        result = func()
    except StageFailed as exc:
        log.warning("video moderation stage %s failed: %s", name, exc)
        result = StageResult(status="failed", error=str(exc)[:500], attempts=exc.attempts, detail=exc.detail)
    except Exception as exc:  # a bug in one stage must not publish the video: it fails the stage
        log.exception("video moderation stage %s crashed", name)
        result = StageResult(status="failed", error=f"{type(exc).__name__}: {exc}"[:500], attempts=1)
    result.seconds = time.monotonic() - started
    if result.status == "ok" and not result.attempts:
        result.attempts = 1
    stages[name] = result
    return result


def video_moderate(*, video, job=None) -> ModerationDecision:
    """Run every stage on `video`, record the automatic decision and apply it."""
    thresholds = policy_thresholds(scope=ModerationPolicy.Scope.VIDEOS)
    stages: dict[str, StageResult] = {}
    workdir = Path(tempfile.mkdtemp(prefix="moderate-"))
    try:
        try:
            path = video_file(video, workdir)
        except StageFailed as exc:
            path = None
            missing = str(exc)
        _run_stage("text", lambda: stage_text(video, thresholds), stages, job)
        for name, func in (
            ("frames", lambda: stage_frames(video, path, workdir)),
            ("speech", lambda: stage_speech(video, path, thresholds)),
        ):
            _run_stage(name, func if path else _raiser(missing), stages, job)
        transcript = stages["speech"].detail.get("transcript", "")
        _run_stage("gemini", (lambda: stage_gemini(video, path, transcript)) if path else _gemini_or_fail(missing),
                   stages, job)  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    texts = [*video_texts(video).values(), transcript]
    scores, notes = combine(stages, texts=texts)
    outcome, reason = decide(scores=scores, thresholds=thresholds, stages=stages, notes=notes)
    versions = _versions(stages)
    return _record(video, outcome, reason, scores, thresholds, versions, stages, notes, transcript)


def _raiser(message: str):
    def fail():
        raise StageFailed(message)

    return fail


def _gemini_or_fail(message: str):
    if not gemini.configured():
        return lambda: StageResult(status="skipped", detail={"note": "GEMINI_API_KEY is not set."})
    return _raiser(message)


def _versions(stages: dict[str, StageResult]) -> dict:
    versions = {}
    if stages.get("text") and stages["text"].status == "ok" or stages.get("speech", StageResult()).status == "ok":
        try:
            versions["comment_classifier"] = classifier.active_version()
        except Exception:  # the version is a label; a classifier that could not load has none
            versions["comment_classifier"] = "unavailable"
    if stages.get("frames") and stages["frames"].status == "ok":
        versions["nsfw"] = stages["frames"].detail.get("model", "")
    if stages.get("speech") and stages["speech"].status == "ok":
        versions["whisper"] = stages["speech"].detail.get("model", "")
    if stages.get("gemini") and stages["gemini"].status != "skipped":
        versions["gemini"] = stages["gemini"].detail.get("model_version") or settings.GEMINI_MODEL
    return versions


@transaction.atomic
def _record(video, outcome, reason, scores, thresholds, versions, stages, notes, transcript):
    video = Video.objects.select_for_update().get(pk=video.pk)
    speech = stages.get("speech")
    if speech and speech.status == "ok":
        # Captions the creator edited are theirs; a re-run refreshes only generated ones.
        edited = decisions_for(item=video).filter(action="captions").exists()
        video_attach_speech(
            video=video,
            transcript=speech.detail.get("transcript", ""),
            captions_vtt=None if edited else speech.detail.get("vtt", ""),
        )
    gemini_stage = stages.get("gemini")
    if gemini_stage and gemini_stage.status == "ok" and gemini_stage.detail.get("suggested_categories"):
        video_suggest_categories(video=video, names=gemini_stage.detail["suggested_categories"])
    decision = decision_record(
        item=video,
        source=ModerationDecision.Source.AUTO,
        outcome=outcome,
        reason=reason,
        action="screen",
        text_snapshot=f"{video.title}\n{video.description}",
        subject_user=video.creator,
        scores=scores,
        thresholds=thresholds,
        model_versions=versions,
        stages={**_stage_json(stages), "rules": notes},
        evidence=_evidence(stages, transcript),
    )
    video_apply_moderation(video=video, outcome=outcome, reason=reason)
    _notify_creator(video, outcome, reason)
    return decision


def _notify_creator(video, outcome: str, reason: str) -> None:
    text = {
        ModerationDecision.Outcome.APPROVED: f"Your video “{video.title[:60]}” is published.",
        ModerationDecision.Outcome.REVIEW: f"Your video “{video.title[:60]}” is waiting for a moderator.",
        ModerationDecision.Outcome.REJECTED: f"Your video “{video.title[:60]}” was removed: {reason}",
    }[outcome]
    url = reverse("moderation:appeal" if outcome == "rejected" else "videos:status", args=[video.public_id])
    notification_send(recipient=video.creator, kind="moderation", text=text, url=url)


def video_rescreen_text(*, video, previous: ModerationDecision) -> ModerationDecision:
    """After a creator edits the title or description, only the text stage runs again; the other
    stages' results come from the previous automatic decision (the picture and sound did not change)."""
    thresholds = policy_thresholds(scope=ModerationPolicy.Scope.VIDEOS)
    stages: dict[str, StageResult] = {}
    for name in ("frames", "speech", "gemini"):
        old = (previous.stages or {}).get(name)
        if old:
            stages[name] = StageResult(
                status=old.get("status", "failed"), scores=old.get("scores", {}), seconds=old.get("seconds", 0.0),
                attempts=old.get("attempts", 0), error=old.get("error", ""),
                detail={k: v for k, v in old.items() if k not in {"status", "scores", "seconds", "attempts", "error"}},
            )  # fmt: skip
    if "frames" in stages and previous.evidence.get("frames"):
        stages["frames"].detail["frames"] = previous.evidence["frames"]
    _run_stage("text", lambda: stage_text(video, thresholds), stages)
    transcript = video.transcript or ""
    scores, notes = combine(stages, texts=[*video_texts(video).values(), transcript])
    outcome, reason = decide(scores=scores, thresholds=thresholds, stages=stages, notes=notes)
    return _record(video, outcome, reason, scores, thresholds, _versions(stages), stages, notes, transcript)

"""Automatic moderation of one transcoded video: run the stages (text, frames, speech, Gemini), combine
their per-category scores by the documented rule, decide with the video scope's policy, keep the
evidence, and record the decision. Any stage that fails sends the video to review (fail closed).

The combination rule (docs/video-moderation.md): for every category the combined score is the
maximum over the stages that can see it, because the stages look at different parts of a video and
any one of them seeing a violation is enough. Frames speak only to S. A sexual-looking frame on a
video whose words suggest minors raises S3 to review at least ("possible S3"), never to an
automatic rejection. Gemini's own verdict can hold a video for review, never reject or approve it
on its own."""

import logging
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from moderation.models import CATEGORIES, CATEGORY_NAMES, ModerationDecision, ModerationPolicy, VideoModerationJob

log = logging.getLogger(__name__)

# What each stage can judge. Frames carry only the NSFW image model, so only S; nothing offline
# judges violent or graphic imagery (V/V2 from pictures is left to Gemini or to people).
STAGE_CATEGORIES = {
    "text": CATEGORIES,
    "speech": CATEGORIES,
    "frames": ["S"],
    "gemini": CATEGORIES,
}
MINOR_WORDS = re.compile(
    r"\b(kids?|child(ren)?|minors?|underage|teen(ager)?s?|school ?(girl|boy)s?|little (girl|boy)s?|"
    r"preteens?|(1[0-7]|[1-9]) ?(yo|y/o|years? old))\b",
    re.IGNORECASE,
)
S3_FRAME_FLOOR = 0.5  # an S frame score from which words about minors make the video "possible S3"
EXCERPT_CHARS = 600
VISUAL_LIMITATION = (
    "No offline model judges violent or graphic imagery: visual V/V2 is checked by Gemini when it is "
    "configured, otherwise only by people."
)


@dataclass
class StageResult:
    status: str = "skipped"  # ok | failed | skipped
    scores: dict = field(default_factory=dict)
    seconds: float = 0.0
    attempts: int = 0
    error: str = ""
    detail: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = {"status": self.status, "scores": self.scores, "seconds": round(self.seconds, 3)}
        if self.attempts:
            data["attempts"] = self.attempts
        if self.error:
            data["error"] = self.error
        data.update(self.detail)
        return data


class StageFailed(RuntimeError):
    def __init__(self, message: str, *, attempts: int = 1, detail: dict | None = None):
        super().__init__(message)
        self.attempts = attempts
        self.detail = detail or {}


# ---------------------------------------------------------------------------------------------
# Inputs


def video_file(video) -> Path:
    """The transcoded rendition the stages look at (the largest one done)."""
    from videos.models import Encoding

    root = Path(settings.MEDIA_ROOT)
    done = [e for e in video.encodings.filter(status=Encoding.Status.DONE) if e.path and (root / e.path).is_file()]
    done.sort(key=lambda e: (e.height or 0) * (e.width or 0), reverse=True)
    if done:
        return root / done[0].path
    if video.source_path and Path(video.source_path).is_file():
        return Path(video.source_path)
    raise StageFailed("The transcoded file is missing.")


def video_texts(video) -> dict[str, str]:
    hashtags = " ".join(f"#{h.name}" for h in video.hashtags.all())
    return {"title": video.title or "", "description": video.description or "", "hashtags": hashtags}


def evidence_dir(video) -> Path:
    return Path(settings.MEDIA_ROOT) / "moderation" / video.public_id


# ---------------------------------------------------------------------------------------------
# Stages


def _classifier():
    from moderation import classifier

    return classifier


def _explain(text: str, scores: dict, thresholds: dict) -> dict:
    """The words that drove each category at or above its review threshold."""
    classifier = _classifier()
    words = {}
    for code in CATEGORIES:
        if code in scores and code in thresholds and scores[code] >= thresholds[code]["review"]:
            try:
                words[code] = classifier.explain(text, code, top_k=5)
            except Exception as exc:  # an explanation is a courtesy; its failure must not fail the stage
                log.warning("explain failed for %s: %s", code, exc)
    return words


def stage_text(video, thresholds: dict) -> StageResult:
    classifier = _classifier()
    texts = {k: v for k, v in video_texts(video).items() if classifier.clean_text(v)}
    if not texts:
        return StageResult(status="ok", scores={c: 0.0 for c in CATEGORIES}, detail={"fields": {}})
    try:
        scored = classifier.score_texts(list(texts.values()))
    except Exception as exc:  # ClassifierUnavailable and whatever the model raises
        raise StageFailed(f"The text classifier could not run: {exc}") from exc
    per_field = dict(zip(texts.keys(), scored, strict=True))
    combined = {c: round(max(s.get(c, 0.0) for s in scored), 4) for c in CATEGORIES}
    evidence = []
    for name, scores in per_field.items():
        words = _explain(texts[name], scores, thresholds)
        for code, found in words.items():
            evidence.append({"field": name, "category": code, "score": round(scores[code], 4),
                             "text": texts[name][:300], "words": found})  # fmt: skip
    foreign = any(classifier.foreign_script(t) for t in texts.values())
    return StageResult(
        status="ok",
        scores=combined,
        detail={
            "fields": {k: {c: round(v, 4) for c, v in s.items()} for k, s in per_field.items()},
            "evidence": evidence,
            "foreign_script": foreign,
        },
    )


def stage_frames(video, path: Path, workdir: Path) -> StageResult:
    from moderation import frames, nsfw

    try:
        sampled = frames.sample(
            path, workdir / "frames", duration=video.duration or 0.0, max_frames=settings.VIDEO_MODERATION_MAX_FRAMES
        )
        scores = nsfw.score_images([f.path for f in sampled])
    except (frames.FramesUnavailable, nsfw.NSFWUnavailable) as exc:
        raise StageFailed(str(exc)) from exc
    ranked = sorted(zip(sampled, scores, strict=True), key=lambda pair: pair[1], reverse=True)
    keep = {id(f) for f, _ in ranked[: settings.VIDEO_MODERATION_EVIDENCE_FRAMES]}
    target = evidence_dir(video)
    shutil.rmtree(target, ignore_errors=True)
    listed = []
    for frame, score in zip(sampled, scores, strict=True):
        item = {"t": frame.time, "nsfw": score}
        if id(frame) in keep:
            name = f"frame-{int(frame.time * 1000):07d}.jpg"
            frames.thumbnail(frame.path, target / name)
            item["thumb"] = name
        listed.append(item)
    return StageResult(
        status="ok",
        scores={"S": round(max(scores), 4)},
        detail={"frames": listed, "model": nsfw.model_version()},
    )


def stage_speech(video, path: Path, thresholds: dict) -> StageResult:
    from moderation import speech

    if not video.has_audio:
        return StageResult(status="skipped", detail={"note": "The video has no audio track."})
    try:
        transcript = speech.transcribe(path)
    except speech.SpeechUnavailable as exc:
        raise StageFailed(str(exc)) from exc
    detail = {
        "model": transcript.model,
        "language": transcript.language,
        "transcript": transcript.text,
        "vtt": speech.segments_to_vtt(transcript.segments),
        "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in transcript.segments],
    }
    if not transcript.text:
        return StageResult(status="ok", scores={c: 0.0 for c in CATEGORIES}, detail=detail)
    classifier = _classifier()
    pieces = [transcript.text] + [s.text for s in transcript.segments]
    try:
        scored = classifier.score_texts(pieces)
    except Exception as exc:
        raise StageFailed(f"The text classifier could not score the transcript: {exc}") from exc
    combined = {c: round(max(s.get(c, 0.0) for s in scored), 4) for c in CATEGORIES}
    evidence = []
    for code in CATEGORIES:
        if combined[code] < thresholds[code]["review"]:
            continue
        # Point at the segment that scored highest for the category (or the whole transcript).
        best = max(range(len(scored)), key=lambda i: scored[i].get(code, 0.0))
        seg = transcript.segments[best - 1] if best > 0 else None
        text = seg.text if seg else transcript.text[:300]
        evidence.append({
            "category": code, "score": round(scored[best][code], 4), "text": text,
            "start": seg.start if seg else 0.0, "end": seg.end if seg else None,
            "words": _explain(text, {code: scored[best][code]}, {code: thresholds[code]}).get(code, []),
        })  # fmt: skip
    detail["evidence"] = evidence
    detail["foreign_script"] = classifier.foreign_script(transcript.text)
    return StageResult(status="ok", scores=combined, detail=detail)


def stage_gemini(video, path: Path, transcript: str) -> StageResult:
    from moderation import gemini
    from videos.models import Category

    if not gemini.configured():
        return StageResult(status="skipped", detail={"note": "GEMINI_API_KEY is not set."})
    allowed = list(Category.objects.filter(active=True).values_list("name", flat=True))
    try:
        result = gemini.analyse(
            path=path, title=video.title, description=video.description, transcript=transcript, categories=allowed
        )
    except gemini.GeminiFailed as exc:
        raise StageFailed(str(exc), attempts=_calls(exc.record), detail=_gemini_detail(exc.record)) from exc
    return StageResult(
        status="ok",
        scores=result.scores,
        attempts=_calls(result.record),
        detail={
            **_gemini_detail(result.record),
            "verdict": result.verdict,
            "explanation": result.explanation,
            "timestamps": result.timestamps,
            "suggested_categories": result.suggested_categories,
        },
    )


def _calls(record: dict) -> int:
    return sum(record.get("attempts", {}).values())


def _gemini_detail(record: dict) -> dict:
    # "attempts" of a stage is a count; the per-call attempts of the Gemini stage go under "calls".
    return {**{k: v for k, v in record.items() if k != "attempts"}, "calls": record.get("attempts", {})}


# ---------------------------------------------------------------------------------------------
# Combination and decision


def combine(stages: dict[str, StageResult], *, texts: list[str]) -> tuple[dict, list[str]]:
    """Per-category maximum over the stages that ran; returns (scores, notes on special rules)."""
    combined = {c: 0.0 for c in CATEGORIES}
    for name, result in stages.items():
        if result.status != "ok":
            continue
        for code in STAGE_CATEGORIES[name]:
            if code in result.scores:
                combined[code] = max(combined[code], float(result.scores[code]))
    notes = []
    frame_s = stages.get("frames", StageResult()).scores.get("S", 0.0)
    if frame_s >= S3_FRAME_FLOOR and any(MINOR_WORDS.search(t or "") for t in texts):
        notes.append("possible S3")
        combined["S3"] = max(combined["S3"], frame_s)
    return {c: round(v, 4) for c, v in combined.items()}, notes


def decide(*, scores: dict, thresholds: dict, stages: dict[str, StageResult], notes: list[str]) -> tuple[str, str]:
    Outcome = ModerationDecision.Outcome
    rejected = [c for c in CATEGORIES if scores[c] >= thresholds[c]["reject"]]
    review = [c for c in CATEGORIES if c not in rejected and scores[c] >= thresholds[c]["review"]]
    if "possible S3" in notes:
        # Sexual-looking frames plus words about minors is an inference, not a finding: a person decides.
        rejected = [c for c in rejected if c != "S3"]
        if "S3" not in review:
            review.append("S3")
    failed = [name for name, r in stages.items() if r.status == "failed"]

    def named(cats):
        return ", ".join(f"{CATEGORY_NAMES[c]} ({scores[c]:.2f})" for c in cats)

    if rejected and "possible S3" not in notes:
        return Outcome.REJECTED, f"Removed automatically: {named(rejected)}."
    reasons = []
    if "possible S3" in notes:
        # Possible sexual content involving minors is always seen by a person (it may have to be
        # escalated), even when another category would have removed the video on its own.
        reasons.append("sexual-looking frames on a video whose words suggest minors")
        review = [*rejected, *review]
    if review:
        reasons.append(f"possible {named(review)}")
    if failed:
        reasons.append("the " + ", ".join(failed) + " check could not run")
    gemini = stages.get("gemini")
    if gemini and gemini.status == "ok" and gemini.detail.get("verdict") in ("review", "reject") and not review:
        reasons.append(f"Gemini suggested {gemini.detail['verdict']}")
    for name in ("text", "speech"):
        result = stages.get(name)
        if result and result.status == "ok" and result.detail.get("foreign_script"):
            reasons.append(f"the {name} is mostly in a script the classifier cannot read")
    if reasons:
        return Outcome.REVIEW, "Held for review: " + "; ".join(reasons) + "."
    return Outcome.APPROVED, "No policy category reached its threshold."


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
    from moderation.services import policy_thresholds

    thresholds = policy_thresholds(scope=ModerationPolicy.Scope.VIDEOS)
    stages: dict[str, StageResult] = {}
    workdir = Path(tempfile.mkdtemp(prefix="moderate-"))
    try:
        try:
            path = video_file(video)
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
    from moderation import gemini

    if not gemini.configured():
        return lambda: StageResult(status="skipped", detail={"note": "GEMINI_API_KEY is not set."})
    return _raiser(message)


def _versions(stages: dict[str, StageResult]) -> dict:
    versions = {}
    if stages.get("text") and stages["text"].status == "ok" or stages.get("speech", StageResult()).status == "ok":
        try:
            versions["comment_classifier"] = _classifier().active_version()
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
    from moderation.services import decision_record, decisions_for
    from videos.models import Category, Video
    from videos.services import video_apply_moderation

    video = Video.objects.select_for_update().get(pk=video.pk)
    speech = stages.get("speech")
    fields = []
    if speech and speech.status == "ok":
        video.transcript = speech.detail.get("transcript", "")
        fields.append("transcript")
        # Captions the creator edited are theirs; a re-run refreshes only generated ones.
        if not decisions_for(item=video).filter(action="captions").exists():
            video.captions_vtt = speech.detail.get("vtt", "")
            fields.append("captions_vtt")
    gemini = stages.get("gemini")
    if gemini and gemini.status == "ok" and gemini.detail.get("suggested_categories") and not video.categories.exists():
        video.categories.set(Category.objects.filter(name__in=gemini.detail["suggested_categories"], active=True))
    if fields:
        video.save(update_fields=[*fields, "updated_at"])
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
    transaction.on_commit(lambda: _notify_creator(video, outcome, reason))
    return decision


def _notify_creator(video, outcome: str, reason: str) -> None:
    from moderation.reports import notify

    text = {
        ModerationDecision.Outcome.APPROVED: f"Your video “{video.title[:60]}” is published.",
        ModerationDecision.Outcome.REVIEW: f"Your video “{video.title[:60]}” is waiting for a moderator.",
        ModerationDecision.Outcome.REJECTED: f"Your video “{video.title[:60]}” was removed: {reason}",
    }[outcome]
    url = f"/moderation/appeal/{video.public_id}/" if outcome == "rejected" else f"/v/{video.public_id}/status/"
    notify(recipient=video.creator, text=text, url=url)


# ---------------------------------------------------------------------------------------------
# The job around a run: claimed with a conditional UPDATE, a heartbeat per stage, found again by the
# sweeper when its worker dies.


def job_claim(*, video) -> VideoModerationJob | None:
    """Claim the video's moderation job; None when another worker holds a live claim."""
    from datetime import timedelta

    from django.db.models import F, Q

    now = timezone.now()
    job, _ = VideoModerationJob.objects.get_or_create(video=video)
    stale = now - timedelta(seconds=settings.VIDEO_MODERATION_STALE_SECONDS)
    S = VideoModerationJob.Status
    claimed = (
        VideoModerationJob.objects.filter(pk=job.pk)
        .filter(Q(status__in=[S.QUEUED, S.DONE, S.FAILED]) | Q(status=S.RUNNING, heartbeat_at__lt=stale))
        .update(status=S.RUNNING, attempts=F("attempts") + 1, claimed_at=now, heartbeat_at=now, stage="", error="")
    )
    if not claimed:
        return None
    job.refresh_from_db()
    return job


def video_moderation_run(*, video) -> str:
    """Moderate `video` under its job row; always leaves a decision (review when the run breaks)."""
    from moderation.services import decision_record
    from videos.services import video_apply_moderation

    job = job_claim(video=video)
    if job is None:
        log.info("video %s: moderation already running elsewhere", video.pk)
        return video.moderation
    S = VideoModerationJob.Status
    try:
        decision = video_moderate(video=video, job=job)
    except Exception as exc:  # the last line of fail-closed: whatever broke, the video gets a state
        log.exception("video %s: moderation run failed", video.pk)
        reason = "Held for review: automatic moderation failed and a moderator will look at it."
        with transaction.atomic():
            decision = decision_record(
                item=video,
                source=ModerationDecision.Source.AUTO,
                outcome=ModerationDecision.Outcome.REVIEW,
                reason=reason,
                action="screen",
                text_snapshot=f"{video.title}\n{video.description}",
                subject_user=video.creator,
                stages={
                    "run": {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500], "attempts": job.attempts}
                },  # fmt: skip
            )
            video_apply_moderation(video=video, outcome=decision.outcome, reason=reason)
        VideoModerationJob.objects.filter(pk=job.pk).update(
            status=S.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        return decision.outcome
    VideoModerationJob.objects.filter(pk=job.pk).update(status=S.DONE, stage="", finished_at=timezone.now())
    return decision.outcome


def video_moderation_enqueue(*, video) -> None:
    """Queue a (re-)run on the long cluster; the job row says it is waiting, for the sweeper."""
    from tiktok.jobs import enqueue

    job, _ = VideoModerationJob.objects.get_or_create(video=video)
    VideoModerationJob.objects.filter(pk=job.pk).exclude(status=VideoModerationJob.Status.RUNNING).update(
        status=VideoModerationJob.Status.QUEUED, heartbeat_at=timezone.now(), error=""
    )
    enqueue("moderation.tasks.moderate_video", video.pk, long=True)


def moderation_sweep() -> int:
    """Requeue moderation whose worker died (running, heartbeat stale), whose task was lost (queued
    for too long), or that never started (a ready video still pending with no job). After
    VIDEO_MODERATION_MAX_ATTEMPTS runs the video is held for review instead. Returns how many."""
    from datetime import timedelta

    from moderation.services import decision_record
    from videos.models import Video
    from videos.services import video_apply_moderation

    S = VideoModerationJob.Status
    stale = timezone.now() - timedelta(seconds=settings.VIDEO_MODERATION_STALE_SECONDS)
    count = 0
    stuck = VideoModerationJob.objects.filter(status__in=[S.RUNNING, S.QUEUED], heartbeat_at__lt=stale)
    for job in stuck.select_related("video"):
        if job.attempts >= settings.VIDEO_MODERATION_MAX_ATTEMPTS:
            reason = f"Held for review: automatic moderation did not finish after {job.attempts} attempts."
            with transaction.atomic():
                if not VideoModerationJob.objects.filter(pk=job.pk, status=job.status).update(
                    status=S.FAILED, error="gave up after repeated worker loss", finished_at=timezone.now()
                ):
                    continue
                decision_record(
                    item=job.video, source=ModerationDecision.Source.AUTO, outcome=ModerationDecision.Outcome.REVIEW,
                    reason=reason, action="screen", subject_user=job.video.creator,
                    text_snapshot=f"{job.video.title}\n{job.video.description}",
                    stages={"run": {"status": "failed", "error": "worker lost", "attempts": job.attempts}},
                )  # fmt: skip
                video_apply_moderation(video=job.video, outcome=ModerationDecision.Outcome.REVIEW, reason=reason)
            count += 1
            continue
        if VideoModerationJob.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at).update(
            status=S.QUEUED, heartbeat_at=timezone.now()
        ):
            log.warning("video %s: moderation stuck in %s; requeued", job.video_id, job.status)
            video_moderation_enqueue(video=job.video)
            count += 1
    orphans = Video.objects.filter(
        processing=Video.Processing.READY,
        moderation=Video.Moderation.PENDING,
        moderation_job__isnull=True,
        updated_at__lt=stale,
        deleted_at__isnull=True,
    )
    for video in orphans:
        video_moderation_enqueue(video=video)
        count += 1
    return count


def video_rescreen_text(*, video, previous: ModerationDecision) -> ModerationDecision:
    """After a creator edits the title or description, only the text stage runs again; the other
    stages' results come from the previous automatic decision (the picture and sound did not change)."""
    from moderation.services import policy_thresholds

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


def video_screen_run(*, video) -> str:
    """The gate's entry point: a full run for a new video, a text-only run after an edit."""
    from moderation.services import decisions_for

    previous = (
        decisions_for(item=video).filter(source=ModerationDecision.Source.AUTO, action="screen").first()
        if video.moderation != "pending"
        else None
    )
    if previous is not None and previous.stages.get("frames"):
        return video_rescreen_text(video=video, previous=previous).outcome
    return video_moderation_run(video=video)


# ---------------------------------------------------------------------------------------------
# Captions edited by the creator


class CaptionsRefused(ValueError):
    pass


CAPTIONS_MAX_CHARS = 20_000
_SEVERITY = {"approved": 0, "pending": 1, "review": 1, "rejected": 2}


def captions_clean(vtt: str, *, duration: float | None) -> list:
    """Parse a creator's WebVTT into cues, or refuse it with one line."""
    from moderation import speech

    text = (vtt or "").replace("\r\n", "\n").strip()
    if len(text) > CAPTIONS_MAX_CHARS:
        raise CaptionsRefused(f"The captions are too long: {CAPTIONS_MAX_CHARS:,} characters at most.")
    if not text:
        return []
    if not text.startswith("WEBVTT"):
        raise CaptionsRefused("Captions must start with the line WEBVTT.")
    try:
        cues = speech.vtt_cues(text)
    except ValueError:
        raise CaptionsRefused("A cue time is not in the form 00:00:01.000 --> 00:00:02.500.") from None
    limit = (duration or 0) + 1.0
    for cue in cues:
        if cue.end <= cue.start or (duration and cue.start > limit):
            raise CaptionsRefused(f"The cue at {cue.start:.1f}s ends before it starts or lies past the video's end.")
    return cues


@transaction.atomic
def video_captions_edit(*, video, vtt: str) -> ModerationDecision:
    """Save the creator's captions (re-written from the parsed cues, so no markup survives) after the
    text classifier has read them; hateful captions hold or remove the video like a hateful title."""
    from moderation import speech
    from moderation.services import decision_record, text_decide
    from videos.models import Video
    from videos.services import video_apply_moderation

    cues = captions_clean(vtt, duration=video.duration)
    video = Video.objects.select_for_update().get(pk=video.pk)
    text = " ".join(c.text for c in cues)
    scores, versions = {}, {}
    if text.strip():
        try:
            scores = _classifier().score_texts([text])[0]
            versions = {"comment_classifier": _classifier().active_version()}
            outcome, reason, thresholds = text_decide(scores=scores, scope=ModerationPolicy.Scope.VIDEOS)
        except Exception as exc:  # the classifier could not run: hold (fail closed)
            log.error("captions of video %s could not be screened: %s", video.pk, exc)
            outcome, reason, thresholds = ModerationDecision.Outcome.REVIEW, "Captions could not be checked.", {}
    else:
        outcome, reason, thresholds = ModerationDecision.Outcome.APPROVED, "Captions removed.", {}
    current = video.moderation
    final = outcome if _SEVERITY[outcome] > _SEVERITY.get(current, 1) else current
    if final == "pending":
        final = ModerationDecision.Outcome.REVIEW
    final_reason = f"Captions edited: {reason}" if final == outcome else video.moderation_reason or reason
    video.captions_vtt = speech.segments_to_vtt(cues) if cues else ""
    video.save(update_fields=["captions_vtt", "updated_at"])
    decision = decision_record(
        item=video, source=ModerationDecision.Source.AUTO, outcome=final, reason=final_reason, action="captions",
        text_snapshot=text[:5000], subject_user=video.creator, scores=scores, thresholds=thresholds,
        model_versions=versions,
    )  # fmt: skip
    if final != current:
        video_apply_moderation(video=video, outcome=final, reason=final_reason)
    return decision

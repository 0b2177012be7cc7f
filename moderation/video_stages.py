"""The stages of video moderation, each looking at one part of a video: its text, sampled frames
(NSFW image model), speech (Whisper, then the text classifier) and, when configured, Gemini.
Each returns a `StageResult` or raises `StageFailed`; `video_pipeline` runs them."""

import logging
import os
import shutil
from pathlib import Path

from django.conf import settings

from moderation import classifier, frames, gemini, languages, nsfw, services, speech
from moderation.models import CATEGORIES, ModerationDecision, ModerationPolicy
from moderation.video_rules import StageResult
from tiktok import media_store
from videos.models import Category, Encoding

log = logging.getLogger(__name__)


class StageFailed(RuntimeError):
    def __init__(self, message: str, *, attempts: int = 1, detail: dict | None = None):
        super().__init__(message)
        self.attempts = attempts
        self.detail = detail or {}


def video_file(video, workdir: Path) -> Path:
    """A local copy of the rendition the stages look at (the largest one done; the file itself on
    local disk, a download into `workdir` from a bucket), else of the upload. A store that cannot
    be reached raises StoreError: the run is retried, nothing is decided."""
    # Twice: the upload is released when the transcode finishes, so if it is gone between the two
    # looks, the renditions are there on the second.
    for _ in range(2):
        done = [e for e in video.encodings.filter(status=Encoding.Status.DONE) if e.path]
        done.sort(key=lambda e: (e.height or 0) * (e.width or 0), reverse=True)
        for encoding in done:
            try:
                return media_store.fetch(encoding.path, workdir)
            except FileNotFoundError:
                continue
        video.refresh_from_db(fields=["source_path"])
        if video.source_path and not Path(video.source_path).is_absolute():
            try:
                return media_store.fetch(video.source_path, workdir)
            except FileNotFoundError:
                continue
        if video.source_path:
            try:
                return _private_link(Path(video.source_path), workdir)
            except FileNotFoundError:
                continue
    raise StageFailed("The transcoded file is missing.")


def _private_link(source: Path, workdir: Path) -> Path:
    """The upload on local disk, linked (else copied) into this run's folder: the stages read it
    while the transcode runs, and a finished transcode removes the upload."""
    target = workdir / f"source{source.suffix}"
    try:
        os.link(source, target)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        shutil.copyfile(source, target)
    return target


def video_texts(video) -> dict[str, str]:
    hashtags = " ".join(f"#{h.name}" for h in video.hashtags.all())
    return {"title": video.title or "", "description": video.description or "", "hashtags": hashtags}


def evidence_prefix(video) -> str:
    """Where a video's evidence thumbnails are stored (moderators only, see moderation.views)."""
    return f"moderation/{video.public_id}"


def _explain(text: str, scores: dict, thresholds: dict) -> dict:
    """The words that drove each category at or above its review threshold."""
    words = {}
    for code in CATEGORIES:
        if code in scores and code in thresholds and scores[code] >= thresholds[code]["review"]:
            try:
                words[code] = classifier.explain(text, code, top_k=5)
            except Exception as exc:  # an explanation is a courtesy; its failure must not fail the stage
                log.warning("explain failed for %s: %s", code, exc)
    return words


def stage_text(video, thresholds: dict) -> StageResult:
    """The title and description, decided by the one text decision that comments, bios and staged
    edits go through (`services.texts_screen`): the language of each field, the English classifier,
    the multilingual model for the languages read here, Gemini's text check for the rest when the
    video may be sent to Gemini. A field in a language nobody here reads is flagged, so the video is
    held for review instead of trusted with the English model's low scores."""
    texts = {k: v for k, v in video_texts(video).items() if classifier.clean_text(v)}
    if not texts:
        return StageResult(status="ok", scores={c: 0.0 for c in CATEGORIES}, detail={"fields": {}})
    verdicts = services.texts_screen(
        texts=list(texts.values()), scope=ModerationPolicy.Scope.VIDEOS, gemini_allowed=not gemini.may_send(video)
    )
    if any(not v.version for v in verdicts):
        raise StageFailed("The text classifier could not run: " + next(v.reason for v in verdicts if not v.version))
    per_field = {name: v.scores for name, v in zip(texts, verdicts, strict=True)}
    combined = {c: round(max(s.get(c, 0.0) for s in per_field.values()), 4) for c in CATEGORIES}
    evidence = []
    for name, scores in per_field.items():
        words = _explain(texts[name], scores, thresholds)
        for code, found in words.items():
            evidence.append({"field": name, "category": code, "score": round(scores[code], 4),
                             "text": texts[name][:300], "words": found})  # fmt: skip
    # A field in a language not read here stands on Gemini's verdict; without one (not configured,
    # not allowed, failed) or when Gemini asks for review, the video waits for a person.
    unread = {
        name: v.reason
        for name, v in zip(texts, verdicts, strict=True)
        if v.stages.get("language", {}).get("route") == languages.ROUTE_OTHER
        and v.outcome != ModerationDecision.Outcome.APPROVED
    }
    return StageResult(
        status="ok",
        scores=combined,
        detail={
            "fields": {k: {c: round(v, 4) for c, v in s.items()} for k, s in per_field.items()},
            "evidence": evidence,
            "languages": {name: v.stages.get("language", {}) for name, v in zip(texts, verdicts, strict=True)},
            "unread": unread,
        },
    )


def stage_frames(video, path: Path, workdir: Path) -> StageResult:
    try:
        sampled = frames.sample(
            path, workdir / "frames", duration=video.duration or 0.0, max_frames=settings.VIDEO_MODERATION_MAX_FRAMES
        )
        scores = nsfw.score_images([f.path for f in sampled])
    except (frames.FramesUnavailable, nsfw.NSFWUnavailable) as exc:
        raise StageFailed(str(exc)) from exc
    ranked = sorted(zip(sampled, scores, strict=True), key=lambda pair: pair[1], reverse=True)
    keep = {id(f) for f, _ in ranked[: settings.VIDEO_MODERATION_EVIDENCE_FRAMES]}
    target = workdir / "evidence"
    target.mkdir(parents=True, exist_ok=True)
    try:
        media_store.delete_prefix(evidence_prefix(video))
    except media_store.StoreError as exc:
        raise StageFailed(f"The media store could not be reached: {exc}") from exc
    listed = []
    for frame, score in zip(sampled, scores, strict=True):
        item = {"t": frame.time, "nsfw": score}
        if id(frame) in keep:
            name = f"frame-{int(frame.time * 1000):07d}.jpg"
            frames.thumbnail(frame.path, target / name)
            try:
                media_store.put_file(target / name, f"{evidence_prefix(video)}/{name}")
            except media_store.StoreError as exc:
                raise StageFailed(f"The media store could not be reached: {exc}") from exc
            item["thumb"] = name
        listed.append(item)
    return StageResult(
        status="ok",
        scores={"S": round(max(scores), 4)},
        detail={"frames": listed, "model": nsfw.model_version()},
    )


def stage_speech(video, path: Path, thresholds: dict) -> StageResult:
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
    if not gemini.configured():
        return StageResult(status="skipped", detail={"note": "GEMINI_API_KEY is not set."})
    if withheld := gemini.may_send(video):
        # Nothing leaves the platform. A skipped stage publishes nothing by itself: the video's
        # outcome comes from the stages that ran (video_rules.decide).
        return StageResult(status="skipped", detail={"note": withheld, "withheld": True})
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

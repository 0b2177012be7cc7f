"""Captions the creator edits: parsed and re-written (so no markup survives), read by the text
classifier like a title, then stored by videos; hateful captions hold or remove the video."""

import logging

from django.db import transaction

from moderation import classifier, speech
from moderation.models import ModerationDecision, ModerationPolicy
from moderation.services import decision_record, text_decide
from tiktok.errors import Refused
from videos.models import Video
from videos.services import video_apply_moderation, video_set_captions

log = logging.getLogger(__name__)


CAPTIONS_MAX_CHARS = 20_000
_SEVERITY = {"approved": 0, "pending": 1, "review": 1, "rejected": 2}


def captions_clean(vtt: str, *, duration: float | None) -> list:
    """Parse a creator's WebVTT into cues, or refuse it with one line."""
    text = (vtt or "").replace("\r\n", "\n").strip()
    if len(text) > CAPTIONS_MAX_CHARS:
        raise Refused(f"The captions are too long: {CAPTIONS_MAX_CHARS:,} characters at most.")
    if not text:
        return []
    if not text.startswith("WEBVTT"):
        raise Refused("Captions must start with the line WEBVTT.")
    try:
        cues = speech.vtt_cues(text)
    except ValueError:
        raise Refused("A cue time is not in the form 00:00:01.000 --> 00:00:02.500.") from None
    limit = (duration or 0) + 1.0
    for cue in cues:
        if cue.end <= cue.start or (duration and cue.start > limit):
            raise Refused(f"The cue at {cue.start:.1f}s ends before it starts or lies past the video's end.")
    return cues


@transaction.atomic
def video_captions_edit(*, video, vtt: str) -> ModerationDecision:
    """Save the creator's captions (re-written from the parsed cues, so no markup survives) after the
    text classifier has read them; hateful captions hold or remove the video like a hateful title."""
    cues = captions_clean(vtt, duration=video.duration)
    video = Video.objects.select_for_update().get(pk=video.pk)
    text = " ".join(c.text for c in cues)
    scores, versions = {}, {}
    if text.strip():
        try:
            scores = classifier.score_texts([text])[0]
            versions = {"comment_classifier": classifier.active_version()}
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
    video_set_captions(video=video, captions_vtt=speech.segments_to_vtt(cues) if cues else "")
    decision = decision_record(
        item=video, source=ModerationDecision.Source.AUTO, outcome=final, reason=final_reason, action="captions",
        text_snapshot=text[:5000], subject_user=video.creator, scores=scores, thresholds=thresholds,
        model_versions=versions,
    )  # fmt: skip
    if final != current:
        video_apply_moderation(video=video, outcome=final, reason=final_reason)
    return decision

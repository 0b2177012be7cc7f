"""The pure rules of video moderation: how the stages' per-category scores combine, and what
outcome they give under a policy. No database, no files; docs/video-moderation.md explains them.

For every category the combined score is the maximum over the stages that can see it, because the
stages look at different parts of a video and any one of them seeing a violation is enough. Frames
speak only to S. A sexual-looking frame on a video whose words suggest minors raises S3 to review
at least ("possible S3"), never to an automatic rejection. Gemini's own verdict can hold a video
for review, never reject or approve it on its own."""

import re
from dataclasses import dataclass, field

from moderation.models import CATEGORIES, CATEGORY_NAMES, ModerationDecision

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
    text = stages.get("text")
    if text and text.status == "ok" and text.detail.get("unread"):
        reasons.append("the " + " and ".join(text.detail["unread"]) + " could not be decided here (language)")
    speech = stages.get("speech")
    if speech and speech.status == "ok" and speech.detail.get("foreign_script"):
        reasons.append("the speech is mostly in a script the classifier cannot read")
    if reasons:
        return Outcome.REVIEW, "Held for review: " + "; ".join(reasons) + "."
    return Outcome.APPROVED, "No policy category reached its threshold."

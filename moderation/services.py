"""Moderation writes. Every change of a moderation state goes through here and leaves a
`ModerationDecision` row; rows are never edited."""

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from moderation import classifier
from moderation.models import CATEGORIES, CATEGORY_NAMES, ModerationDecision, ModerationPolicy
from moderation.training import trainer
from tiktok.jobs import enqueue
from tiktok.models import ModelVersion
from videos import commenting as video_commenting

log = logging.getLogger(__name__)

# What a text decision means for a comment's or a profile's state.
STATE_FOR_OUTCOME = {
    ModerationDecision.Outcome.APPROVED: "published",
    ModerationDecision.Outcome.REVIEW: "held",
    ModerationDecision.Outcome.REJECTED: "rejected",
}
# Used only for a category whose policy row is missing: strict, so a deleted row fails closed.
FALLBACK_THRESHOLDS = {"review": 0.3, "reject": 0.9}


def decision_record(
    *,
    item,
    source: str,
    outcome: str,
    actor=None,
    reason: str = "",
    action: str = "",
    text_snapshot: str = "",
    subject_user=None,
    scores: dict | None = None,
    thresholds: dict | None = None,
    model_versions: dict | None = None,
    stages: dict | None = None,
    evidence: dict | None = None,
) -> ModerationDecision:
    return ModerationDecision.objects.create(
        content_type=ContentType.objects.get_for_model(item, for_concrete_model=True),
        object_id=item.pk,
        source=source,
        outcome=outcome,
        actor=actor,
        reason=reason,
        action=action,
        text_snapshot=text_snapshot,
        subject_user=subject_user,
        scores=scores or {},
        thresholds=thresholds or {},
        model_versions=model_versions or {},
        stages=stages or {},
        evidence=evidence or {},
    )


def decisions_for(*, item):
    ct = ContentType.objects.get_for_model(item, for_concrete_model=True)
    return ModerationDecision.objects.filter(content_type=ct, object_id=item.pk).select_related("actor")


def policy_thresholds(*, scope: str) -> dict[str, dict[str, float]]:
    """{"H": {"review": 0.4, "reject": 0.9}, ...} for the scope, from the ModerationPolicy rows."""
    rows = {p.category: p for p in ModerationPolicy.objects.filter(scope=scope)}
    return {
        c: (
            {"review": rows[c].review_threshold, "reject": rows[c].reject_threshold}
            if c in rows
            else dict(FALLBACK_THRESHOLDS)
        )
        for c in CATEGORIES
    }


def text_decide(*, scores: dict, scope: str) -> tuple[str, str, dict]:
    """Turn per-category probabilities into an outcome with the scope's policy: rejected when any
    category reaches its reject threshold, review when any reaches its review threshold, else
    approved. Returns (outcome, reason, thresholds used)."""
    thresholds = policy_thresholds(scope=scope)
    rejected = [c for c in CATEGORIES if scores.get(c, 0.0) >= thresholds[c]["reject"]]
    review = [c for c in CATEGORIES if c not in rejected and scores.get(c, 0.0) >= thresholds[c]["review"]]

    def named(cats):
        return ", ".join(f"{CATEGORY_NAMES[c]} ({scores[c]:.2f})" for c in cats)

    if rejected:
        return ModerationDecision.Outcome.REJECTED, f"Removed automatically: {named(rejected)}.", thresholds
    if review:
        return ModerationDecision.Outcome.REVIEW, f"Held for review: {named(review)}.", thresholds
    return ModerationDecision.Outcome.APPROVED, "No policy category reached its threshold.", thresholds


def _screen_texts(*, texts: list[str], scope: str) -> list[tuple[str, str, dict, dict, str]]:
    """Classify texts in one batch and decide each; (outcome, reason, thresholds, scores, version)."""
    readable = [i for i, t in enumerate(texts) if classifier.clean_text(t)]
    results = [(ModerationDecision.Outcome.REVIEW, "No readable text; held for review.", {}, {}, "")] * len(texts)
    if not readable:
        return results
    try:
        scored = classifier.score_texts([texts[i] for i in readable])
        version = classifier.active_version()
    except classifier.ClassifierUnavailable as exc:
        log.error("comment classifier unavailable: %s", exc)
        failed = (ModerationDecision.Outcome.REVIEW, "The classifier could not run; held for review.", {}, {}, "")
        return [failed] * len(texts)
    for i, scores in zip(readable, scored, strict=True):
        outcome, reason, thresholds = text_decide(scores=scores, scope=scope)
        if classifier.foreign_script(texts[i]) and outcome == ModerationDecision.Outcome.APPROVED:
            # The encoder reads English; a low score on another script means nothing.
            outcome = ModerationDecision.Outcome.REVIEW
            reason = "Mostly in a script the classifier cannot read; held for review."
        results[i] = (outcome, reason, thresholds, scores, version)
    return results


def _screen_text(*, text: str, scope: str) -> tuple[str, str, dict, dict, str]:
    return _screen_texts(texts=[text], scope=scope)[0]


def profile_screen(*, user) -> None:
    """Screen a changed display name or bio with the text classifier; others see the username
    until the profile text is published."""
    text = f"{user.display_name}\n{user.bio}"
    outcome, reason, thresholds, scores, version = _screen_text(text=text, scope=ModerationPolicy.Scope.PROFILES)
    account_services.profile_apply_moderation(user=user, state=STATE_FOR_OUTCOME[outcome])
    decision_record(
        item=user,
        source=ModerationDecision.Source.AUTO,
        outcome=outcome,
        reason=reason,
        text_snapshot=text,
        subject_user=user,
        scores=scores,
        thresholds=thresholds,
        model_versions={"comment_classifier": version} if version else {},
    )


def comment_screen(*, comment) -> str:
    """Decide a new comment's state inside the request and record the decision; returns the
    comment's state. If the classifier cannot run, the comment is held (fail closed)."""
    outcome, reason, thresholds, scores, version = _screen_text(
        text=comment.text, scope=ModerationPolicy.Scope.COMMENTS
    )
    video_commenting.comment_apply_moderation(comment=comment, state=STATE_FOR_OUTCOME[outcome])
    decision_record(
        item=comment,
        source=ModerationDecision.Source.AUTO,
        outcome=outcome,
        reason=reason,
        text_snapshot=comment.text,
        subject_user=comment.author,
        scores=scores,
        thresholds=thresholds,
        model_versions={"comment_classifier": version} if version else {},
    )
    return comment.state


@transaction.atomic
def comment_model_register(*, run: dict):
    """Store a trained comment classifier under MODEL_ROOT as a ModelVersion and activate it when it
    is not worse than the active one on the held-out split. Returns (model_version, activated)."""
    heads = run["heads"]
    relative = f"comment_classifier/{heads.version}"
    heads.save(Path(settings.MODEL_ROOT) / relative)
    activated = trainer.not_worse(run["heldout"], run["active"])
    comparison = {
        "candidate_any_auprc": run["heldout"]["any_auprc"],
        "active_version": run["active"]["version"] if run["active"] else None,
        "active_any_auprc": run["active"]["any_auprc"] if run["active"] else None,
        "activated": activated,
    }
    log.info("comment classifier %s comparison: %s", heads.version, comparison)
    version = ModelVersion.objects.create(
        kind="comment_classifier",
        version=heads.version,
        artifact_path=relative,
        metrics={"heldout": run["heldout"], "validation": run["validation"], "comparison": comparison},
        params={"C": heads.meta.get("C"), "counts": run["counts"], "thresholds": run["thresholds"]},
    )
    if activated:
        comment_model_activate(model_version=version)
    return version, activated


def comment_model_activate(*, model_version) -> None:
    """Make a trained comment classifier the one in use, then re-check recent comments with it."""
    ModelVersion.objects.filter(kind="comment_classifier", active=True).exclude(pk=model_version.pk).update(
        active=False
    )
    model_version.active = True
    model_version.activated_at = timezone.now()
    model_version.save(update_fields=["active", "activated_at"])
    transaction.on_commit(classifier.reset)
    enqueue("moderation.tasks.rescore_recent_comments", model_version.version)


def comments_rescore(*, comments) -> int:
    """Re-score comments with the classifier in use and record a new automatic decision where the
    outcome changes. Comments a person decided last are left alone. Returns how many changed."""
    candidates = []
    for comment in comments:
        last = decisions_for(item=comment).first()
        if last is not None and last.source == ModerationDecision.Source.HUMAN:
            continue
        candidates.append(comment)
    if not candidates:
        return 0
    results = _screen_texts(texts=[c.text for c in candidates], scope=ModerationPolicy.Scope.COMMENTS)
    changed = 0
    for comment, (outcome, reason, thresholds, scores, version) in zip(candidates, results, strict=True):
        state = STATE_FOR_OUTCOME[outcome]
        if state == comment.state or not version:
            continue  # unchanged, or the model could not run: keep the current state
        with transaction.atomic():
            video_commenting.comment_apply_moderation(comment=comment, state=state)
            decision_record(
                item=comment,
                source=ModerationDecision.Source.AUTO,
                outcome=outcome,
                reason=f"Re-scored: {reason}",
                text_snapshot=comment.text,
                subject_user=comment.author,
                scores=scores,
                thresholds=thresholds,
                model_versions={"comment_classifier": version},
            )
        changed += 1
    return changed

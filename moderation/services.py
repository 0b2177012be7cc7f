"""Moderation writes. Every change of a moderation state goes through here and leaves a
`ModerationDecision` row; rows are never edited."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from moderation import classifier, languages, text_gemini
from moderation.models import CATEGORIES, CATEGORY_NAMES, ModerationDecision, ModerationPolicy
from moderation.training import trainer
from tiktok.artifacts import artifact_publish
from tiktok.jobs import enqueue
from tiktok.models import ModelVersion
from videos import commenting as video_commenting
from videos.models import Comment

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


def text_decide(*, scores: dict, scope: str, thresholds: dict | None = None) -> tuple[str, str, dict]:
    """Turn per-category probabilities into an outcome with the scope's policy: rejected when any
    category reaches its reject threshold, review when any reaches its review threshold, else
    approved. Returns (outcome, reason, thresholds used). Pass `thresholds` to decide many texts
    with one read of the policy rows."""
    thresholds = thresholds if thresholds is not None else policy_thresholds(scope=scope)
    rejected = [c for c in CATEGORIES if scores.get(c, 0.0) >= thresholds[c]["reject"]]
    review = [c for c in CATEGORIES if c not in rejected and scores.get(c, 0.0) >= thresholds[c]["review"]]

    def named(cats):
        return ", ".join(f"{CATEGORY_NAMES[c]} ({scores[c]:.2f})" for c in cats)

    if rejected:
        return ModerationDecision.Outcome.REJECTED, f"Removed automatically: {named(rejected)}.", thresholds
    if review:
        return ModerationDecision.Outcome.REVIEW, f"Held for review: {named(review)}.", thresholds
    return ModerationDecision.Outcome.APPROVED, "No policy category reached its threshold.", thresholds


@dataclass(frozen=True)
class TextVerdict:
    """One text's decision: outcome, the reason shown to moderators, the thresholds and scores it
    was decided with, the comment classifier's version ("" when no model ran), and how the language
    was handled (kept in the decision's `stages`)."""

    outcome: str
    reason: str
    thresholds: dict
    scores: dict
    version: str
    stages: dict = field(default_factory=dict)
    model_versions: dict = field(default_factory=dict)

    def __iter__(self):
        # Unpacks as the (outcome, reason, thresholds, scores, version) tuple callers used before.
        return iter((self.outcome, self.reason, self.thresholds, self.scores, self.version))


GEMINI_KINDS = {
    ModerationPolicy.Scope.COMMENTS: "a comment",
    ModerationPolicy.Scope.PROFILES: "a display name and bio",
    ModerationPolicy.Scope.VIDEOS: "a video's title or description",
}
GEMINI_PARALLEL = 4  # concurrent text checks when a batch holds several texts for Gemini
_SEVERITY = {
    ModerationDecision.Outcome.APPROVED: 0,
    ModerationDecision.Outcome.REVIEW: 1,
    ModerationDecision.Outcome.REJECTED: 2,
}
_warm = {"done": False}


def text_models_warm() -> None:
    """Load the comment classifier, the language detector and the multilingual model now (gunicorn's
    post_worker_init), so the first comment a worker screens is as fast as any other."""
    started = time.perf_counter()
    classifier.score_texts(["warming up the comment classifier"])
    try:
        languages.warm()
    except languages.LocalModelUnavailable as exc:  # texts in those languages are then held
        log.error("multilingual model unavailable: %s", exc)
    _warm["done"] = True
    log.info("text models ready in %.2f s (%s)", time.perf_counter() - started, classifier.active_version())


def texts_screen(
    *, texts: list[str], scope: str, heads=None, alone: bool = False, gemini_allowed: bool = True
) -> list[TextVerdict]:
    """Decide texts of one scope in one batch: the language of each, the English classifier for all
    of them, the multilingual model for the other languages read here, Gemini's text check (when
    configured) for the rest, which are otherwise held. Fails closed: whatever cannot be judged is
    held for review. Comments, display names and bios, and video texts all come through here.
    `heads` (evaluation and benchmarks) scores with another artifact's heads than the active ones.
    `alone` runs the encoder on each text by itself, as for a single comment: the int8 encoder's
    activation scales depend on the batch, so a text's probabilities move slightly with its
    neighbours (evaluation uses this to decide each row exactly as a comment). `gemini_allowed=False`
    keeps the texts here whatever the settings (a private video's title under GEMINI_SEND=public)."""
    if not _warm["done"]:
        log.warning("loading the text models inside a call: this process had no warm-up")
        _warm["done"] = True
    held = ModerationDecision.Outcome.REVIEW
    results = [TextVerdict(held, "No readable text; held for review.", {}, {}, "")] * len(texts)
    readable = [i for i, t in enumerate(texts) if classifier.clean_text(t)]
    if not readable:
        return results
    thresholds = policy_thresholds(scope=scope)
    found = {i: languages.detect(texts[i]) for i in readable}
    try:
        pieces = [[texts[i]] for i in readable] if alone else [[texts[i] for i in readable]]
        scored = dict(zip(readable, [s for piece in pieces for s in _scores(piece, heads)], strict=True))
        version = heads.version if heads is not None else classifier.active_version()
    except classifier.ClassifierUnavailable as exc:
        log.error("comment classifier unavailable: %s", exc)
        failed = TextVerdict(held, "The classifier could not run; held for review.", {}, {}, "")
        return [failed] * len(texts)
    local = [i for i in readable if found[i].route == languages.ROUTE_LOCAL]
    local_version = ""
    if local:
        try:
            for i, extra in zip(local, languages.local_scores([texts[i] for i in local]), strict=True):
                scored[i] = {c: max(v, extra.get(c, 0.0)) for c, v in scored[i].items()}
            local_version = languages.local_model().version
        except languages.LocalModelUnavailable as exc:
            log.error("multilingual model unavailable: %s", exc)
            local_version = None
    others = [i for i in readable if found[i].route == languages.ROUTE_OTHER]
    send = others and gemini_allowed and text_gemini.may_send()
    checks = _gemini_checks({i: texts[i] for i in others}, scope=scope) if send else {}
    for i in readable:
        language = found[i]
        stage = {"code": language.code, "confidence": round(language.confidence, 3), "route": language.route}
        versions = {"comment_classifier": version}
        if language.route == languages.ROUTE_LOCAL:
            if local_version is None:
                results[i] = TextVerdict(held, "The multilingual model could not run; held for review.",
                                         thresholds, scored[i], version, {"language": stage}, versions)  # fmt: skip
                continue
            versions["multilingual"] = local_version
        if language.route == languages.ROUTE_OTHER:
            results[i] = _other_language(texts[i], language, scored[i], checks.get(i), scope, thresholds, version)
            continue
        outcome, reason, used = text_decide(scores=scored[i], scope=scope, thresholds=thresholds)
        results[i] = TextVerdict(outcome, reason, used, scored[i], version, {"language": stage}, versions)
    return results


def _scores(texts: list[str], heads) -> list[dict[str, float]]:
    if heads is None:
        return classifier.score_texts(texts)
    try:
        probs = classifier.score_with(heads, texts)
    except Exception as exc:  # as classifier.score_texts: a broken model means "cannot run"
        raise classifier.ClassifierUnavailable(f"classifier failed: {exc}") from exc
    return [{c: round(float(p), 6) for c, p in zip(CATEGORIES, row, strict=True)} for row in probs]


def _gemini_checks(texts: dict[int, str], *, scope: str) -> dict:
    """{index: TextCheck or GeminiFailed}, a few at a time."""
    kind = GEMINI_KINDS.get(scope, "a text")

    def one(text):
        try:
            return text_gemini.check(text=text, kind=kind)
        except text_gemini.GeminiFailed as exc:
            return exc

    with ThreadPoolExecutor(max_workers=min(GEMINI_PARALLEL, len(texts))) as pool:
        return dict(zip(texts, pool.map(one, texts.values()), strict=True))


def _other_language(text, language, scores, check, scope, thresholds, version) -> TextVerdict:
    """A text in a language not read here: Gemini's scores decide it through the same policy rows (its
    verdict can add a hold, never publish); without Gemini, or when Gemini fails, it is held. The
    English model's scores are kept for moderators."""
    stage = {"code": language.code, "confidence": round(language.confidence, 3), "route": language.route}
    held = ModerationDecision.Outcome.REVIEW
    name = language.code if language.latin or language.code != languages.ENGLISH else "another script"
    if check is None:
        reason = f"Written in {name}, which is not decided automatically here; held for review."
        return TextVerdict(held, reason, thresholds, scores, version, {"language": stage},
                           {"comment_classifier": version})  # fmt: skip
    if isinstance(check, text_gemini.GeminiFailed):
        stage_gemini = {"status": "failed", "error": str(check), **check.record}
        return TextVerdict(held, f"Written in {name}; Gemini's text check failed, held for review.", thresholds,
                           scores, version, {"language": stage, "gemini": stage_gemini},
                           {"comment_classifier": version})  # fmt: skip
    outcome, reason, used = text_decide(scores=check.scores, scope=scope, thresholds=thresholds)
    if check.verdict != "approve" and _SEVERITY[outcome] < _SEVERITY[held]:
        outcome, reason = held, f"Gemini asks for review: {check.explanation[:200]}"
    stage_gemini = {"status": "ok", "verdict": check.verdict, "explanation": check.explanation,
                    "local_scores": scores, **check.record}  # fmt: skip
    versions = {"comment_classifier": version, "gemini": check.record.get("model_version", "")}
    return TextVerdict(outcome, f"{reason} (Gemini, {name})", used, check.scores, version,
                       {"language": stage, "gemini": stage_gemini}, versions)  # fmt: skip


def _screen_text(*, text: str, scope: str) -> TextVerdict:
    return texts_screen(texts=[text], scope=scope)[0]


def _record_text_decision(*, item, verdict: TextVerdict, text: str, subject_user, reason_prefix: str = ""):
    return decision_record(
        item=item,
        source=ModerationDecision.Source.AUTO,
        outcome=verdict.outcome,
        reason=f"{reason_prefix}{verdict.reason}",
        text_snapshot=text,
        subject_user=subject_user,
        scores=verdict.scores,
        thresholds=verdict.thresholds,
        model_versions=verdict.model_versions,
        stages=verdict.stages,
    )


def profile_screen(*, user) -> None:
    """Screen a changed display name or bio with the text classifier; others see the username
    until the profile text is published."""
    text = f"{user.display_name}\n{user.bio}"
    verdict = _screen_text(text=text, scope=ModerationPolicy.Scope.PROFILES)
    account_services.profile_apply_moderation(user=user, state=STATE_FOR_OUTCOME[verdict.outcome])
    _record_text_decision(item=user, verdict=verdict, text=text, subject_user=user)


def comment_screen(*, comment) -> str:
    """Decide a new comment's state inside the request and record the decision; returns the
    comment's state. If the classifier cannot run, the comment is held (fail closed)."""
    verdict = _screen_text(text=comment.text, scope=ModerationPolicy.Scope.COMMENTS)
    video_commenting.comment_apply_moderation(comment=comment, state=STATE_FOR_OUTCOME[verdict.outcome])
    _record_text_decision(item=comment, verdict=verdict, text=comment.text, subject_user=comment.author)
    return comment.state


@transaction.atomic
def comment_model_register(*, run: dict):
    """Store a trained comment classifier under MODEL_ROOT as a ModelVersion and activate it when it
    is not worse than the active one on the held-out split. Returns (model_version, activated)."""
    heads = run["heads"]
    relative = f"comment_classifier/{heads.version}"
    heads.save(Path(settings.MODEL_ROOT) / relative)
    artifact_publish(relative)  # to the media store, for machines that share no disk
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


def comment_model_retrain(*, limit: int | None = None, heldout_limit: int | None = None) -> str:
    """Retrain the heads on the shipped data plus moderators' decisions and register the candidate,
    which becomes active only if it is not worse on the held-out split (`comment_model_register`).
    Skipped when no moderator has decided a comment or a profile since the last trained version.
    Returns a one-line summary for the job's result."""
    last = ModelVersion.objects.filter(kind="comment_classifier").order_by("-created_at").first()
    new = ModerationDecision.objects.filter(
        source=ModerationDecision.Source.HUMAN,
        content_type__in=[ContentType.objects.get_for_model(m) for m in (Comment, User)],
    )
    if last is not None:
        new = new.filter(created_at__gt=last.created_at)
    if not new.exists():
        log.info("comment classifier retraining skipped: no moderators' decisions since %s", last or "the start")
        return "skipped: no new moderators' decisions"
    run = trainer.train_candidate(limit=limit, heldout_limit=heldout_limit, include_human=True)
    version, activated = comment_model_register(run=run)
    return f"version={version.version} activated={'yes' if activated else 'no'} human_rows={run['counts']['human']}"


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
    # Each text alone, as when it was posted: in a batch the int8 encoder's scores move slightly, and a
    # re-check must not flip a decision on that noise.
    results = texts_screen(texts=[c.text for c in candidates], scope=ModerationPolicy.Scope.COMMENTS, alone=True)
    changed = 0
    for comment, verdict in zip(candidates, results, strict=True):
        state = STATE_FOR_OUTCOME[verdict.outcome]
        if state == comment.state or not verdict.version:
            continue  # unchanged, or the model could not run: keep the current state
        with transaction.atomic():
            video_commenting.comment_apply_moderation(comment=comment, state=state)
            _record_text_decision(
                item=comment,
                verdict=verdict,
                text=comment.text,
                subject_user=comment.author,
                reason_prefix="Re-scored: ",
            )
        changed += 1
    return changed

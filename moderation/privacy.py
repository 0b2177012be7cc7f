"""Moderation's part of a person's data (registered in accounts.registry by
ModerationConfig.ready()).

Export: the reports the person made and the decisions about their content and account.

Deletion: decisions about the person's videos, comments and profile stay, so the moderation
history stays consistent, but as tombstones: scores, thresholds, outcome, action, model versions
and reasons the system wrote stay; every text of the person goes: the quoted title, description,
comment or bio (`text_snapshot`), transcript excerpts and quoted words in `evidence` and `stages`,
and any reason a person typed (the person's appeal, a moderator's note, which may quote the
content). Notes of other people's reports about the person's content are erased too. Tombstoned
texts never enter a training set (the trainer skips tombstones). Decisions the person made as a
moderator about others' content stay, without naming them."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from accounts.models import User
from accounts.registry import ERASED
from moderation.models import ModerationDecision, Report
from videos.models import Comment, Video

# Keys of `evidence` / `stages` whose strings the system wrote (stage status, model names,
# category codes, rule notes); every other string in them is erased.
SYSTEM_KEYS = frozenset(
    {
        "status",
        "model",
        "model_version",
        "language",
        "category",
        "categories",
        "field",
        "verdict",
        "limitations",
        "rules",
        "suggested_categories",
    }
)
DECISION_FIELDS = ["text_snapshot", "subject_user", "actor", "reason", "stages", "evidence", "tombstoned"]


def scrub(value, key: str | None = None):
    """`value` with every string erased except under SYSTEM_KEYS; numbers, booleans and the
    structure stay (scores, timings, frame times)."""
    if key in SYSTEM_KEYS:
        return value
    if isinstance(value, dict):
        return {k: scrub(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return ERASED if value else value
    return value


def _items_filter(user) -> Q:
    """Rows (decisions, reports) about the person's videos, comments and profile, whoever is named
    on them: both models point at their item by content_type and object_id."""
    video_ids = list(Video.objects.filter(creator=user).values_list("pk", flat=True))
    comment_ids = list(Comment.objects.filter(author=user).values_list("pk", flat=True))
    types = ContentType.objects.get_for_models(Video, Comment, User)
    return (
        Q(content_type=types[Video], object_id__in=video_ids)
        | Q(content_type=types[Comment], object_id__in=comment_ids)
        | Q(content_type=types[User], object_id=user.pk)
    )


def export(user) -> dict:
    decisions = ModerationDecision.objects.filter(subject_user=user).select_related("content_type")
    return {
        "reports.json": [
            {
                "item_type": r.content_type.model,
                "item_id": r.object_id,
                "category": r.category,
                "note": r.note,
                "status": r.status,
                "created_at": r.created_at,
            }
            for r in Report.objects.filter(reporter=user).select_related("content_type").order_by("created_at")
        ],
        "moderation_decisions.json": [
            {
                "item_type": d.content_type.model,
                "item_id": d.object_id,
                "source": d.source,
                "outcome": d.outcome,
                "action": d.action,
                "reason": d.reason,
                "scores": d.scores,
                "created_at": d.created_at,
            }
            for d in decisions.order_by("created_at", "id")
        ],
    }


def erase(user) -> None:
    """Tombstone the decisions about the person's content (runs inside the deletion transaction,
    while their videos and comments still exist)."""
    about = _items_filter(user)
    decisions = list(ModerationDecision.objects.filter(Q(subject_user=user) | about))
    for decision in decisions:
        decision.text_snapshot = ""
        decision.subject_user = None
        if decision.actor_id == user.pk:
            decision.actor = None
        if decision.source == ModerationDecision.Source.HUMAN and decision.reason:
            decision.reason = ERASED
        decision.stages = scrub(decision.stages)
        decision.evidence = scrub(decision.evidence)
        decision.tombstoned = True
    ModerationDecision.objects.bulk_update(decisions, DECISION_FIELDS, batch_size=500)
    # Decisions the person made as a moderator about others' content stay, without naming them.
    ModerationDecision.objects.filter(actor=user).update(actor=None)
    # Others' reports about the person's content outlive it (the reporter's history); their
    # notes may quote it. The person's own reports go with the account.
    Report.objects.filter(about).exclude(note="").exclude(reporter=user).update(note=ERASED)


def media(user) -> list[str]:
    """The evidence frames kept for moderators (stored names of folders)."""
    return [
        f"moderation/{public_id}/"
        for public_id in Video.objects.filter(creator=user).values_list("public_id", flat=True)
    ]

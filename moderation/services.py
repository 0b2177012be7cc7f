"""Moderation writes. Every change of a moderation state goes through here and leaves a
`ModerationDecision` row; rows are never edited."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from moderation.models import ModerationDecision


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


@transaction.atomic
def video_decide_by_human(*, video, outcome: str, actor, note: str):
    """A person moves a video to approved, review or rejected; the one path for human decisions."""
    from videos.services import video_apply_moderation

    decision = decision_record(
        item=video,
        source=ModerationDecision.Source.HUMAN,
        outcome=outcome,
        actor=actor,
        reason=note,
        text_snapshot=f"{video.title}\n{video.description}",
        subject_user=video.creator,
    )
    video_apply_moderation(video=video, outcome=outcome, reason=note)
    return decision


def profile_screen(*, user) -> None:
    """Screen a changed display name or bio. Until the comment classifier lands, a changed
    profile text is held for review (fail closed) and others see the username."""
    user.profile_state = "held"
    user.save(update_fields=["profile_state"])
    decision_record(
        item=user,
        source=ModerationDecision.Source.AUTO,
        outcome=ModerationDecision.Outcome.REVIEW,
        reason="Profile text awaits review.",
        text_snapshot=f"{user.display_name}\n{user.bio}",
        subject_user=user,
    )


def comment_screen(*, comment) -> str:
    """Decide a new comment's state inside the request and record the decision; returns the
    comment's state. Until the comment classifier lands, every comment is held (fail closed)."""
    comment.state = "held"
    comment.save(update_fields=["state"])
    decision_record(
        item=comment,
        source=ModerationDecision.Source.AUTO,
        outcome=ModerationDecision.Outcome.REVIEW,
        reason="Comment awaits review.",
        text_snapshot=comment.text,
        subject_user=comment.author,
    )
    return comment.state


def video_screen(*, video) -> str:
    """Automatic moderation of a transcoded video; returns the outcome. Until the video
    moderation pipeline lands, a finished video waits in review for a person."""
    from videos.services import video_apply_moderation

    reason = "Awaiting review by a moderator."
    decision_record(
        item=video,
        source=ModerationDecision.Source.AUTO,
        outcome=ModerationDecision.Outcome.REVIEW,
        reason=reason,
        text_snapshot=f"{video.title}\n{video.description}",
        subject_user=video.creator,
    )
    video_apply_moderation(video=video, outcome=ModerationDecision.Outcome.REVIEW, reason=reason)
    return ModerationDecision.Outcome.REVIEW

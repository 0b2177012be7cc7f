"""Automatic decisions on staged versions (tiktok.staging): a profile's new display name, bio and
avatar, a published video's new title and description. The staged text goes through the same text
decision as a comment; approved, the owning app's service makes it live; held, it waits for a
moderator (`decisions.staged_decide`) while the approved version stays up; rejected, it is
discarded and the owner is told. Each decision is recorded with action "edit"."""

from accounts import services as account_services
from moderation import services
from moderation.models import ModerationDecision, ModerationPolicy
from tiktok import staging
from videos import services as video_services
from videos.models import Video

Outcome = ModerationDecision.Outcome
ACTION = "edit"


def _text(item, version: dict) -> str:
    if isinstance(item, Video):
        return f"{version['title']}\n{version['description']}"
    return f"{version['display_name']}\n{version['bio']}"


def staged_text(item) -> str:
    """The staged version's text as the text decision reads it (and decisions quote it)."""
    return _text(item, staging.owner_version(item))


def _text_already_shown(item, text: str) -> bool:
    """Whether the staged text is the text others see now (a profile hidden or rejected shows
    none, so its text is decided again)."""
    if not isinstance(item, Video) and item.profile_state != item.ProfileState.PUBLISHED:
        return False
    return text == _text(item, staging.live_version(item))


def owner(item):
    return item.creator if isinstance(item, Video) else item


def staged_apply(*, item, approved: bool) -> dict:
    """Make the staged version live or drop it, through the owning app's service."""
    if isinstance(item, Video):
        return video_services.video_staged_apply(video=item, approved=approved)
    return account_services.profile_staged_apply(user=item, approved=approved)


def rejection_notice(item, reason: str) -> tuple[str, str]:
    """(text, url) of the owner's notice that their edit was not accepted."""
    if isinstance(item, Video):
        text = f"Your edit of “{item.title[:60]}” was not accepted, so the video keeps its title and description."
        return f"{text} {reason}".strip(), item.get_absolute_url()
    text = "Your profile edit was not accepted; your profile stays as it was."
    return f"{text} {reason}".strip(), item.get_absolute_url()


def staged_screen(*, item) -> ModerationDecision | None:
    """Decide the item's staged version with the text decision (scope: videos or profiles).
    Returns the recorded decision, or None when nothing is staged."""
    if not staging.has_staged(item):
        return None
    text = staged_text(item)
    scope = ModerationPolicy.Scope.VIDEOS if isinstance(item, Video) else ModerationPolicy.Scope.PROFILES
    if _text_already_shown(item, text) or not text.strip():
        # Only the picture changed (the image check passed it on upload), or the text was removed.
        verdict = services.TextVerdict(Outcome.APPROVED, "No new text to decide.", {}, {}, "")
    else:
        verdict = services.texts_screen(texts=[text], scope=scope)[0]
    outcome, reason = verdict.outcome, verdict.reason
    decision = services.decision_record(
        item=item,
        source=ModerationDecision.Source.AUTO,
        outcome=outcome,
        reason=reason,
        action=ACTION,
        text_snapshot=text,
        subject_user=owner(item),
        scores=verdict.scores,
        thresholds=verdict.thresholds,
        model_versions=verdict.model_versions,
        stages=verdict.stages,
    )
    if outcome == Outcome.APPROVED:
        staged_apply(item=item, approved=True)
    elif outcome == Outcome.REJECTED:
        staged_apply(item=item, approved=False)
        text, url = rejection_notice(item, reason)
        account_services.notification_send(recipient=owner(item), kind="moderation", text=text, url=url)
    return decision

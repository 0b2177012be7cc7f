"""People's decisions: one service per kind of item, whichever screen or command they come from
(the video review queue, the Videos admin, the comment queue, report handling, a staff removal,
`approve_video` / `reject_video`). A human rejection always records the decision, closes the
open reports on the item, applies the strike policy (one strike per removed video or comment)
and tells the person whose content it was; an approval dismisses the reports and shows the item
again."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from moderation import reports, sanctions, staged
from moderation.models import CATEGORIES, ModerationDecision
from moderation.services import STATE_FOR_OUTCOME, decision_record, decisions_for
from tiktok import staging
from tiktok.errors import Refused
from videos import commenting as video_commenting
from videos import services as video_services
from videos.models import Comment, Video

Outcome = ModerationDecision.Outcome


def _check_outcome(outcome: str) -> None:
    if outcome not in Outcome.values:
        raise Refused(f"Unknown outcome {outcome!r}.")


def _quote(text: str, n: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def default_actor():
    """The first superuser, for decisions made from the shell without --actor."""
    return get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


# --- Videos ------------------------------------------------------------------------------------


def video_decide(*, video: Video, outcome: str, actor, note: str, action: str = "") -> ModerationDecision:
    """A person approves, rejects or sends back to review a video. `action="seed"` marks the
    operator's approval of demo content (seed_demo), which the dashboard does not count as a
    moderator's verdict."""
    _check_outcome(outcome)
    note = (note or "").strip() or f"Moderator: {outcome}."
    was_appealed = video.appealed_at is not None and video.moderation == Outcome.REVIEW
    with transaction.atomic():
        decision = decision_record(
            item=video,
            source=ModerationDecision.Source.HUMAN,
            outcome=outcome,
            actor=actor,
            reason=note,
            action=action,
            text_snapshot=reports.snapshot(video),
            subject_user=video.creator,
        )
        video_services.video_apply_moderation(video=video, outcome=outcome, reason=note)
        title = _quote(video.title)
        if outcome == Outcome.APPROVED:
            reports.reports_close(item=video, upheld=False)
            reports.item_unhide(video)
        elif outcome == Outcome.REJECTED:
            reports.reports_close(item=video, upheld=True)
            ref, shown = f"Video {video.public_id}", f"Your video “{title}”"
            sanctions.strike_once(user=video.creator, actor=actor, ref=ref, note=note, shown=shown)
        if was_appealed:
            verdict = "accepted: the video is back" if outcome == Outcome.APPROVED else "not accepted"
            text = f"Your appeal for “{title}” was {verdict}. {note}"
        else:
            text = {
                Outcome.APPROVED: f"A moderator approved your video “{title}”.",
                Outcome.REVIEW: f"Your video “{title}” is waiting for a moderator.",
                Outcome.REJECTED: f"A moderator removed your video “{title}”: {note}",
            }[outcome]
        url = (
            reverse("moderation:appeal", args=[video.public_id])
            if outcome == Outcome.REJECTED
            else reverse("videos:status", args=[video.public_id])
        )
        account_services.notification_send(recipient=video.creator, kind="moderation", text=text, url=url)
    return decision


# --- Comments ----------------------------------------------------------------------------------


def comment_decide(*, comment: Comment, outcome: str, actor, note: str = "", categories=()) -> ModerationDecision:
    """A person publishes, rejects or holds a comment. Keeps the model's last scores beside the
    verdict, and the categories the person named, which the next training run learns from."""
    _check_outcome(outcome)
    note = (note or "").strip()
    with transaction.atomic():
        auto = decisions_for(item=comment).filter(source=ModerationDecision.Source.AUTO).first()
        video_commenting.comment_apply_moderation(comment=comment, state=STATE_FOR_OUTCOME[outcome])
        decision = decision_record(
            item=comment,
            source=ModerationDecision.Source.HUMAN,
            outcome=outcome,
            actor=actor,
            reason=note,
            text_snapshot=comment.text,
            subject_user=comment.author,
            scores=auto.scores if auto else {},
            thresholds=auto.thresholds if auto else {},
            model_versions=auto.model_versions if auto else {},
            evidence={"categories": [c for c in categories if c in CATEGORIES]} if categories else {},
        )
        if outcome == Outcome.APPROVED:
            reports.reports_close(item=comment, upheld=False)
            reports.item_unhide(comment)
        elif outcome == Outcome.REJECTED:
            reports.reports_close(item=comment, upheld=True)
            sanctions.strike_once(
                user=comment.author, actor=actor, ref=f"Comment #{comment.pk}", note=note or "Removed by a moderator.",
                shown=f"Your comment “{_quote(comment.text)}”",
            )  # fmt: skip
            text = f"A moderator removed your comment “{_quote(comment.text)}”" + (f": {note}" if note else ".")
            account_services.notification_send(
                recipient=comment.author, kind="moderation", text=text, url=comment.video.get_absolute_url()
            )
    return decision


def comments_decide(*, comments, outcome: str, actor, note: str = "", categories=()) -> int:
    """Bulk form of comment_decide; returns how many comments were decided."""
    count = 0
    for comment in comments:
        comment_decide(comment=comment, outcome=outcome, actor=actor, note=note, categories=categories)
        count += 1
    return count


# --- Profiles ----------------------------------------------------------------------------------


def profile_decide(*, user: User, outcome: str, actor, note: str = "") -> ModerationDecision:
    """A person publishes or rejects a profile's display name, bio and avatar (rejected: others
    see only the username)."""
    _check_outcome(outcome)
    note = (note or "").strip()
    with transaction.atomic():
        account_services.profile_apply_moderation(user=user, state=STATE_FOR_OUTCOME[outcome])
        decision = decision_record(
            item=user,
            source=ModerationDecision.Source.HUMAN,
            outcome=outcome,
            actor=actor,
            reason=note,
            text_snapshot=reports.snapshot(user),
            subject_user=user,
        )
        if outcome == Outcome.APPROVED:
            reports.reports_close(item=user, upheld=False)
        elif outcome == Outcome.REJECTED:
            reports.reports_close(item=user, upheld=True)
            text = "A moderator removed your profile's name, bio and picture; others see your username." + (
                f" {note}" if note else ""
            )
            account_services.notification_send(
                recipient=user, kind="moderation", text=text, url=user.get_absolute_url()
            )
    return decision


# --- Staged edits (profiles, published videos' text) -------------------------------------------


def staged_decide(*, item, outcome: str, actor, note: str = "") -> ModerationDecision:
    """A person decides a staged edit of a profile or of a published video's title and
    description (tiktok.staging): approved, it replaces the live version; rejected, it is
    discarded and the owner told. The live version stays up either way, and no strike is given:
    what others saw was never the problem."""
    if outcome not in (Outcome.APPROVED, Outcome.REJECTED):
        raise Refused("An edit is either approved or rejected.")
    if not staging.has_staged(item):
        raise Refused("No edit is waiting: it was decided or withdrawn already.", status=409)
    note = (note or "").strip()
    approved = outcome == Outcome.APPROVED
    with transaction.atomic():
        decision = decision_record(
            item=item,
            source=ModerationDecision.Source.HUMAN,
            outcome=outcome,
            actor=actor,
            reason=note or ("Edit approved." if approved else "Edit rejected."),
            action=staged.ACTION,
            text_snapshot=staged.staged_text(item),
            subject_user=staged.owner(item),
        )
        staged.staged_apply(item=item, approved=approved)
        if approved:
            text, url = "A moderator approved your edit; everyone sees it now.", item.get_absolute_url()
        else:
            text, url = staged.rejection_notice(item, note)
        account_services.notification_send(recipient=staged.owner(item), kind="moderation", text=text, url=url)
    return decision


# --- Report handling ---------------------------------------------------------------------------


def reported_item_decide(*, item, upheld: bool, actor, note: str = "") -> ModerationDecision:
    """A moderator upholds the reports on an item (it is rejected, through its kind's path) or
    dismisses them (it stays, and is shown again)."""
    outcome = Outcome.REJECTED if upheld else Outcome.APPROVED
    note = note or ("Removed after reports." if upheld else "Reports dismissed.")
    if isinstance(item, Video):
        if not upheld and item.moderation != Outcome.APPROVED:
            # Dismissing reports never publishes a video that was not published.
            return _reports_dismissed(item=item, actor=actor, note=note)
        return video_decide(video=item, outcome=outcome, actor=actor, note=note)
    if isinstance(item, Comment):
        if not upheld and item.state != Comment.State.PUBLISHED:
            return _reports_dismissed(item=item, actor=actor, note=note)
        return comment_decide(comment=item, outcome=outcome, actor=actor, note=note)
    if isinstance(item, User):
        return profile_decide(user=item, outcome=outcome, actor=actor, note=note)
    raise Refused("That cannot be reported.")


def _reports_dismissed(*, item, actor, note: str) -> ModerationDecision:
    with transaction.atomic():
        count = reports.reports_close(item=item, upheld=False)
        reports.item_unhide(item)
        return decision_record(
            item=item,
            source=ModerationDecision.Source.HUMAN,
            actor=actor,
            outcome=Outcome.APPROVED,
            action="reports",
            reason=note or f"{count} report(s) dismissed.",
            text_snapshot=reports.snapshot(item),
            subject_user=reports.owner(item),
        )

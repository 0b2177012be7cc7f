"""People's side of moderation: user reports, appeals, human review of videos, strikes, suspensions
and bans. Every change of state here is a `ModerationDecision` row."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from moderation.models import CATEGORIES, CATEGORY_NAMES, ModerationDecision, Report
from moderation.services import decision_record, decisions_for, video_decide_by_human

log = logging.getLogger(__name__)
Outcome = ModerationDecision.Outcome


class ModerationRefused(Exception):
    """A request that cannot be honoured; the message is shown to the person as is."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def notify(*, recipient, text: str, url: str = "", kind: str = "moderation") -> None:
    try:
        from videos.interactions import notification_send
    except ImportError:  # the inbox service is optional for this module; the model is not
        from accounts.models import Notification

        Notification.objects.create(recipient=recipient, kind=kind, text=text[:300], url=url[:300])
        return
    notification_send(recipient=recipient, kind=kind, text=text, url=url)


def _snapshot(item) -> str:
    from accounts.models import User
    from videos.models import Comment, Video

    if isinstance(item, Video):
        return f"{item.title}\n{item.description}"
    if isinstance(item, Comment):
        return item.text
    if isinstance(item, User):
        return f"{item.display_name}\n{item.bio}"
    return str(item)


def _owner(item):
    from accounts.models import User
    from videos.models import Comment, Video

    if isinstance(item, Video):
        return item.creator
    if isinstance(item, Comment):
        return item.author
    if isinstance(item, User):
        return item
    raise ModerationRefused("That cannot be reported.")


def item_url(item) -> str:
    from accounts.models import User
    from videos.models import Comment, Video

    if isinstance(item, Video):
        return f"/v/{item.public_id}/"
    if isinstance(item, Comment):
        return f"/v/{item.video.public_id}/"
    if isinstance(item, User):
        return f"/@{item.username}/"
    return ""


# ---------------------------------------------------------------------------------------------
# Reports


def _hide(item, *, count: int) -> None:
    from accounts.models import User

    if isinstance(item, User):
        # A reported profile shows only the username until a moderator looks (display name, bio
        # and avatar are what a profile can carry).
        if item.profile_state == "held":
            return
        item.profile_state = "held"
        item.save(update_fields=["profile_state"])
    else:
        if item.hidden:
            return
        item.hidden = True
        item.save(update_fields=["hidden"])
    decision_record(
        item=item,
        source=ModerationDecision.Source.AUTO,
        outcome=Outcome.REVIEW,
        action="hide",
        reason=f"Hidden pending review after {count} reports.",
        text_snapshot=_snapshot(item),
        subject_user=_owner(item),
    )


def _unhide(item) -> None:
    from accounts.models import User

    if isinstance(item, User):
        if item.profile_state == "held":
            item.profile_state = "published"
            item.save(update_fields=["profile_state"])
    elif item.hidden:
        item.hidden = False
        item.save(update_fields=["hidden"])


def _remove(item) -> None:
    from accounts.models import User
    from videos.models import Comment

    # Videos are rejected through video_review_decide; a comment stays hidden, a profile's text is
    # rejected (others see the username).
    if isinstance(item, User) and item.profile_state != "rejected":
        item.profile_state = "rejected"
        item.save(update_fields=["profile_state"])
    elif isinstance(item, Comment) and not item.hidden:
        item.hidden = True
        item.save(update_fields=["hidden"])


def report_create(*, reporter, item, category: str, note: str = "") -> Report:
    """A signed-in viewer reports a video, a comment or a profile; one report per person per item.
    Reports reaching REPORTS_HIDE_THRESHOLD hide the item until a moderator decides."""
    if reporter is None or not reporter.is_authenticated:
        raise ModerationRefused("Sign in to report.", status=403)
    if category not in CATEGORIES:
        raise ModerationRefused("Choose what the problem is.")
    note = (note or "").strip()
    if len(note) > 500:
        raise ModerationRefused("The note is too long: 500 characters at most.")
    if _owner(item).pk == reporter.pk:
        raise ModerationRefused("You cannot report your own content.")
    hour_ago = timezone.now() - timedelta(hours=1)
    if Report.objects.filter(reporter=reporter, created_at__gte=hour_ago).count() >= settings.REPORTS_PER_HOUR:
        raise ModerationRefused("You have sent many reports in the last hour; please try again later.", status=429)
    content_type = ContentType.objects.get_for_model(item, for_concrete_model=True)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, content_type=content_type, object_id=item.pk, category=category, note=note
            )
            open_count = Report.objects.filter(
                content_type=content_type, object_id=item.pk, status=Report.Status.OPEN
            ).count()
            if open_count >= settings.REPORTS_HIDE_THRESHOLD:
                _hide(item, count=open_count)
    except IntegrityError:
        raise ModerationRefused("You have already reported this.", status=409) from None
    return report


def reports_resolve(*, item, upheld: bool, actor, note: str = "") -> int:
    """Close the open reports on `item` and tell each reporter the outcome; a dismissed item is
    shown again. Returns how many reports were closed."""
    content_type = ContentType.objects.get_for_model(item, for_concrete_model=True)
    open_reports = list(
        Report.objects.filter(content_type=content_type, object_id=item.pk, status=Report.Status.OPEN).select_related(
            "reporter"
        )
    )
    if not open_reports:
        return 0
    status = Report.Status.UPHELD if upheld else Report.Status.DISMISSED
    Report.objects.filter(pk__in=[r.pk for r in open_reports]).update(status=status)
    if not upheld:
        _unhide(item)
    else:
        _remove(item)
    text = (
        "Thanks for your report: a moderator agreed and took action."
        if upheld
        else "Thanks for your report: a moderator reviewed it and found no violation."
    )
    for report in open_reports:
        notify(recipient=report.reporter, kind="report", text=text, url="")
    decision_record(
        item=item,
        source=ModerationDecision.Source.HUMAN,
        actor=actor,
        outcome=Outcome.REJECTED if upheld else Outcome.APPROVED,
        action="reports",
        reason=note or f"{len(open_reports)} report(s) {status}.",
        text_snapshot=_snapshot(item),
        subject_user=_owner(item),
    )
    return len(open_reports)


# ---------------------------------------------------------------------------------------------
# Human review of videos and appeals


def video_review_decide(*, video, outcome: str, actor, note: str) -> ModerationDecision:
    """A moderator's decision on a video: records it, closes open reports, answers an appeal, and
    counts a strike for each rejection a person upholds (one per video)."""
    if outcome not in Outcome.values:
        raise ModerationRefused(f"Unknown outcome {outcome!r}.")
    was_appealed = video.appealed_at is not None and video.moderation == Outcome.REVIEW
    with transaction.atomic():
        decision = video_decide_by_human(video=video, outcome=outcome, actor=actor, note=note)
        if outcome == Outcome.APPROVED:
            reports_resolve(item=video, upheld=False, actor=actor, note=note)
            if video.hidden:
                _unhide(video)
        elif outcome == Outcome.REJECTED:
            reports_resolve(item=video, upheld=True, actor=actor, note=note)
            if not decisions_for(item=video.creator).filter(action="strike", reason__contains=video.public_id).exists():
                strike_add(user=video.creator, actor=actor, reason=f"Video {video.public_id} rejected: {note}")
    title = video.title[:60]
    if was_appealed:
        verdict = "accepted: the video is back" if outcome == Outcome.APPROVED else "not accepted"
        text = f"Your appeal for “{title}” was {verdict}." + (f" {note}" if note else "")
    else:
        text = {
            Outcome.APPROVED: f"A moderator approved your video “{title}”.",
            Outcome.REVIEW: f"Your video “{title}” is waiting for a moderator.",
            Outcome.REJECTED: f"A moderator removed your video “{title}”." + (f" {note}" if note else ""),
        }[outcome]
    url = f"/moderation/appeal/{video.public_id}/" if outcome == Outcome.REJECTED else f"/v/{video.public_id}/status/"
    transaction.on_commit(lambda: notify(recipient=video.creator, text=text, url=url))
    return decision


def appeal_allowed(*, video) -> bool:
    if video.moderation != Outcome.REJECTED or video.deleted_at is not None:
        return False
    latest_auto = decisions_for(item=video).filter(source=ModerationDecision.Source.AUTO).first()
    if video.appealed_at is None:
        return True
    # One appeal per rejection: a new automatic decision (after an edit) opens a new chance.
    return latest_auto is not None and latest_auto.created_at > video.appealed_at


def appeal_create(*, video, user, reason: str) -> ModerationDecision:
    """The creator appeals a rejection once; the video returns to the review queue, marked appealed."""
    if user is None or not user.is_authenticated or user.pk != video.creator_id:
        raise ModerationRefused("Only the creator can appeal.", status=403)
    reason = (reason or "").strip()
    if not reason:
        raise ModerationRefused("Say why the decision is wrong.")
    if len(reason) > 1000:
        raise ModerationRefused("The reason is too long: 1,000 characters at most.")
    if video.moderation != Outcome.REJECTED:
        raise ModerationRefused("Only a rejected video can be appealed.")
    if not appeal_allowed(video=video):
        raise ModerationRefused("This rejection was already appealed.", status=409)
    from videos.services import video_apply_moderation

    with transaction.atomic():
        video.appealed_at = timezone.now()
        video.appeal_reason = reason
        video.save(update_fields=["appealed_at", "appeal_reason", "updated_at"])
        decision = decision_record(
            item=video,
            source=ModerationDecision.Source.HUMAN,
            actor=user,
            outcome=Outcome.REVIEW,
            action="appeal",
            reason=f"Appeal: {reason}",
            text_snapshot=_snapshot(video),
            subject_user=video.creator,
        )
        video_apply_moderation(video=video, outcome=Outcome.REVIEW, reason="Appealed; waiting for a moderator.")
    return decision


# ---------------------------------------------------------------------------------------------
# Strikes, suspensions, bans


def strike_add(*, user, actor, reason: str) -> ModerationDecision:
    from accounts.models import User

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.strikes += 1
        locked.save(update_fields=["strikes"])
        decision = decision_record(
            item=locked, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
            action="strike", reason=f"Strike {locked.strikes}: {reason}", subject_user=locked,
        )  # fmt: skip
        user.strikes = locked.strikes
        if locked.strikes >= settings.STRIKES_BAN_AT and locked.banned_at is None:
            user_ban(user=locked, actor=actor, reason=f"{locked.strikes} strikes.")
        elif locked.strikes >= settings.STRIKES_SUSPEND_AT and locked.banned_at is None:
            user_suspend(user=locked, actor=actor, days=settings.SUSPENSION_DAYS, reason=f"{locked.strikes} strikes.")
        user.suspended_until, user.banned_at = locked.suspended_until, locked.banned_at
    notify(recipient=user, text=f"Your account received a strike ({user.strikes}): {reason}"[:300])
    return decision


def user_suspend(*, user, actor, days: int, reason: str) -> ModerationDecision:
    until = timezone.now() + timedelta(days=days)
    user.suspended_until = until
    user.save(update_fields=["suspended_until"])
    notify(recipient=user, text=f"Your account is suspended until {until:%Y-%m-%d %H:%M} UTC: {reason}"[:300])
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
        action="suspend", reason=f"Suspended for {days} day(s): {reason}", subject_user=user,
    )  # fmt: skip


def user_ban(*, user, actor, reason: str) -> ModerationDecision:
    """Ban an account: it cannot log in (moderation.backends), its open sessions end, and its
    content stops being listable (videos.selectors excludes banned creators)."""
    user.banned_at = timezone.now()
    user.save(update_fields=["banned_at"])
    _end_sessions(user)
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
        action="ban", reason=f"Banned: {reason}", subject_user=user,
    )  # fmt: skip


def user_reinstate(*, user, actor, reason: str) -> ModerationDecision:
    user.banned_at = None
    user.suspended_until = None
    user.save(update_fields=["banned_at", "suspended_until"])
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.APPROVED,
        action="reinstate", reason=reason or "Reinstated.", subject_user=user,
    )  # fmt: skip


def _end_sessions(user) -> None:
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    model = getattr(store_class, "get_model_class", None)
    if model is None:
        return  # cache-only sessions: the backend refuses the user on the next request anyway
    for session in model().objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            store_class(session.session_key).delete()  # the row and any cached copy


def category_label(code: str) -> str:
    return f"{code} ({CATEGORY_NAMES.get(code, code)})"


# ---------------------------------------------------------------------------------------------
# Avatars


def avatar_check(*, data: bytes) -> float:
    """Pass an avatar through the NSFW image model, like video frames; a picture at or above the
    profiles' S review threshold is refused (so nothing is stored), and so is one the model could
    not read (fail closed). Returns the score."""
    from django.core.exceptions import ValidationError

    from moderation import nsfw
    from moderation.services import policy_thresholds

    try:
        score = nsfw.score_image_bytes(data)
    except nsfw.NSFWUnavailable as exc:
        log.error("avatar could not be screened: %s", exc)
        raise ValidationError("The picture could not be checked right now; please try again later.") from None
    if score >= policy_thresholds(scope="profiles")["S"]["review"]:
        raise ValidationError("This picture cannot be used as an avatar.")
    return score

"""Strikes, suspensions and bans. Moderation decides them and records each as a decision;
the account's state itself is written by accounts' services."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from moderation.models import ModerationDecision
from moderation.services import decision_record, decisions_for

Outcome = ModerationDecision.Outcome


def strike_once(*, user, actor, ref: str, note: str) -> ModerationDecision | None:
    """One strike per removed item (`ref`, e.g. "Video abc123" or "Comment #42"), however many
    times it is decided again; None when that item already counted."""
    if decisions_for(item=user).filter(action="strike", reason__contains=f"{ref} removed").exists():
        return None
    return strike_add(user=user, actor=actor, reason=f"{ref} removed: {note}")


def strike_add(*, user, actor, reason: str) -> ModerationDecision:
    """Count a strike; at STRIKES_SUSPEND_AT the account is suspended, at STRIKES_BAN_AT banned."""
    with transaction.atomic():
        locked = account_services.account_strike_add(user=user)
        decision = decision_record(
            item=locked, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
            action="strike", reason=f"Strike {locked.strikes}: {reason}", subject_user=locked,
        )  # fmt: skip
        if locked.strikes >= settings.STRIKES_BAN_AT and locked.banned_at is None:
            user_ban(user=locked, actor=actor, reason=f"{locked.strikes} strikes.")
        elif locked.strikes >= settings.STRIKES_SUSPEND_AT and locked.banned_at is None:
            user_suspend(user=locked, actor=actor, days=settings.SUSPENSION_DAYS, reason=f"{locked.strikes} strikes.")
        user.suspended_until, user.banned_at = locked.suspended_until, locked.banned_at
    account_services.notification_send(
        recipient=user, kind="moderation", text=f"Your account received a strike ({user.strikes}): {reason}"
    )
    return decision


def user_suspend(*, user, actor, days: int, reason: str) -> ModerationDecision:
    until = timezone.now() + timedelta(days=days)
    account_services.account_suspend(user=user, until=until)
    account_services.notification_send(
        recipient=user, kind="moderation", text=f"Your account is suspended until {until:%Y-%m-%d %H:%M} UTC: {reason}"
    )
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
        action="suspend", reason=f"Suspended for {days} day(s): {reason}", subject_user=user,
    )  # fmt: skip


def user_ban(*, user, actor, reason: str) -> ModerationDecision:
    """Ban an account: it cannot log in (moderation.backends), its open sessions end, and its
    content stops being listable (videos.selectors excludes banned creators)."""
    account_services.account_ban(user=user)
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
        action="ban", reason=f"Banned: {reason}", subject_user=user,
    )  # fmt: skip


def user_reinstate(*, user, actor, reason: str) -> ModerationDecision:
    account_services.account_reinstate(user=user)
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.APPROVED,
        action="reinstate", reason=reason or "Reinstated.", subject_user=user,
    )  # fmt: skip

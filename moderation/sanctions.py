"""Strikes, suspensions and bans. Moderation decides them and records each as a decision;
the account's state itself is written by accounts' services.

Who may suspend, ban or reinstate whom is decided in one place, `check_may_sanction`, which
`user_suspend`, `user_ban` and `user_reinstate` call before they change anything: the admin's
actions, a command or any other caller gets the same answer. The strike policy applies its
suspensions and bans without asking the actor's permissions (the count decides), but never to a
staff account: the strike is recorded and a superuser decides."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from moderation.models import ModerationDecision
from moderation.services import decision_record, decisions_for
from tiktok.errors import Refused

logger = logging.getLogger(__name__)

Outcome = ModerationDecision.Outcome
SANCTIONS = ("suspend", "ban", "reinstate")
# Declared in ModerationDecision.Meta.permissions; the Moderators group holds both (migration 0008).
SUSPEND_PERMISSION = "moderation.suspend_user"
BAN_PERMISSION = "moderation.ban_user"
STAFF_STRIKE_NOTE = " (staff account: not suspended or banned automatically; a superuser decides)"


def is_staff_account(user) -> bool:
    return bool(user.is_staff or user.is_superuser)


def _permissions_needed(action: str, target) -> list[str]:
    if action == "suspend":
        return [SUSPEND_PERMISSION]
    if action == "ban":
        return [BAN_PERMISSION]
    # Lifting a sanction needs the permission that imposes it.
    needed = [BAN_PERMISSION] if target.banned_at is not None else []
    if target.suspended_until is not None or not needed:
        needed.append(SUSPEND_PERMISSION)
    return needed


def check_may_sanction(*, actor, target, action: str) -> None:
    """Raise Refused (403) unless `actor` may `action` ("suspend", "ban" or "reinstate") the
    account `target`: a signed-in, active person, not the target themselves; against a staff
    account (is_staff or is_superuser) only a superuser; and holding the permission for it
    (moderation.suspend_user, moderation.ban_user; lifting needs the one that imposes)."""
    if action not in SANCTIONS:
        raise ValueError(f"Unknown sanction {action!r}; expected one of {', '.join(SANCTIONS)}.")
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise Refused(f"Only a signed-in moderator may {action} an account.", status=403)
    if actor.pk == target.pk:
        raise Refused(f"You cannot {action} your own account.", status=403)
    if is_staff_account(target) and not actor.is_superuser:
        raise Refused(f"Only a superuser may {action} a staff account ({target.username}).", status=403)
    missing = [perm for perm in _permissions_needed(action, target) if not actor.has_perm(perm)]
    if missing:
        raise Refused(f"You may not {action} accounts: that needs the permission {' and '.join(missing)}.", status=403)


def strike_once(*, user, actor, ref: str, note: str, shown: str = "") -> ModerationDecision | None:
    """One strike per removed item (`ref`, e.g. "Video abc123" or "Comment #42"), however many
    times it is decided again; None when that item already counted. `shown` names the item in
    the notice the person reads (a video's title, not its id); the record keeps `ref`."""
    if decisions_for(item=user).filter(action="strike", reason__contains=f"{ref} removed").exists():
        return None
    reason = f"{ref} removed: {note}"
    return strike_add(user=user, actor=actor, reason=reason, notice=f"{shown} was removed: {note}" if shown else reason)


def strike_add(*, user, actor, reason: str, notice: str = "") -> ModerationDecision:
    """Count a strike; at STRIKES_SUSPEND_AT the account is suspended, at STRIKES_BAN_AT banned.
    A staff account's strike is only recorded, saying that a superuser decides. `notice` is the
    reason as the account holder reads it (defaults to `reason`)."""
    with transaction.atomic():
        locked = account_services.account_strike_add(user=user)
        ban = locked.strikes >= settings.STRIKES_BAN_AT and locked.banned_at is None
        suspend = locked.strikes >= settings.STRIKES_SUSPEND_AT and locked.banned_at is None
        withheld = (ban or suspend) and is_staff_account(locked)
        note = STAFF_STRIKE_NOTE if withheld else ""
        decision = decision_record(
            item=locked, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
            action="strike", reason=f"Strike {locked.strikes}: {reason}{note}", subject_user=locked,
        )  # fmt: skip
        if withheld:
            logger.warning(
                "strike %d for staff account %s reached the sanction count; not applied, a superuser decides",
                locked.strikes, locked.username,
            )  # fmt: skip
        elif ban:
            _ban(user=locked, actor=actor, reason=f"{locked.strikes} strikes.")
        elif suspend:
            _suspend(user=locked, actor=actor, days=settings.SUSPENSION_DAYS, reason=f"{locked.strikes} strikes.")
        user.suspended_until, user.banned_at = locked.suspended_until, locked.banned_at
    account_services.notification_send(
        recipient=user, kind="moderation", text=f"Your account received a strike ({user.strikes}): {notice or reason}"
    )
    return decision


def user_suspend(*, user, actor, days: int, reason: str) -> ModerationDecision:
    check_may_sanction(actor=actor, target=user, action="suspend")
    return _suspend(user=user, actor=actor, days=days, reason=reason)


def user_ban(*, user, actor, reason: str) -> ModerationDecision:
    """Ban an account: it cannot log in (moderation.backends), its open sessions end, and its
    content stops being listable (videos.selectors excludes banned creators)."""
    check_may_sanction(actor=actor, target=user, action="ban")
    return _ban(user=user, actor=actor, reason=reason)


def user_reinstate(*, user, actor, reason: str) -> ModerationDecision:
    check_may_sanction(actor=actor, target=user, action="reinstate")
    account_services.account_reinstate(user=user)
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.APPROVED,
        action="reinstate", reason=reason or "Reinstated.", subject_user=user,
    )  # fmt: skip


# The sanctions themselves, after the check (or, for the strike policy, for ordinary accounts).


def _suspend(*, user, actor, days: int, reason: str) -> ModerationDecision:
    until = timezone.now() + timedelta(days=days)
    account_services.account_suspend(user=user, until=until)
    account_services.notification_send(
        recipient=user, kind="moderation", text=f"Your account is suspended until {until:%Y-%m-%d %H:%M} UTC: {reason}"
    )
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
        action="suspend", reason=f"Suspended for {days} day(s): {reason}", subject_user=user,
    )  # fmt: skip


def _ban(*, user, actor, reason: str) -> ModerationDecision:
    account_services.account_ban(user=user)
    return decision_record(
        item=user, source=ModerationDecision.Source.HUMAN, actor=actor, outcome=Outcome.REJECTED,
        action="ban", reason=f"Banned: {reason}", subject_user=user,
    )  # fmt: skip

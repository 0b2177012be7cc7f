"""Viewers' reports and creators' appeals. Every change of state here is a `ModerationDecision`
row; a moderator's verdict on a reported item goes through `moderation.decisions`."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from moderation.models import CATEGORIES, CATEGORY_NAMES, ModerationDecision, Report
from moderation.services import decision_record, decisions_for
from tiktok.errors import Refused
from videos import engagement as video_engagement
from videos import services as video_services
from videos.models import Comment, Video

log = logging.getLogger(__name__)
Outcome = ModerationDecision.Outcome


def snapshot(item) -> str:
    """The text a decision about `item` quotes."""
    if isinstance(item, Video):
        return f"{item.title}\n{item.description}"
    if isinstance(item, Comment):
        return item.text
    if isinstance(item, User):
        return f"{item.display_name}\n{item.bio}"
    return str(item)


def owner(item):
    if isinstance(item, Video):
        return item.creator
    if isinstance(item, Comment):
        return item.author
    if isinstance(item, User):
        return item
    raise Refused("That cannot be reported.")


def item_url(item) -> str:
    if isinstance(item, Video):
        return item.get_absolute_url()
    if isinstance(item, Comment):
        return item.video.get_absolute_url()
    if isinstance(item, User):
        return item.get_absolute_url()
    return ""


def category_label(code: str) -> str:
    return f"{code} ({CATEGORY_NAMES.get(code, code)})"


# ---------------------------------------------------------------------------------------------
# Reports


def reporter_is_new(reporter, *, at=None) -> bool:
    """Whether the account was younger than REPORTER_MIN_AGE_HOURS at `at` (now by default)."""
    at = at or timezone.now()
    return at - reporter.date_joined < timedelta(hours=settings.REPORTER_MIN_AGE_HOURS)


def reporter_weight(reporter, *, at=None) -> float:
    """What one report by `reporter` adds toward REPORTS_HIDE_THRESHOLD, between 0 and 1:

        weight = age factor x (1 + upheld) / (1 + upheld + dismissed)

    The age factor is REPORTER_NEW_WEIGHT for an account younger than REPORTER_MIN_AGE_HOURS,
    otherwise its age over REPORTER_FULL_AGE_DAYS, kept between REPORTER_NEW_WEIGHT and 1.
    `upheld` and `dismissed` count the reporter's earlier reports that moderators decided, so
    someone whose reports are mostly dismissed weighs less, and a good record restores it."""
    at = at or timezone.now()
    floor = settings.REPORTER_NEW_WEIGHT
    if reporter_is_new(reporter, at=at):
        age_factor = floor
    else:
        age_days = (at - reporter.date_joined).total_seconds() / 86400
        age_factor = min(1.0, max(floor, age_days / settings.REPORTER_FULL_AGE_DAYS))
    record = Report.objects.filter(reporter=reporter).aggregate(
        upheld=Count("pk", filter=Q(status=Report.Status.UPHELD)),
        dismissed=Count("pk", filter=Q(status=Report.Status.DISMISSED)),
    )
    standing = (1 + record["upheld"]) / (1 + record["upheld"] + record["dismissed"])
    return round(age_factor * standing, 3)


def _brigade_flag(*, item, open_reports, report: Report) -> None:
    """Flag a burst of reports from new accounts on one item as a possible brigade: at least
    REPORTS_BRIGADE_COUNT open reports within REPORTS_BRIGADE_MINUTES by accounts younger than
    REPORTER_MIN_AGE_HOURS when they reported. Once an item has open brigade reports, every
    further report on it from a new account joins them. Moderators see the flag in the report
    queue; flagged reports count for nothing toward hiding."""
    if open_reports.filter(brigade=True).exists():
        burst = [report.pk]
    else:
        since = timezone.now() - timedelta(minutes=settings.REPORTS_BRIGADE_MINUTES)
        young = F("created_at") - timedelta(hours=settings.REPORTER_MIN_AGE_HOURS)
        burst = list(
            open_reports.filter(created_at__gte=since, reporter__date_joined__gt=young).values_list("pk", flat=True)
        )
        if len(burst) < settings.REPORTS_BRIGADE_COUNT:
            return
        log.warning(
            "possible report brigade on %s #%s: %d reports from new accounts within %d minutes",
            type(item).__name__.lower(),
            item.pk,
            len(burst),
            settings.REPORTS_BRIGADE_MINUTES,
        )
    Report.objects.filter(pk__in=burst).update(brigade=True)
    report.brigade = True


def item_hide(item, *, count: int, weight: float) -> None:
    """Hide a reported item until a moderator decides (a profile shows only its username)."""
    if isinstance(item, User):
        if item.profile_state == User.ProfileState.HELD:
            return
        account_services.profile_apply_moderation(user=item, state=User.ProfileState.HELD)
    elif not video_services.content_set_hidden(item=item, hidden=True):
        return
    decision_record(
        item=item,
        source=ModerationDecision.Source.AUTO,
        outcome=Outcome.REVIEW,
        action="hide",
        reason=(
            f"Hidden pending review after {count} reports weighing {weight:.2f} "
            f"(threshold {settings.REPORTS_HIDE_THRESHOLD:g})."
        ),
        text_snapshot=snapshot(item),
        subject_user=owner(item),
    )


def item_unhide(item) -> None:
    if isinstance(item, User):
        if item.profile_state == User.ProfileState.HELD:
            account_services.profile_apply_moderation(user=item, state=User.ProfileState.PUBLISHED)
    else:
        video_services.content_set_hidden(item=item, hidden=False)


def report_create(*, reporter, item, category: str, note: str = "") -> Report:
    """A signed-in viewer reports a video, a comment or a profile; one report per person per item.
    Each report carries its reporter's weight (`reporter_weight`); once the open reports on an item
    weigh REPORTS_HIDE_THRESHOLD, the item is hidden until a moderator decides. A burst of reports
    from new accounts is flagged as a possible brigade and hides nothing (`_brigade_flag`)."""
    if reporter is None or not reporter.is_authenticated:
        raise Refused("Sign in to report.", status=403)
    if category not in CATEGORIES:
        raise Refused("Choose what the problem is.")
    note = (note or "").strip()
    if len(note) > 500:
        raise Refused("The note is too long: 500 characters at most.")
    if owner(item).pk == reporter.pk:
        raise Refused("You cannot report your own content.")
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    if Report.objects.filter(reporter=reporter, created_at__gte=hour_ago).count() >= settings.REPORTS_PER_HOUR:
        raise Refused("You have sent many reports in the last hour; please try again later.", status=429)
    content_type = ContentType.objects.get_for_model(item, for_concrete_model=True)
    weight = reporter_weight(reporter, at=now)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter,
                content_type=content_type,
                object_id=item.pk,
                category=category,
                note=note,
                weight=weight,
                created_at=now,
            )
            open_reports = Report.objects.filter(
                content_type=content_type, object_id=item.pk, status=Report.Status.OPEN
            )
            if reporter_is_new(reporter, at=now):
                _brigade_flag(item=item, open_reports=open_reports, report=report)
            counted = open_reports.filter(brigade=False).aggregate(n=Count("pk"), weight=Sum("weight"))
            # Rounded: weights carry three decimals, and thirty reports of 0.1 must reach 3.0.
            if round(counted["weight"] or 0, 6) >= settings.REPORTS_HIDE_THRESHOLD:
                item_hide(item, count=counted["n"], weight=counted["weight"])
            if isinstance(item, Video):
                # Whatever moderators decide, the reporter does not see it in their feed again.
                video_engagement.video_hide_from_feed(user=reporter, video=item)
    except IntegrityError:
        raise Refused("You have already reported this.", status=409) from None
    return report


def reports_close(*, item, upheld: bool) -> int:
    """Close the open reports on `item` and tell each reporter the outcome; returns how many.
    The verdict on the item itself is `moderation.decisions`' to record."""
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
    text = (
        "Thanks for your report: a moderator agreed and took action."
        if upheld
        else "Thanks for your report: a moderator reviewed it and found no violation."
    )
    for report in open_reports:
        account_services.notification_send(recipient=report.reporter, kind="report", text=text, url="")
    return len(open_reports)


# ---------------------------------------------------------------------------------------------
# Appeals


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
        raise Refused("Only the creator can appeal.", status=403)
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Say why the decision is wrong.")
    if len(reason) > 1000:
        raise Refused("The reason is too long: 1,000 characters at most.")
    if video.moderation != Outcome.REJECTED:
        raise Refused("Only a rejected video can be appealed.")
    if not appeal_allowed(video=video):
        raise Refused("This rejection was already appealed.", status=409)
    with transaction.atomic():
        video_services.video_record_appeal(video=video, reason=reason)
        decision = decision_record(
            item=video,
            source=ModerationDecision.Source.HUMAN,
            actor=user,
            outcome=Outcome.REVIEW,
            action="appeal",
            reason=f"Appeal: {reason}",
            text_snapshot=snapshot(video),
            subject_user=video.creator,
        )
        video_services.video_apply_moderation(
            video=video, outcome=Outcome.REVIEW, reason="Appealed; waiting for a moderator."
        )
    return decision

"""Account writes: sign-up, profile edits, avatar processing."""

import io
import math
import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q as models_q
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import Block, Follow, Notification, User
from accounts.signals import profile_shown_changed
from tiktok import gate, ratelimit, staging
from tiktok.errors import Refused


def avatar_process(*, upload) -> ContentFile:
    """Check an uploaded avatar is a real image within the size limits; return a square JPEG.

    The dimensions come from the header (Image.open reads nothing else) and are checked before
    any pixel is decoded: a file of a few KB can claim 12,000 x 12,000 pixels."""
    if upload.size > settings.AVATAR_MAX_BYTES:
        limit_mb = settings.AVATAR_MAX_BYTES / (1024 * 1024)
        raise ValidationError(f"The avatar is too large: the limit is {limit_mb:.0f} MB.")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            _check_avatar_pixels(*probe.size)
            probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        _check_avatar_pixels(*image.size)
        image.load()
    except Image.DecompressionBombError:  # Pillow's own, far higher, limit: the same refusal
        raise ValidationError(_avatar_pixels_message(None)) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError("The avatar must be a PNG, JPEG, GIF or WebP image.") from None
    image = ImageOps.exif_transpose(image).convert("RGB")
    size = settings.AVATAR_SIZE
    image = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    _screen_avatar(out.getvalue())
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.jpg")


def avatar_change_allowed(*, user: User) -> bool:
    """Count one avatar upload for this account; False once it is over AVATAR_CHANGES_PER_HOUR."""
    return ratelimit.hit("avatar", str(user.pk), limit=settings.AVATAR_CHANGES_PER_HOUR, window=3600)


def _check_avatar_pixels(width: int, height: int) -> None:
    if width * height > settings.AVATAR_MAX_PIXELS:
        raise ValidationError(_avatar_pixels_message((width, height)))


def _avatar_pixels_message(size: tuple[int, int] | None) -> str:
    limit = settings.AVATAR_MAX_PIXELS
    side = math.isqrt(limit)
    square = f"{side} × {side}" if side * side == limit else f"about {side} × {side}"
    said = f"is {size[0]} × {size[1]} pixels" if size else "has too many pixels"
    return f"The avatar {said}; the limit is {limit:,} pixels ({square})."


def _screen_avatar(data: bytes) -> None:
    # The content gate passes avatars through the same image model as video frames; it raises
    # ValidationError to refuse one, and a gate that fails refuses it too.
    gate.avatar_check(data=data)


@transaction.atomic
def user_sign_up(
    *, username: str, email: str, password: str = "", password_hash: str = "", display_name: str = ""
) -> User:
    """Make an account; `password_hash` (make_password's) instead of `password` when the
    password was hashed earlier (a sign-up waiting for its e-mailed link). A display name given
    at sign-up is staged like any edit: others see the username until it is approved."""
    user = User(username=username, email=email.lower(), age_confirmed_at=timezone.now())
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.staged_display_name = display_name  # validated with the row; staged below
    user.full_clean(exclude=["password"])
    user.save()
    if display_name:
        _stage_profile(user, {"display_name": display_name})
    return user


def profile_update(
    *, user: User, display_name: str, bio: str, avatar: ContentFile | None = None, remove_avatar: bool = False
) -> User:
    """Stage the profile edit (`avatar` comes from `avatar_process`, which already checked the
    picture): the approved name, bio and avatar stay what others see until moderation decides on
    the new version (tiktok.staging); its owner sees the new one, marked under review."""
    changes: dict = {"display_name": display_name, "bio": bio}
    earlier_staged = user.staged_avatar.name if user.staged_avatar else ""
    with transaction.atomic():
        if avatar is not None:
            user.staged_avatar.save(avatar.name, avatar, save=False)
            changes["avatar"] = user.staged_avatar.name
        elif remove_avatar:
            changes["avatar"] = ""
        _stage_profile(user, changes)
    live = user.avatar.name if user.avatar else ""
    now_staged = user.staged_avatar.name if user.staged_avatar else ""
    if earlier_staged and earlier_staged not in (live, now_staged):
        _delete_avatar_on_commit(user, earlier_staged)  # an earlier proposal, replaced or withdrawn
    return user


def _stage_profile(user: User, changes: dict) -> None:
    # A changed version waits for the content gate; a gate that fails leaves it waiting (the
    # approved version stays), and the owner still sees it under review.
    if staging.stage(user, changes):
        gate.profile_changed(user=user)


def profile_staged_apply(*, user: User, approved: bool) -> dict:
    """Moderation's decision on the staged profile version: approved, it replaces the live one
    (and a profile a moderator had rejected is shown again); rejected, it is discarded. Returns
    the replaced or discarded version. The only writer of the live profile fields after sign-up."""
    with transaction.atomic():
        if approved:
            old = staging.promote(user)
            if old and user.profile_state == User.ProfileState.REJECTED:
                profile_apply_moderation(user=user, state=User.ProfileState.PUBLISHED)
            elif old:
                profile_shown_changed.send(sender=User, user=user)
            gone = old.get("avatar", "")
        else:
            old = staging.discard(user)
            gone = old.get("avatar", "")
    if gone and gone != (user.avatar.name if user.avatar else ""):
        _delete_avatar_on_commit(user, gone)
    return old


def _delete_avatar_on_commit(user: User, name: str) -> None:
    storage = user.avatar.storage
    transaction.on_commit(lambda: storage.delete(name))


def profile_apply_moderation(*, user: User, state: str) -> User:
    """Set whether others see the profile's live display name, bio and avatar (the only writer of
    `User.profile_state`): moderation calls this when reports hide a profile or a moderator
    rejects or restores it."""
    if state not in User.ProfileState.values:
        raise ValueError(f"unknown profile state {state!r}")
    if user.profile_state != state:
        user.profile_state = state
        user.save(update_fields=["profile_state"])
        profile_shown_changed.send(sender=User, user=user)
    return user


# --- Strikes, suspensions and bans (decided by moderation, kept on the account) -----------------


def account_strike_add(*, user: User) -> User:
    """Count one strike under a row lock; returns the locked, updated row."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.strikes += 1
        locked.save(update_fields=["strikes"])
    user.strikes = locked.strikes
    return locked


def account_suspend(*, user: User, until) -> None:
    user.suspended_until = until
    user.save(update_fields=["suspended_until"])


def account_ban(*, user: User) -> None:
    """The account cannot log in any more and its open sessions end."""
    user.banned_at = timezone.now()
    user.save(update_fields=["banned_at"])
    _end_sessions(user)


def account_reinstate(*, user: User) -> None:
    user.banned_at = None
    user.suspended_until = None
    user.save(update_fields=["banned_at", "suspended_until"])


def _end_sessions(user: User) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    model = getattr(store_class, "get_model_class", None)
    if model is None:
        return  # cache-only sessions: the backend refuses the user on the next request anyway
    for session in model().objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            store_class(session.session_key).delete()  # the row and any cached copy


# --- Notifications ------------------------------------------------------------------------------


def notification_send(
    *, recipient, kind: str, text: str, url: str = "", actor=None, dedupe_hours: int = 0
) -> Notification | None:
    """Put one entry in a user's inbox. Nobody is notified of their own action, and no
    notification crosses a block, whichever of the two blocked the other (every path that names
    an actor comes through here: likes, comments, replies, follows). With `dedupe_hours`, the same
    actor doing the same thing again (like, unlike, like) within that window does not notify twice."""
    if recipient is None or (actor is not None and actor.pk == recipient.pk):
        return None
    if actor is not None and _is_blocked_between(actor, recipient):
        return None
    if kind not in Notification.Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if dedupe_hours and actor is not None:
        since = timezone.now() - timedelta(hours=dedupe_hours)
        recent = Notification.objects.filter(recipient=recipient, actor=actor, kind=kind, url=url[:300])
        if recent.filter(created_at__gte=since).exists():
            return None
    return Notification.objects.create(recipient=recipient, actor=actor, kind=kind, text=text[:300], url=url[:300])


def notifications_mark_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- Follows and blocks ------------------------------------------------------------------------


def _is_blocked_between(a: User, b: User) -> bool:
    return Block.objects.filter(models_q(blocker=a, blocked=b) | models_q(blocker=b, blocked=a)).exists()


def follow_create(*, follower: User, followee: User) -> bool:
    """Follow someone; returns whether a new follow was made. Nobody follows themself, and
    nobody follows across a block."""
    if follower.pk == followee.pk:
        raise Refused("You cannot follow yourself.")
    if _is_blocked_between(follower, followee):
        raise Refused("You cannot follow this account.", status=403)
    try:
        with transaction.atomic():
            Follow.objects.create(follower=follower, followee=followee)
    except IntegrityError:
        return False
    notification_send(
        recipient=followee,
        actor=follower,
        kind="follow",
        text=f"{follower.name} started following you",
        url=follower.get_absolute_url(),
        dedupe_hours=24,
    )
    return True


def follow_delete(*, follower: User, followee: User) -> bool:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    return bool(deleted)


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> bool:
    """Block someone: follows both ways end, and neither sees the other's videos or comments."""
    if blocker.pk == blocked.pk:
        raise Refused("You cannot block yourself.")
    Follow.objects.filter(
        models_q(follower=blocker, followee=blocked) | models_q(follower=blocked, followee=blocker)
    ).delete()
    try:
        with transaction.atomic():
            Block.objects.create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        return False
    return True


def block_delete(*, blocker: User, blocked: User) -> bool:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)

"""Account writes: sign-up, profile edits, avatar processing."""

import io
import math
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q as models_q
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from tiktok import ratelimit


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
    # Avatars pass through the same NSFW image model as video frames; raises ValidationError.
    from moderation.reports import avatar_check

    avatar_check(data=data)


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str, display_name: str = "") -> User:
    user = User(username=username, email=email.lower(), display_name=display_name, age_confirmed_at=timezone.now())
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if display_name:
        _screen_profile(user)
    return user


def profile_update(
    *, user: User, display_name: str, bio: str, avatar: ContentFile | None = None, remove_avatar: bool = False
) -> User:
    """Save profile fields; `avatar` comes from `avatar_process`. Changed text is screened."""
    text_changed = display_name != user.display_name or bio != user.bio
    old_avatar = user.avatar.name if user.avatar else ""
    new_avatar = avatar
    with transaction.atomic():
        user.display_name = display_name
        user.bio = bio
        if new_avatar is not None:
            user.avatar.save(new_avatar.name, new_avatar, save=False)
        elif remove_avatar:
            user.avatar = ""
        user.save()
        if text_changed:
            _screen_profile(user)
    if old_avatar and (new_avatar is not None or remove_avatar):
        transaction.on_commit(lambda: user.avatar.storage.delete(old_avatar))
    return user


def _screen_profile(user: User) -> None:
    # Imported here: moderation depends on accounts, not the other way round at import time.
    from moderation.services import profile_screen

    profile_screen(user=user)


# --- Follows and blocks ------------------------------------------------------------------------


class RelationRefused(Exception):
    """A follow or block that cannot be made; `status` is the HTTP status a view answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def _is_blocked_between(a: User, b: User) -> bool:
    from accounts.models import Block

    return Block.objects.filter(models_q(blocker=a, blocked=b) | models_q(blocker=b, blocked=a)).exists()


def follow_create(*, follower: User, followee: User) -> bool:
    """Follow someone; returns whether a new follow was made. Nobody follows themself, and
    nobody follows across a block."""
    from django.db import IntegrityError
    from django.urls import reverse

    from accounts.models import Follow

    if follower.pk == followee.pk:
        raise RelationRefused("You cannot follow yourself.")
    if _is_blocked_between(follower, followee):
        raise RelationRefused("You cannot follow this account.", status=403)
    try:
        with transaction.atomic():
            Follow.objects.create(follower=follower, followee=followee)
    except IntegrityError:
        return False
    from videos.interactions import notification_send

    notification_send(
        recipient=followee,
        actor=follower,
        kind="follow",
        text=f"{follower.name} started following you",
        url=reverse("videos:profile", args=[follower.username]),
        dedupe_hours=24,
    )
    return True


def follow_delete(*, follower: User, followee: User) -> bool:
    from accounts.models import Follow

    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    return bool(deleted)


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> bool:
    """Block someone: follows both ways end, and neither sees the other's videos or comments."""
    from django.db import IntegrityError

    from accounts.models import Block, Follow

    if blocker.pk == blocked.pk:
        raise RelationRefused("You cannot block yourself.")
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
    from accounts.models import Block

    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)

"""People: the user account, follows, blocks, the notification inbox and data exports."""

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class User(AbstractUser):
    class ProfileState(models.TextChoices):
        """Whether others see the display name, bio and avatar (else only the username)."""

        PUBLISHED = "published", "published"
        HELD = "held", "held"
        REJECTED = "rejected", "rejected"

    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    age_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Written only by accounts.services.profile_apply_moderation, with moderation's decision.
    profile_state = models.CharField(max_length=10, choices=ProfileState.choices, default=ProfileState.PUBLISHED)
    suspended_until = models.DateTimeField(null=True, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    strikes = models.PositiveIntegerField(default=0)
    # An edit of the three fields above waits here until moderation decides (tiktok.staging): the
    # owner sees it marked under review, everyone else the approved version in the live columns.
    STAGED_FIELDS = ("display_name", "bio", "avatar")
    staged_display_name = models.CharField(max_length=50, blank=True)
    staged_bio = models.TextField(max_length=500, blank=True)
    staged_avatar = models.ImageField(upload_to="avatars/", blank=True)
    staged_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("username"), name="user_username_ci_unique")]

    def __str__(self):
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("videos:profile", args=[self.username])

    @property
    def name(self) -> str:
        if self.display_name and self.profile_state == self.ProfileState.PUBLISHED:
            return self.display_name
        return self.username

    @property
    def avatar_url(self) -> str:
        """The avatar through the media view (MEDIA_ROOT has no plain static route); "" if none."""
        if not self.avatar:
            return ""
        return reverse("videos:avatar", args=[self.avatar.name.rsplit("/", 1)[-1]])

    @property
    def staged_avatar_url(self) -> str:
        """The staged avatar, which only its owner and moderators are served; "" if none."""
        if not self.staged_avatar:
            return ""
        return reverse("videos:avatar", args=[self.staged_avatar.name.rsplit("/", 1)[-1]])

    @property
    def is_restricted(self) -> bool:
        return self.banned_at is not None or (
            self.suspended_until is not None and self.suspended_until > timezone.now()
        )


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="follow_not_self"),
        ]


class Block(models.Model):
    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocking_set")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocked_by_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"),
        ]


class Notification(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like"
        COMMENT = "comment"
        REPLY = "reply"
        FOLLOW = "follow"
        MODERATION = "moderation"
        REPORT = "report"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]
        ordering = ["-created_at"]


class DataExport(models.Model):
    """One request for a copy of a person's data: built by a background job into a zip under
    MEDIA_ROOT/exports/, downloaded by its owner only, removed after DATA_EXPORT_KEEP_DAYS."""

    class Status(models.TextChoices):
        PREPARING = "preparing"
        READY = "ready"
        FAILED = "failed"
        EXPIRED = "expired"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    # The download URL names the export by this random token, never by a counter.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARING)
    file = models.CharField(max_length=300, blank=True)  # relative to MEDIA_ROOT, once ready
    size_bytes = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["status", "created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"data export of {self.user_id}: {self.status}"

"""Videos and everything viewers do with them.

The state vocabulary (processing, moderation, visibility, hidden, deleted) is shared by every
app; `videos.selectors.listable_videos` / `watchable_videos` are the only definitions of who may
see what.
"""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


def new_public_id() -> str:
    # 96 random bits: unlisted videos cannot be found by counting or guessing.
    return secrets.token_urlsafe(12)


class Category(models.Model):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True)  # stored lower-case, without '#'

    def __str__(self):
        return f"#{self.name}"


class Video(models.Model):
    class Processing(models.TextChoices):
        RECEIVED = "received"
        PROBING = "probing"
        TRANSCODING = "transcoding"
        READY = "ready"
        FAILED = "failed"

    class Moderation(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REVIEW = "review"
        REJECTED = "rejected"

    class Visibility(models.TextChoices):
        PUBLIC = "public"
        UNLISTED = "unlisted"
        PRIVATE = "private"

    public_id = models.CharField(max_length=22, unique=True, default=new_public_id, editable=False)
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=150)
    description = models.TextField(max_length=2200, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="videos")
    hashtags = models.ManyToManyField(Hashtag, blank=True, related_name="videos")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    allow_comments = models.BooleanField(default=True)
    # A creator's edit of a published video's title and description waits here until moderation
    # decides (tiktok.staging); the live columns keep the approved text, so the video stays up.
    STAGED_FIELDS = ("title", "description")
    staged_title = models.CharField(max_length=150, blank=True)
    staged_description = models.TextField(max_length=2200, blank=True)
    staged_at = models.DateTimeField(null=True, blank=True)

    processing = models.CharField(max_length=12, choices=Processing.choices, default=Processing.RECEIVED)
    processing_error = models.CharField(max_length=500, blank=True)
    moderation = models.CharField(max_length=10, choices=Moderation.choices, default=Moderation.PENDING)
    moderation_reason = models.CharField(max_length=500, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_reason = models.TextField(max_length=1000, blank=True)
    hidden = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    # Set once probing succeeds.
    source_path = models.CharField(max_length=500, blank=True)  # temporary upload, outside MEDIA_ROOT
    duration = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    rotation = models.IntegerField(default=0)
    has_audio = models.BooleanField(default=False)
    poster = models.CharField(max_length=300, blank=True)  # relative to MEDIA_ROOT
    poster_time = models.FloatField(default=1.0)
    preview = models.CharField(max_length=300, blank=True)
    captions_vtt = models.TextField(blank=True)
    # Demo content only (seed_demo): until automatic moderation exists, the pipeline records a
    # human approval with this note once the video is ready. Never set from user input.
    approve_on_ready_note = models.CharField(max_length=200, blank=True, editable=False)
    transcript = models.TextField(blank=True)

    view_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    share_count = models.PositiveIntegerField(default=0)
    favourite_count = models.PositiveIntegerField(default=0)
    impression_count = models.PositiveIntegerField(default=0)
    completion_sum = models.FloatField(default=0.0)  # sum of completion ratios, for averages
    watch_seconds_sum = models.FloatField(default=0.0)
    play_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["processing", "moderation", "visibility", "hidden", "-published_at"], name="video_listable_idx"
            ),
            models.Index(fields=["creator", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.title} ({self.public_id})"

    def get_absolute_url(self) -> str:
        return reverse("videos:watch", args=[self.public_id])

    @property
    def is_listable(self) -> bool:
        return (
            self.processing == self.Processing.READY
            and self.moderation == self.Moderation.APPROVED
            and self.visibility == self.Visibility.PUBLIC
            and not self.hidden
            and self.deleted_at is None
        )

    @property
    def is_watchable(self) -> bool:
        return (
            self.processing == self.Processing.READY
            and self.moderation == self.Moderation.APPROVED
            and self.visibility in (self.Visibility.PUBLIC, self.Visibility.UNLISTED)
            and not self.hidden
            and self.deleted_at is None
        )


class Encoding(models.Model):
    """One rendition of a video; the row is the job's state, so a lost task is found again."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="encodings")
    rendition = models.CharField(max_length=10)  # "720p" | "360p"
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    path = models.CharField(max_length=300, blank=True)  # relative to MEDIA_ROOT
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    bitrate = models.PositiveIntegerField(null=True, blank=True)
    command = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    runtime_seconds = models.FloatField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "rendition"], name="encoding_unique_rendition")]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]


class EncodingAttempt(models.Model):
    encoding = models.ForeignKey(Encoding, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, default="running")  # running|done|failed|abandoned
    error = models.CharField(max_length=500, blank=True)


class Comment(models.Model):
    class State(models.TextChoices):
        PUBLISHED = "published"
        HELD = "held"
        REJECTED = "rejected"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    text = models.TextField(max_length=2000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["video", "parent", "state", "-created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self):
        return self.text[:60]


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "video"], name="like_unique")]


class Favourite(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "video"], name="favourite_unique")]


class NotInterested(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="not_interested")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "video"], name="not_interested_unique")]


class VideoView(models.Model):
    """One row per (video, viewer) so the view count is deduplicated."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    viewer_key = models.CharField(max_length=64)  # "u:<id>" or "s:<session key>"
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "viewer_key"], name="view_unique")]
        indexes = [models.Index(fields=["user", "-last_seen_at"])]


class EngagementEvent(models.Model):
    """Raw signal for the recommender and the creator's statistics."""

    class Kind(models.TextChoices):
        IMPRESSION = "impression"
        PLAY = "play"
        WATCH = "watch"  # value: seconds watched, completion: ratio
        SKIP = "skip"
        REPLAY = "replay"
        LIKE = "like"
        UNLIKE = "unlike"
        COMMENT = "comment"
        SHARE = "share"
        FAVOURITE = "favourite"
        FOLLOW = "follow"
        NOT_INTERESTED = "not_interested"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    session_key = models.CharField(max_length=40, blank=True)
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    watch_seconds = models.FloatField(default=0.0)
    completion = models.FloatField(default=0.0)
    slot = models.CharField(max_length=12, blank=True)  # ranked | explore | trending | following
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="event_user_recent_idx"),
            models.Index(fields=["video", "kind"], name="event_video_kind_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
        ]


class SearchToken(models.Model):
    """One word start of a listable video's searchable text: what search matches a query word
    against, by prefix on an index (videos/search_index.py writes and reads them)."""

    class Kind(models.TextChoices):
        TEXT = "text"  # the title, description and hashtags
        USERNAME = "username"  # the creator's username
        NAME = "name"  # the creator's display name (counts only while the profile is published)

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="search_tokens")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    token = models.CharField(max_length=64)
    # For a creator token, the name it came from: it counts only while that is still the name.
    source = models.CharField(max_length=150, blank=True)

    class Meta:
        # Created by migration 0004 with what each database needs for LIKE 'word%' to use it:
        # COLLATE NOCASE on SQLite, a utf8mb4_bin column on MariaDB. A migration that rebuilds
        # this table must keep that (tests/videos/test_search_tokens.py checks the query plan).
        indexes = [models.Index(fields=["token"], name="searchtoken_token_idx")]

    def __str__(self):
        return self.token

"""The moderation gate's records: decisions (append-only), policies, reports, and model versions."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from accounts.models import User
from moderation.categories import CATEGORIES, CATEGORY_NAMES
from videos.models import Comment, Video


class ModerationDecision(models.Model):
    """One decision about one item. Rows are never edited; the newest decides."""

    class Source(models.TextChoices):
        AUTO = "auto"
        HUMAN = "human"

    class Outcome(models.TextChoices):
        APPROVED = "approved"
        REVIEW = "review"
        REJECTED = "rejected"

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    # What the item was about and who wrote it, kept so history survives the item's deletion;
    # erased (tombstoned) when the author deletes the account.
    text_snapshot = models.TextField(blank=True)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=5, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    action = models.CharField(max_length=20, blank=True)  # e.g. "strike", "suspend", "ban", "appeal"
    reason = models.TextField(blank=True)
    scores = models.JSONField(default=dict, blank=True)  # {"S": 0.01, ...}
    thresholds = models.JSONField(default=dict, blank=True)
    model_versions = models.JSONField(default=dict, blank=True)
    stages = models.JSONField(default=dict, blank=True)  # per-stage scores, timings, attempts, errors
    evidence = models.JSONField(default=dict, blank=True)
    tombstoned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]
        ordering = ["-created_at", "-id"]
        # Sanctions are recorded as decisions; who may impose or lift them is checked in
        # moderation.sanctions.check_may_sanction (only a superuser acts against staff).
        permissions = [
            ("suspend_user", "Can suspend accounts and lift suspensions"),
            ("ban_user", "Can ban accounts and lift bans"),
        ]

    def __str__(self):
        return f"{self.source} {self.outcome} {self.content_type.model}#{self.object_id}"


class ModerationPolicy(models.Model):
    class Scope(models.TextChoices):
        COMMENTS = "comments"
        PROFILES = "profiles"
        VIDEOS = "videos"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    category = models.CharField(max_length=3, choices=[(c, f"{c} ({CATEGORY_NAMES[c]})") for c in CATEGORIES])
    review_threshold = models.FloatField()
    reject_threshold = models.FloatField()
    # Set when a person changes a threshold in the admin: `apply_comment_thresholds` (the model's
    # proposed thresholds) never overwrites such a row.
    changed_by_moderator = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "category"], name="policy_unique"),
            models.CheckConstraint(
                condition=models.Q(review_threshold__lte=models.F("reject_threshold")), name="policy_review_le_reject"
            ),
        ]
        verbose_name_plural = "moderation policies"

    def __str__(self):
        return f"{self.scope}/{self.category}: review ≥ {self.review_threshold}, reject ≥ {self.reject_threshold}"


class Report(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        UPHELD = "upheld"
        DISMISSED = "dismissed"

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    category = models.CharField(max_length=3, choices=[(c, CATEGORY_NAMES[c]) for c in CATEGORIES])
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The reporter's standing when they reported (moderation.reports.reporter_weight): what the
    # report adds toward REPORTS_HIDE_THRESHOLD. Reports older than the weighting counted 1 each.
    weight = models.FloatField(default=1.0)
    # One of a burst of reports on the same item from new accounts: shown to moderators as a
    # possible brigade, and counted for nothing toward hiding the item.
    brigade = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reporter", "content_type", "object_id"], name="report_once_per_item")
        ]


class VideoModerationJob(models.Model):
    """The automatic moderation run of one video. The row is the job's state, so a run whose worker
    died is found again by the sweeper (status running, heartbeat stale) and requeued."""

    class Status(models.TextChoices):
        WAITING = "waiting"  # the source was accepted; queued once the renditions are ready
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    video = models.OneToOneField("videos.Video", on_delete=models.CASCADE, related_name="moderation_job")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    stage = models.CharField(max_length=20, blank=True)  # the stage running now, for the admin
    error = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="modjob_status_heartbeat_idx")]

    def __str__(self):
        return f"moderation of video #{self.video_id}: {self.status}"


class VideoReview(Video):
    """The moderators' queue of videos in the admin (a proxy, so its permissions are their own:
    staff without them neither see nor act)."""

    class Meta:
        proxy = True
        verbose_name = "video review"
        verbose_name_plural = "video review queue"


class CommentReview(Comment):
    """The moderators' queue of held and rejected comments in the admin (a proxy, so its
    permissions are their own)."""

    class Meta:
        proxy = True
        verbose_name = "comment review"
        verbose_name_plural = "comment review queue"


class ProfileReview(User):
    """The moderators' queue of staged profile edits (tiktok.staging) that the text decision held
    for a person; a proxy, so its permissions are its own."""

    class Meta:
        proxy = True
        verbose_name = "profile edit"
        verbose_name_plural = "profile edit queue"

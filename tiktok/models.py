"""Records below every app: the registry of trained model versions (the comment classifier in
moderation, the recommender in recommendations) and daily engagement aggregates that outlive the
raw events they summarise."""

from django.db import models
from django.utils import timezone


class EngagementDaily(models.Model):
    """Raw engagement events older than the retention window, rolled up per video, day and kind."""

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=16)
    count = models.PositiveIntegerField(default=0)
    signed_in = models.PositiveIntegerField(default=0)  # events tied to an account
    watch_seconds = models.FloatField(default=0.0)
    completion_sum = models.FloatField(default=0.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "day", "kind"], name="engagement_daily_unique")]
        indexes = [models.Index(fields=["day"])]
        verbose_name_plural = "daily engagement"


class ModelVersion(models.Model):
    """A trained artifact (comment classifier, recommender) under MODEL_ROOT, with its metrics."""

    kind = models.CharField(max_length=30)  # "comment_classifier" | "recommender"
    version = models.CharField(max_length=40)
    artifact_path = models.CharField(max_length=300)  # relative to MODEL_ROOT
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "moderation_modelversion"  # where it was created; moved here without a copy
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="model_version_unique"),
        ]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.version}{' (active)' if self.active else ''}"

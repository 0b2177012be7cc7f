"""Operational records: daily engagement aggregates that outlive the raw events they summarise."""

from django.db import models


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

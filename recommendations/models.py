"""Recommender state: the tunable settings row, each viewer's live profile, and each video's
content terms (computed when the video is published or edited)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

# How much each kind of engagement says about taste. Negative kinds push the video (and its
# neighbours) down; "watch" is scaled by the completion ratio.
DEFAULT_INTERACTION_WEIGHTS = {
    "watch": 1.0,
    "replay": 1.5,
    "like": 3.0,
    "unlike": -2.0,
    "comment": 2.0,
    "share": 3.0,
    "favourite": 3.0,
    "follow": 3.0,
    "skip": -1.0,
    "not_interested": -5.0,
}
INTERACTION_KINDS = set(DEFAULT_INTERACTION_WEIGHTS)


def default_interaction_weights():
    return dict(DEFAULT_INTERACTION_WEIGHTS)


class RecommenderSettings(models.Model):
    """One row (pk=1) of knobs, applied from the next feed page and recorded with each model
    version. Defaults were chosen on a validation split carved from training data (see
    docs/recommendations.md)."""

    w_collab = models.FloatField("weight: collaborative", default=1.0)
    w_content = models.FloatField("weight: content similarity", default=0.3)
    w_quality = models.FloatField("weight: engagement quality", default=0.1)
    w_fresh = models.FloatField("weight: freshness", default=0.1)
    w_pop = models.FloatField("weight: popularity", default=0.05)
    interaction_weights = models.JSONField(default=default_interaction_weights)
    history_half_life = models.FloatField(
        "profile half-life (events)", default=10.0, help_text="A positive event this many events ago counts half."
    )
    decay_days = models.FloatField("training half-life (days)", default=30.0)
    fresh_half_life_days = models.FloatField("freshness half-life (days)", default=3.0)
    neighbours = models.PositiveIntegerField(
        "neighbours per video, at most",
        default=400,
        help_text="Nightly training picks k up to this on validation (and within its memory bound).",
    )
    learned_head = models.PositiveIntegerField(
        "learned weights: most engaged videos",
        default=4000,
        help_text="Videos given learned (EASE) item-item weights; the rest keep cosine co-engagement. "
        "Memory and time grow with its square and cube (4000: about 64 MB a matrix, 2 s a fit).",
    )
    explore_min = models.FloatField("exploration share, lower bound", default=0.1)
    explore_max = models.FloatField("exploration share, upper bound", default=0.4)
    explore_default = models.FloatField("exploration share, default", default=0.2)
    explore_impressions = models.PositiveIntegerField(
        "exploration: fewer impressions than", default=200, help_text="Videos below this count are tried out."
    )
    page_size = models.PositiveIntegerField(default=10)
    per_creator = models.PositiveIntegerField("at most per creator and page", default=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "recommender settings"
        verbose_name_plural = "recommender settings"

    def __str__(self):
        return "Recommender settings"

    def clean(self):
        errors = {}
        for name in ("w_collab", "w_content", "w_quality", "w_fresh", "w_pop"):
            value = getattr(self, name)
            if not 0.0 <= value <= 10.0:
                errors[name] = "Must be between 0 and 10."
        if self.history_half_life <= 0 or self.decay_days <= 0 or self.fresh_half_life_days <= 0:
            errors["history_half_life"] = "Half-lives must be positive."
        if not 0.0 <= self.explore_min <= self.explore_default <= self.explore_max <= 1.0:
            errors["explore_default"] = "Need 0 ≤ lower bound ≤ default ≤ upper bound ≤ 1."
        if not 1 <= self.page_size <= 50:
            errors["page_size"] = "Between 1 and 50."
        if not 1 <= self.neighbours <= 500:
            errors["neighbours"] = "Between 1 and 500."
        if not 0 <= self.learned_head <= 20000:
            errors["learned_head"] = "Between 0 (cosine only) and 20000."
        if self.per_creator < 1:
            errors["per_creator"] = "At least 1."
        weights = self.interaction_weights
        if not isinstance(weights, dict) or set(weights) - INTERACTION_KINDS:
            errors["interaction_weights"] = f"An object with keys among: {', '.join(sorted(INTERACTION_KINDS))}."
        elif not all(isinstance(v, int | float) and -20 <= v <= 20 for v in weights.values()):
            errors["interaction_weights"] = "Each weight must be a number between -20 and 20."
        if errors:
            raise ValidationError(errors)

    def as_params(self) -> dict:
        weights = default_interaction_weights()
        weights.update(self.interaction_weights or {})
        return {
            "w_collab": self.w_collab,
            "w_content": self.w_content,
            "w_quality": self.w_quality,
            "w_fresh": self.w_fresh,
            "w_pop": self.w_pop,
            "interaction_weights": weights,
            "history_half_life": self.history_half_life,
            "decay_days": self.decay_days,
            "fresh_half_life_days": self.fresh_half_life_days,
            "neighbours": self.neighbours,
            "learned_head": self.learned_head,
            "explore_min": self.explore_min,
            "explore_max": self.explore_max,
            "explore_default": self.explore_default,
            "explore_impressions": self.explore_impressions,
            "page_size": self.page_size,
            "per_creator": self.per_creator,
        }


class ViewerProfile(models.Model):
    """What the feed knows about one signed-in viewer, updated inside each event's request."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rec_profile")
    # {category id (str): decayed weight}
    category_weights = models.JSONField(default=dict, blank=True)
    # Newest first: [[video id, weight], ...], capped; the anchors for neighbour candidates.
    recent = models.JSONField(default=list, blank=True)
    interests = models.JSONField(default=list, blank=True)  # category ids picked by the viewer
    top_categories = models.JSONField(default=list, blank=True)  # from analyze_preferences
    # Beta posteriors of "engaged" for videos shown in exploration slots versus ranked ones.
    explore_alpha = models.FloatField(default=1.0)
    explore_beta = models.FloatField(default=1.0)
    ranked_alpha = models.FloatField(default=1.0)
    ranked_beta = models.FloatField(default=1.0)
    event_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"profile of {self.user_id}"


class VideoContent(models.Model):
    """A video's content terms (categories, hashtags, words of title, description, captions),
    refreshed only when their hash changes; the nightly job builds sparse TF-IDF from them."""

    video = models.OneToOneField("videos.Video", on_delete=models.CASCADE, related_name="rec_content")
    terms = models.TextField(blank=True)  # space-separated tokens
    content_hash = models.CharField(max_length=40)
    updated_at = models.DateTimeField(default=timezone.now)

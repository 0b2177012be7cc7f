from django.contrib import admin

from recommendations.models import RecommenderSettings, ViewerProfile


@admin.register(RecommenderSettings)
class RecommenderSettingsAdmin(admin.ModelAdmin):
    """One row; its clean() validates, and the next feed page uses what is saved."""

    fieldsets = [
        ("Blend", {"fields": ["w_collab", "w_content", "w_quality", "w_fresh", "w_pop"]}),
        (
            "Signals",
            {
                "fields": [
                    "interaction_weights",
                    "history_half_life",
                    "decay_days",
                    "fresh_half_life_days",
                    "neighbours",
                ]
            },
        ),
        ("Exploration", {"fields": ["explore_min", "explore_default", "explore_max", "explore_impressions"]}),
        ("Page", {"fields": ["page_size", "per_creator"]}),
    ]

    def has_add_permission(self, request):
        return not RecommenderSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)


@admin.register(ViewerProfile)
class ViewerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "event_count", "top_categories", "updated_at"]
    raw_id_fields = ["user"]
    readonly_fields = ["category_weights", "recent", "explore_alpha", "explore_beta", "ranked_alpha", "ranked_beta"]

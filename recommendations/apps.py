from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RecommendationsConfig(AppConfig):
    name = "recommendations"

    def ready(self):
        from recommendations.models import RecommenderSettings
        from recommendations.services import settings_forget

        post_save.connect(settings_forget, sender=RecommenderSettings, dispatch_uid="recommender-settings-saved")
        post_delete.connect(settings_forget, sender=RecommenderSettings, dispatch_uid="recommender-settings-deleted")

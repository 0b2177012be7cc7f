from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"

    def ready(self):
        from recommendations.models import RecommenderSettings
        from recommendations.services import settings_memo

        settings_memo.forget_on_change(RecommenderSettings)

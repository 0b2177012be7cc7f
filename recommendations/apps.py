from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"

    def ready(self):
        # Imported here: models and services need the app registry, which is ready only now.
        from accounts.signals import signed_in
        from recommendations import receivers
        from recommendations.models import RecommenderSettings
        from recommendations.services import settings_memo
        from videos.signals import engagement_recorded, video_published

        settings_memo.forget_on_change(RecommenderSettings)
        video_published.connect(receivers.on_video_published, dispatch_uid="recommendations.video_published")
        engagement_recorded.connect(receivers.on_engagement, dispatch_uid="recommendations.engagement")
        signed_in.connect(receivers.on_signed_in, dispatch_uid="recommendations.signed_in")

        from accounts.registry import register_personal_data
        from recommendations import privacy

        register_personal_data("recommendations", export=privacy.export, erase=privacy.erase)

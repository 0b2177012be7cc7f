from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        # The operators' dashboard reads moderation and videos, so this app mounts it on the
        # project's admin site (tiktok/ imports no app). Imported here: models are loaded now.
        from django.contrib import admin

        from moderation.admin_reports import reported_items_view
        from moderation.dashboard import dashboard_view
        from moderation.queues import pending_counts

        admin.site.register_view("dashboard/", dashboard_view, name="dashboard")
        admin.site.register_view("moderation/reported-items/", reported_items_view, name="reported_items")
        admin.site.register_counts(pending_counts)

        from accounts.registry import register_personal_data
        from moderation import privacy

        register_personal_data("moderation", export=privacy.export, erase=privacy.erase, media=privacy.media)

        # Long-cluster workers load the video moderation models as they start.
        from django_q.signals import post_spawn

        from moderation.warmup import models_warm

        post_spawn.connect(models_warm, dispatch_uid="moderation-models-warm")

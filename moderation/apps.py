from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        # The operators' dashboard reads moderation and videos, so this app mounts it on the
        # project's admin site (tiktok/ imports no app). Imported here: models are loaded now.
        from django.contrib import admin

        from moderation.dashboard import dashboard_view

        admin.site.register_view("dashboard/", dashboard_view, name="dashboard")

        from accounts.registry import register_personal_data
        from moderation import privacy

        register_personal_data("moderation", export=privacy.export, erase=privacy.erase, media=privacy.media)

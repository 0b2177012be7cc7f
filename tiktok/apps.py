from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TiktokConfig(AppConfig):
    """The project package as an app, for its operator commands and templates."""

    name = "tiktok"
    verbose_name = "Operations"
    default = True


class ClipAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "tiktok.admin_site.ClipAdminSite"

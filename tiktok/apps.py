from django.contrib.admin.apps import AdminConfig


class ClipAdminConfig(AdminConfig):
    default_site = "tiktok.admin_site.ClipAdminSite"

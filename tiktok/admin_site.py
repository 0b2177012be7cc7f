"""The admin site: moderators' override panel and the operators' dashboard, behind two-factor
authentication for staff when STAFF_2FA is on."""

from django.conf import settings
from django.contrib import admin


class ClipAdminSite(admin.AdminSite):
    site_header = "Clip moderation and operations"
    site_title = "Clip admin"
    index_title = "Moderation and operations"

    @property
    def login_form(self):
        if not settings.STAFF_2FA:
            return None
        from django_otp.forms import OTPAuthenticationForm

        return OTPAuthenticationForm

    def get_urls(self):
        from django.urls import path

        from tiktok.dashboard import dashboard_view

        extra = [path("dashboard/", self.admin_view(lambda request: dashboard_view(request, self)), name="dashboard")]
        return extra + super().get_urls()

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.STAFF_2FA or request.user.is_verified()

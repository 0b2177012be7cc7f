"""The admin site: moderators' override panel and the operators' dashboard, behind two-factor
authentication for staff when STAFF_2FA is on."""

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.contrib import admin
from django.urls import path


class ClipAdminSite(admin.AdminSite):
    site_header = "Clip moderation and operations"
    site_title = "Clip admin"
    index_title = "Moderation and operations"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_views: dict[str, tuple[str, Callable]] = {}  # name -> (route, view)

    @property
    def login_form(self):
        if not settings.STAFF_2FA:
            return None
        from django_otp.forms import OTPAuthenticationForm

        return OTPAuthenticationForm

    def register_view(self, route: str, view: Callable, name: str) -> None:
        """Mount `view(request, admin_site=<this site>)` at admin/<route>, staff only, named
        admin:<name>. Apps call this from their AppConfig.ready(), so the site imports none of them."""
        self.extra_views[name] = (route, view)

    def get_urls(self):
        extra = [
            path(route, self.admin_view(partial(view, admin_site=self)), name=name)
            for name, (route, view) in self.extra_views.items()
        ]
        return extra + super().get_urls()

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.STAFF_2FA or request.user.is_verified()

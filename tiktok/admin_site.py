"""The admin site: moderators' override panel and the operators' dashboard.

Its log-in goes through the same lockout as the site's (tiktok.ratelimit.ThrottledLoginMixin).
An account that is not staff is turned away before its password is checked, with the answer a
wrong password gets, so the admin cannot be used to test anyone's password. With STAFF_2FA on,
a staff member who gave the right password is signed in, but the admin stays closed until a
one-time code from their TOTP device is entered on a second page (its device throttles wrong
codes)."""

import functools
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm

from tiktok.ratelimit import ThrottledLoginMixin


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The site's log-in (lockout first), for staff only: any other account is refused before
    its password is checked, with the message a wrong password gets."""

    def refuse_before_password(self, account, password):
        if account is None or not (account.is_active and account.is_staff):
            raise self.refuse_without_checking(password)


class OneTimeCodeForm(OTPTokenForm):
    """The second step for staff: a code from their device (chosen from a list only when they
    have several). Wrong codes are throttled per device by django-otp, doubling the wait after
    each one."""

    otp_device = forms.ChoiceField(choices=[], required=False)
    otp_error_messages = {
        **OTPTokenForm.otp_error_messages,
        "token_required": "Enter the code your authenticator app shows.",
        "invalid_token": "That code is not right. Enter the code your authenticator app shows now.",
    }

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class ClipAdminSite(admin.AdminSite):
    site_header = "Clip moderation and operations"
    site_title = "Clip admin"
    index_title = "Moderation and operations"
    login_form = AdminLoginForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_views: dict[str, tuple[str, Callable]] = {}  # name -> (route, view)

    def register_view(self, route: str, view: Callable, name: str) -> None:
        """Mount `view(request, admin_site=<this site>)` at admin/<route>, staff only, named
        admin:<name>. Apps call this from their AppConfig.ready(), so the site imports none of them."""
        self.extra_views[name] = (route, view)

    def get_urls(self):
        extra = [
            path(route, self.admin_view(functools.partial(view, admin_site=self)), name=name)
            for name, (route, view) in self.extra_views.items()
        ]
        return extra + super().get_urls()

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.STAFF_2FA or request.user.is_verified()

    def login(self, request, extra_context=None):
        user = request.user
        if settings.STAFF_2FA and user.is_active and user.is_staff and not user.is_verified():
            return self.one_time_code(request, extra_context)
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if getattr(form, "locked", False):
            response.status_code = 429
        return response

    def one_time_code(self, request, extra_context=None):
        """The second step: a signed-in staff member's one-time code, then the admin opens."""
        user = request.user
        form = OneTimeCodeForm(user, request, data=request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            otp_login(request, user.otp_device)
            return HttpResponseRedirect(self._next_url(request))
        request.current_app = self.name
        context = {
            **self.each_context(request),
            "title": "One-time code",
            "form": form,
            "devices": list(devices_for_user(user)),
            "next": self._next_url(request),
            "app_path": request.get_full_path(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/one_time_code.html", context)

    def _next_url(self, request) -> str:
        target = request.POST.get("next") or request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return reverse("admin:index", current_app=self.name)

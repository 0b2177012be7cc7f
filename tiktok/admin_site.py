"""The admin site: moderators' override panel and the operators' dashboard.

Its log-in goes through the same lockout as the site's (tiktok.ratelimit.ThrottledLoginMixin).
An account that is not staff is turned away before its password is checked, with the answer a
wrong password gets, so the admin cannot be used to test anyone's password. With STAFF_2FA on,
a staff member who gave the right password is signed in, but the admin stays closed until a
one-time code from their TOTP device is entered on a second page (its device throttles wrong
codes). The task schedules (django-q2's Schedule) are for superusers only, and run only the
platform's own task functions."""

import ast
import functools
import importlib
import inspect
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm

from tiktok.ratelimit import ThrottledLoginMixin
from tiktok.schedules import SCHEDULES


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
        self.counters: list[Callable] = []

    def register_counts(self, counter: Callable) -> None:
        """`counter(user)` returns [{"label", "count", "url"}] of what waits for that staff member;
        every admin page shows them in its navigation and the index page lists them. Apps call
        this from their AppConfig.ready(), like register_view."""
        self.counters.append(counter)

    def each_context(self, request):
        context = super().each_context(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_active and user.is_staff and self.has_permission(request):
            context["pending_counts"] = [row for counter in self.counters for row in counter(user)]
        return context

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

    def register(self, model_or_iterable, admin_class=None, **options):
        # django-q2 registers its own ScheduleAdmin; the platform's rules are laid over it here.
        meta = getattr(model_or_iterable, "_meta", None)
        if meta is not None and meta.label == "django_q.Schedule":
            admin_class = type("PlatformScheduleAdmin", (PlatformScheduleAdmin, admin_class or admin.ModelAdmin), {})
        return super().register(model_or_iterable, admin_class, **options)


# --- Task schedules ------------------------------------------------------------------------------

# async_task reads these from a task's keyword arguments as queue options (a hook is a second
# function it runs), so a schedule's kwargs may not set them.
QUEUE_OPTIONS = frozenset(
    {
        "hook",
        "group",
        "save",
        "sync",
        "cached",
        "ack_failure",
        "iter_count",
        "iter_cached",
        "chain",
        "broker",
        "broker_name",
        "cluster",
        "timeout",
        "q_options",
        "task_name",
    }
)


@functools.cache
def platform_tasks() -> frozenset[str]:
    """The dotted paths of the functions defined in the platform's task modules: the modules
    whose jobs tiktok/schedules.py registers. Looked up by name, as django-q finds a task."""
    found = set()
    for name in sorted({item.func.rsplit(".", 1)[0] for item in SCHEDULES}):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == name and not attr.startswith("_"):
                found.add(f"{name}.{attr}")
    return frozenset(found)


def _schedule_kwargs(raw: str) -> dict | None:
    """The keyword arguments as django-q's scheduler reads them (a dict literal, or name=value
    pairs of literals), or None when it could not read them."""
    try:
        value = ast.literal_eval(raw)
        return value if isinstance(value, dict) else None
    except (SyntaxError, ValueError):
        pass
    try:
        call = ast.parse(f"f({raw})", mode="eval").body
        if not isinstance(call, ast.Call) or call.args:
            return None
        return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg is not None}
    except (SyntaxError, ValueError):
        return None


class PlatformScheduleForm(forms.ModelForm):
    def _task(self, field: str) -> str:
        value = (self.cleaned_data.get(field) or "").strip()
        if value and value not in platform_tasks():
            raise ValidationError(
                f"{value} is not one of the platform's task functions: {', '.join(sorted(platform_tasks()))}."
            )
        return value

    def clean_func(self):
        return self._task("func")

    def clean_hook(self):
        return self._task("hook") or None

    def clean_args(self):
        raw = (self.cleaned_data.get("args") or "").strip()
        if raw:
            try:
                ast.literal_eval(raw)
            except (SyntaxError, ValueError):
                raise ValidationError("The arguments must be Python literals, e.g. 1, 'a'.") from None
        return raw or None

    def clean_kwargs(self):
        raw = (self.cleaned_data.get("kwargs") or "").strip()
        if not raw:
            return None
        kwargs = _schedule_kwargs(raw)
        if kwargs is None:
            raise ValidationError("The keyword arguments must be name=value pairs of Python literals, e.g. days=7.")
        options = sorted(set(map(str, kwargs)) & QUEUE_OPTIONS)
        if options:
            raise ValidationError(f"Keyword arguments cannot set task options ({', '.join(options)}).")
        return raw

    def clean_intended_date_kwarg(self):
        value = (self.cleaned_data.get("intended_date_kwarg") or "").strip()
        if value in QUEUE_OPTIONS:
            raise ValidationError(f"Keyword arguments cannot set task options ({value}).")
        return value or None


class PlatformScheduleAdmin:
    """Laid over django-q2's ScheduleAdmin: superusers only, and only platform tasks."""

    form = PlatformScheduleForm

    @staticmethod
    def _superuser(request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)

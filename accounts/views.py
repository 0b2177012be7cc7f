"""Sign-up, profile editing and the notification inbox; Django's auth views do the rest."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from accounts import privacy
from accounts.forms import LoginForm, ProfileForm, SignUpForm
from accounts.services import profile_update
from accounts.signals import signed_in
from accounts.signups import LINK_GONE, SignupRefused, signup_complete, signup_pending, signup_request
from tiktok import media_store, ratelimit, staging
from tiktok.errors import Refused


def _safe_next(request, default="/"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _sign_in(request, user) -> None:
    """Log in, and keep what this browser watched while signed out for the account's feed."""
    signed_out_session = request.session.session_key or ""
    login(request, user)
    signed_in.send(sender=type(user), user=user, previous_session_key=signed_out_session)


def signup(request):
    """Every valid sign-up gets the same answer ("check your e-mail"), whether or not its
    address has an account; the account is made from the e-mailed link (accounts.signups)."""
    if request.user.is_authenticated:
        return redirect("/")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and not ratelimit.hit(
        "signup", ratelimit.client_key(request), limit=settings.SIGNUPS_PER_HOUR_PER_IP, window=3600
    ):
        messages.error(request, "Too many sign-ups from your network. Please try again later.")
        return render(
            request, "accounts/signup.html", {"form": SignUpForm(), "next": _safe_next(request, "")}, status=429
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signup_request(
                request=request,
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
                next_url=_safe_next(request),
            )
        except SignupRefused as refused:
            messages.error(request, refused.message)
            context = {"form": form, "next": _safe_next(request, "")}
            return render(request, "accounts/signup.html", context, status=refused.status)
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request, "")})


def signup_confirm(request, token):
    """The e-mailed link: a page with one button (a GET, which mail scanners make, creates
    nothing); the button makes the account and signs in."""
    pending = signup_pending(token=token)
    if request.method == "POST":
        try:
            user, next_url = signup_complete(token=token)
        except SignupRefused as refused:
            context = {"error": refused.message}
            return render(request, "accounts/signup_confirm.html", context, status=refused.status)
        _sign_in(request, user)
        messages.success(request, "Welcome! Your account is ready.")
        return redirect(next_url)
    context = {"pending": pending, "error": "" if pending else LINK_GONE}
    return render(request, "accounts/signup_confirm.html", context)


@login_required
def profile_edit(request):
    user = request.user
    shown = staging.owner_version(user)  # a staged edit, while one waits for moderation
    initial = {"display_name": shown["display_name"], "bio": shown["bio"]}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        profile_update(
            user=user,
            display_name=data["display_name"].strip(),
            bio=data["bio"].strip(),
            avatar=data.get("avatar"),
            remove_avatar=data.get("remove_avatar", False),
        )
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile_edit")
    status = 429 if form.has_error("avatar", code="rate_limited") else 200
    return render(request, "accounts/profile_edit.html", {"form": form}, status=status)


class LoginView(auth_views.LoginView):
    """Django's log-in through the log-in lockout (LoginForm); a locked-out attempt gets 429."""

    template_name = "accounts/login.html"
    form_class = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked:
            response.status_code = 429
        return response

    def form_valid(self, form):
        # As Django's LoginView does, through the same sign-in as the sign-up view.
        _sign_in(self.request, form.get_user())
        return HttpResponseRedirect(self.get_success_url())


def _data_page(request, *, status: int = 200, **context):
    """The data page: the latest export's state (an htmx poll asks for only that part while it
    is preparing), and the account deletion form."""
    context["export"] = privacy.data_export_latest(user=request.user)
    context["next_export_at"] = privacy.data_export_next_allowed(user=request.user)
    context["keep_days"] = settings.DATA_EXPORT_KEEP_DAYS
    template = "accounts/data.html#export" if request.htmx else "accounts/data.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def data_export(request):
    """GET: the page. POST: ask for a copy of the data, built in the background (one per
    DATA_EXPORT_INTERVAL_HOURS; past it 429 and nothing changes)."""
    if request.method == "POST":
        try:
            privacy.data_export_request(user=request.user)
        except Refused as exc:
            return _data_page(request, status=exc.status, export_error=exc.message)
        messages.success(request, "We are preparing a copy of your data; the download link appears here.")
        return redirect("accounts:data")
    return _data_page(request)


@login_required
@require_safe
def data_export_download(request, token):
    """The zip of one of the person's own exports; anyone else's token answers 404."""
    name = privacy.data_export_file(user=request.user, token=token)
    if name is None:
        raise Http404
    filename = f"clip-{request.user.username}-data.zip"
    if media_store.is_remote():
        url = media_store.url_for(name, expires=settings.MEDIA_URL_EXPIRES_SECONDS, download_as=filename)
        response = HttpResponseRedirect(url)
    elif settings.MEDIA_X_ACCEL_PREFIX:
        relative = name
        response = HttpResponse(content_type="application/zip")
        response["X-Accel-Redirect"] = settings.MEDIA_X_ACCEL_PREFIX.rstrip("/") + "/" + relative
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        path = Path(settings.MEDIA_ROOT) / name
        response = FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def account_delete(request):
    error = ""
    if request.method == "POST":
        if request.user.check_password(request.POST.get("password", "")):
            user = request.user
            logout(request)
            privacy.user_delete(user=user)
            messages.success(request, "Your account and everything in it have been deleted.")
            return redirect("/")
        error = "That password is not right."
    return _data_page(request, status=400 if error else 200, delete_error=error)

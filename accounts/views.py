"""Sign-up, profile editing and the notification inbox; Django's auth views do the rest."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import privacy
from accounts.forms import LoginForm, ProfileForm, SignUpForm
from accounts.services import profile_update
from accounts.signals import signed_in
from accounts.signups import LINK_GONE, SignupRefused, signup_complete, signup_pending, signup_request
from tiktok import ratelimit


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
    initial = {"display_name": user.display_name, "bio": user.bio}
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


@login_required
def data_export(request):
    if request.method != "POST":
        return render(request, "accounts/data.html")
    payload = privacy.user_export(user=request.user)
    response = HttpResponse(payload, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="clip-{request.user.username}-data.zip"'
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
    return render(request, "accounts/data.html", {"delete_error": error}, status=400 if error else 200)

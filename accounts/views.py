"""Sign-up, profile editing and the notification inbox; Django's auth views do the rest."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.forms import ProfileForm, SignUpForm
from accounts.services import profile_update, user_sign_up


def _safe_next(request, default="/"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def signup(request):
    if request.user.is_authenticated:
        return redirect("/")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = user_sign_up(
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            display_name=data["display_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your account is ready.")
        return redirect(_safe_next(request))
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request, "")})


@login_required
def profile_edit(request):
    user = request.user
    initial = {"display_name": user.display_name, "bio": user.bio}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
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
    return render(request, "accounts/profile_edit.html", {"form": form})

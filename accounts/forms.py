"""Account forms; services do the writing."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.services import avatar_change_allowed, avatar_process
from tiktok.ratelimit import ThrottledLoginMixin


class SignUpForm(forms.Form):
    username = forms.RegexField(
        regex=r"^[A-Za-z0-9_.]{3,30}$",
        max_length=30,
        error_messages={"invalid": "Use 3–30 letters, digits, dots or underscores."},
    )
    email = forms.EmailField()
    display_name = forms.CharField(max_length=50, required=False)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    age_confirmed = forms.BooleanField(
        label=f"I am at least {settings.MINIMUM_AGE} years old",
        error_messages={"required": f"You must be at least {settings.MINIMUM_AGE} to sign up."},
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That username is taken.")
        return username

    def clean_email(self):
        # Whether the address already has an account is not checked here: the answer would
        # tell anyone which addresses are registered. The e-mail sent to it tells its owner.
        return self.cleaned_data["email"].lower()

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            probe = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """Django's log-in form behind the log-in lockout (tiktok.ratelimit), as the admin's is."""


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=50, required=False)
    bio = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    avatar = forms.FileField(required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    remove_avatar = forms.BooleanField(required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if avatar:
            # Counted before the image is read: every upload costs a decode, accepted or not.
            if self.user is not None and not avatar_change_allowed(user=self.user):
                limit = settings.AVATAR_CHANGES_PER_HOUR
                raise ValidationError(
                    f"You have changed your avatar {limit} times in the last hour; try again later.",
                    code="rate_limited",
                )
            return avatar_process(upload=avatar)  # a clear ValidationError for a bad image
        return None

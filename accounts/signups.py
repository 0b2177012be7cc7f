"""Sign-up by e-mailed link.

The sign-up form's answer is the same whether or not its e-mail address already has an
account, so it cannot be used to find out who is registered. The account is made only when the
link e-mailed to the address is followed; if the address already has an account, its owner
gets an e-mail saying someone tried to sign up with it, with links to log in or reset the
password. Until the link is followed, the sign-up waits in the shared cache (the password only
as its hash), for PENDING_SECONDS."""

import hashlib
import logging
import secrets

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from accounts.services import user_sign_up
from tiktok import ratelimit

logger = logging.getLogger(__name__)

PENDING_SECONDS = 24 * 3600
# Mails one address gets per hour from sign-ups (links or "someone tried"); past it the form
# answers the same and nothing is sent, so nobody can flood an inbox through the form.
MAILS_PER_ADDRESS_PER_HOUR = 3


class SignupRefused(Exception):
    """A sign-up that cannot go on; `message` is one line for the person, `status` the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


LINK_GONE = "This link has expired or was already used."


def _pending_key(token: str) -> str:
    return "signup:" + hashlib.sha256(token.encode()).hexdigest()


def _mail(*, template: str, subject: str, to: str, context: dict) -> None:
    body = render_to_string(template, context)
    try:
        send_mail(subject, body, None, [to])
    except Exception as exc:  # SMTP's and the backend's own errors
        logger.error("sign-up e-mail to %s not sent: %s", to, exc)
        raise SignupRefused("The e-mail could not be sent just now. Please try again in a few minutes.", 503) from None


def signup_request(
    *, request, username: str, email: str, password: str, display_name: str = "", next_url: str = "/"
) -> None:
    """Start a sign-up: e-mail a link that makes the account, or, if the address already has
    an account, e-mail its owner instead. The caller answers the same either way."""
    email = email.lower()
    # Hashed in both cases, so that the answer takes as long whether or not the address is taken.
    password_hash = make_password(password)
    if not ratelimit.hit("signup-mail", email, limit=MAILS_PER_ADDRESS_PER_HOUR, window=3600):
        logger.info("sign-up e-mail to an address over its hourly limit not sent")
        return
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        _mail(
            template="accounts/signup_taken_email.txt",
            subject="Someone tried to sign up for Clip with your address",
            to=owner.email,
            context={
                "user": owner,
                "login_url": request.build_absolute_uri(reverse("accounts:login")),
                "reset_url": request.build_absolute_uri(reverse("accounts:password_reset")),
            },
        )
        return
    token = secrets.token_urlsafe(32)
    pending = {
        "username": username,
        "email": email,
        "password_hash": password_hash,
        "display_name": display_name,
        "next": next_url,
    }
    try:
        cache.set(_pending_key(token), pending, timeout=PENDING_SECONDS)
    except Exception as exc:  # the cache backend's own connection errors
        logger.error("sign-up not stored, cache unavailable: %s", exc)
        raise SignupRefused("Sign-up is unavailable just now. Please try again in a few minutes.", 503) from None
    _mail(
        template="accounts/signup_confirm_email.txt",
        subject="Finish signing up for Clip",
        to=email,
        context={
            "username": username,
            "link": request.build_absolute_uri(reverse("accounts:signup_confirm", args=[token])),
            "hours": PENDING_SECONDS // 3600,
        },
    )


def signup_pending(*, token: str) -> dict | None:
    """The sign-up a link stands for, or None if the link is unknown, expired or used."""
    try:
        return cache.get(_pending_key(token))
    except Exception as exc:
        logger.error("sign-up not read, cache unavailable: %s", exc)
        return None


def signup_complete(*, token: str) -> tuple[User, str]:
    """Make the account a link stands for; returns it and where to go next. The link then
    stops working. Raises SignupRefused, and makes nothing, for a link that is gone or a name or
    address taken while it waited."""
    pending = signup_pending(token=token)
    if pending is None:
        raise SignupRefused(LINK_GONE)
    taken_name = SignupRefused("That username was taken while the link waited. Please sign up again with another.")
    taken_address = SignupRefused(
        "An account with this address was made while the link waited. Log in, or reset its password."
    )
    if User.objects.filter(username__iexact=pending["username"]).exists():
        raise taken_name
    if User.objects.filter(email__iexact=pending["email"]).exists():
        raise taken_address
    try:
        user = user_sign_up(
            username=pending["username"],
            email=pending["email"],
            password_hash=pending["password_hash"],
            display_name=pending["display_name"],
        )
    except (IntegrityError, ValidationError):  # the same link followed twice at once, or taken just now
        if User.objects.filter(email__iexact=pending["email"]).exists():
            raise taken_address from None
        raise taken_name from None
    cache.delete(_pending_key(token))
    return user, pending["next"]

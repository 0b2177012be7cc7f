"""Log-in that refuses banned accounts: a ban must end access, not only visibility."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied


class StandingBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None:
            User = get_user_model()
            user = User._default_manager.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).first()
            if user is not None and user.banned_at is not None:
                # PermissionDenied stops Django from asking the next backend.
                raise PermissionDenied("banned")
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and getattr(user, "banned_at", None) is None

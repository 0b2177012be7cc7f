"""Log-in that refuses banned accounts: a ban must end access, not only visibility."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError

from tiktok.prepared import Prepared, columns, instance


def _user_query(pk):
    User = get_user_model()
    return User._default_manager.filter(pk=pk).values_list(*columns(User))


# Every signed-in request loads its user: compiled once per process.
_user_row = Prepared(_user_query, pk=int)


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

    def get_user(self, user_id):
        """The session's user (ModelBackend's, from a prepared query)."""
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        found = _user_row.rows(pk=pk)
        if not found:
            return None
        user = instance(User, columns(User), found[0])
        return user if self.user_can_authenticate(user) else None

"""Template context shared by every page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not getattr(request, "htmx", False):
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "unread_notifications": unread,
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        # "https://host" for absolute links (share buttons, OpenGraph), worked out once a page.
        "site_root": SimpleLazyObject(lambda: f"{request.scheme}://{request.get_host()}"),
    }

"""URL map: each app owns its own URLs; media goes through a permission-checking view."""

from django.contrib import admin
from django.urls import include, path

from tiktok import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("moderation/", include("moderation.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("videos.urls")),
]

handler404 = "tiktok.views.page_not_found"
handler500 = "tiktok.views.server_error"

"""URL map: each app owns its own URLs; media goes through a permission-checking view."""

from django.contrib import admin
from django.urls import include, path

from moderation.views_captions import edit_captions
from tiktok import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("moderation/", include("moderation.urls")),
    path("healthz", views.healthz, name="healthz"),
    # A video's page, but its captions are moderated text: the view belongs to moderation.
    path("v/<str:public_id>/captions/edit/", edit_captions, name="captions_edit"),
    path("", include("recommendations.urls")),
    path("", include("videos.urls")),
]

handler404 = "tiktok.views.page_not_found"
handler500 = "tiktok.views.server_error"

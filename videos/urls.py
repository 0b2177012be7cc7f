from django.urls import path

from videos import views

app_name = "videos"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("search/", views.search, name="search"),
    path("upload/", views.upload, name="upload"),
    path("inbox/", views.notifications, name="notifications"),
    path("inbox/badge/", views.notification_badge, name="notification_badge"),
    path("@<str:username>/", views.profile, name="profile"),
]

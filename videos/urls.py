from django.urls import path

from videos import views, views_media, views_upload

app_name = "videos"

urlpatterns = [
    # Viewer pages (videos/views.py)
    path("search/", views.search, name="search"),
    path("inbox/", views.notifications, name="notifications"),
    path("inbox/badge/", views.notification_badge, name="notification_badge"),
    path("@<str:username>/", views.profile, name="profile"),
    path("v/<str:public_id>/", views.watch, name="watch"),
    path("following/", views.following, name="following"),
    path("history/", views.history, name="history"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("tag/<str:name>/", views.hashtag, name="hashtag"),
    path("events/", views.event, name="event"),
    path("@<str:username>/follow/", views.follow, name="follow"),
    path("@<str:username>/block/", views.block, name="block"),
    path("v/<str:public_id>/like/", views.like, name="like"),
    path("v/<str:public_id>/favourite/", views.favourite, name="favourite"),
    path("v/<str:public_id>/share/", views.share, name="share"),
    path("v/<str:public_id>/not-interested/", views.not_interested, name="not_interested"),
    path("v/<str:public_id>/comments/", views.comments, name="comments"),
    path("v/<str:public_id>/comments/<int:pk>/replies/", views.comment_replies, name="comment_replies"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
    # Creating and managing videos (videos/views_upload.py)
    path("upload/", views_upload.upload, name="upload"),
    path("v/<str:public_id>/status/", views_upload.status, name="status"),
    path("v/<str:public_id>/edit/", views_upload.edit, name="edit"),
    path("v/<str:public_id>/delete/", views_upload.delete, name="delete"),
    # Media behind permission checks (videos/views_media.py)
    path("v/<str:public_id>/media/<str:rendition>.mp4", views_media.rendition, name="media"),
    path("v/<str:public_id>/poster.jpg", views_media.poster, name="poster"),
    path("v/<str:public_id>/poster-tile.webp", views_media.poster_tile, name="poster_tile"),
    path("v/<str:public_id>/captions.vtt", views_media.captions, name="captions"),
    path("media/avatars/<str:name>", views_media.avatar, name="avatar"),
]

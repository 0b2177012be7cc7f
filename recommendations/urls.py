from django.urls import path

from recommendations import views

app_name = "recommendations"

# Mounted at the site root: the For You feed is the home page.
urlpatterns = [
    path("", views.feed, name="feed"),
    path("feed/more/", views.feed_more, name="feed_more"),
    path("discover/", views.discover, name="discover"),
    path("recommendations/interests/", views.interests, name="interests"),
]

from django.urls import path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("interests/", views.interests, name="interests"),
]

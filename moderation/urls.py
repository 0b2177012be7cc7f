from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("report/<str:kind>/<str:key>/", views.report, name="report"),
    path("appeal/<str:public_id>/", views.appeal, name="appeal"),
    path("evidence/<str:public_id>/<str:name>", views.evidence_frame, name="evidence_frame"),
]

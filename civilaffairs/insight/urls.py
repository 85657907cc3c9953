from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("benefits/", views.benefits, name="benefits"),
    path("applications/", views.applications, name="applications"),
]

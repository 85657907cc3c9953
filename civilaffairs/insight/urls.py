from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("benefits/", views.benefits, name="benefits"),
    path("applications/", views.applications, name="applications"),
    # Each domain's own figures (insight.registry), after the platform's own pages.
    path("<slug:code>/", views.domain, name="domain"),
]

"""The project's URLs plus this app's, until the lead includes `childwelfare.urls` in
civilaffairs/urls.py (then this module can go)."""

from django.urls import include, path

from civilaffairs.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    p for p in project_urlpatterns if getattr(p, "namespace", None) != "childwelfare"
] + [path("childwelfare/", include("childwelfare.urls"))]

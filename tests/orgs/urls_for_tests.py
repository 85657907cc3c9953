"""The project's URLs plus this app's, until the lead includes `orgs.urls` in
civilaffairs/urls.py (then this module is no longer needed)."""

from django.urls import include, path

from civilaffairs.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *[p for p in project_urlpatterns if getattr(p, "pattern", None) and str(p.pattern) != "orgs/"],
    path("orgs/", include("orgs.urls")),
]

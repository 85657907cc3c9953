"""The project's URLs plus elder care's, until the lead wires `path("eldercare/", ...)` into
civilaffairs/urls.py (then this module is a harmless duplicate-free copy)."""

from django.urls import include, path

from civilaffairs.urls import urlpatterns as project_patterns

urlpatterns = list(project_patterns)
if not any(getattr(p, "namespace", None) == "eldercare" for p in project_patterns):
    urlpatterns.append(path("eldercare/", include("eldercare.urls")))

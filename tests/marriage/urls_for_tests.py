"""The project's URLs plus the marriage app's, until the lead adds the include."""

from django.urls import include, path

from civilaffairs.urls import urlpatterns as project

urlpatterns = [
    *[p for p in project if "marriage" not in str(getattr(p, "pattern", ""))],
    path("marriage/", include("marriage.urls")),
]

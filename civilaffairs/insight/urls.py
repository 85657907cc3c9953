from django.urls import path

from . import scenario_views, views

app_name = "insight"

urlpatterns = [
    path("benefits/", views.benefits, name="benefits"),
    path("applications/", views.applications, name="applications"),
    # Decision support: proposed changes of a program's parameters (before the domains' own).
    path("scenarios/", scenario_views.scenario_list, name="scenarios"),
    path("scenarios/new/", scenario_views.scenario_new, name="scenario-new"),
    path("scenarios/compare/", scenario_views.scenario_compare, name="scenario-compare"),
    path("scenarios/<id:pk>/", scenario_views.scenario_detail, name="scenario"),
    path("scenarios/<id:pk>/print/", scenario_views.scenario_print, name="scenario-print"),
    # Each domain's own figures (insight.registry), after the platform's own pages.
    path("<slug:code>/", views.domain, name="domain"),
]

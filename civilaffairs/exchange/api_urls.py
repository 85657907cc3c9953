"""/api/v1/: the token endpoint, the schema and its documentation, and the endpoints."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider import views as oauth2_views

from . import views

app_name = "api"

urlpatterns = [
    # Client credentials only; the other grant types are refused by the application's type.
    path("oauth/token/", oauth2_views.TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view: Swagger UI's start-up script is a file, not inline, so the page keeps
    # the portal's Content-Security-Policy.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="exchange/swagger_ui.html"
        ),
        name="docs",
    ),
    path("persons/lookup/", views.PersonView.as_view(), name="person"),
    path("persons/household/", views.HouseholdView.as_view(), name="household"),
    path("persons/benefits/", views.BenefitsView.as_view(), name="benefits"),
    path("persons/marital-status/", views.MaritalStatusView.as_view(), name="marital-status"),
    path("cases/<str:reference>/", views.CaseStatusView.as_view(), name="case"),
    path("recipients/", views.RecipientsView.as_view(), name="recipients"),
    path("notices/deaths/", views.DeathNoticeView.as_view(), name="death-notices"),
    path("notices/incomes/", views.IncomeNoticeView.as_view(), name="income-notices"),
    path(
        "notices/disabilities/",
        views.DisabilityNoticeView.as_view(),
        name="disability-notices",
    ),
    path(
        "notices/premarital-checks/",
        views.PremaritalNoticeView.as_view(),
        name="premarital-notices",
    ),
    path("economic-checks/", views.EconomicChecksView.as_view(), name="economic-checks"),
    path(
        "economic-checks/<int:pk>/answers/",
        views.EconomicCheckAnswerView.as_view(),
        name="economic-check-answer",
    ),
    # Anything else under /api/v1/ is the API's own 404, in JSON (not the site's HTML page).
    path("<path:rest>", views.not_found, name="not-found"),
]

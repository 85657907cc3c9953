"""URLs of the social-organization domain, included by the project as
`path("orgs/", include("orgs.urls"))`."""

from django.urls import path

from . import staff_views, views

app_name = "orgs"

urlpatterns = [
    # Public.
    path("register/", views.register_list, name="register"),
    path("register/<int:pk>/", views.register_detail, name="register-detail"),
    path("needs/", views.needs_public, name="needs-public"),
    path("ledger/", views.public_ledger, name="ledger"),
    # Organizations' accounts.
    path("my/", views.my_orgs, name="my-orgs"),
    path("my/<int:pk>/", views.my_org, name="my-org"),
    path("my/<int:pk>/apply/<slug:kind>/", views.change_start, name="change-start"),
    path("my/<int:pk>/reports/new/", views.report_start, name="report-start"),
    path("apply/establish/", views.establish_start, name="establish-start"),
    path("applications/<int:pk>/", views.application_edit, name="application-edit"),
    path(
        "applications/<int:pk>/documents/", views.application_document, name="application-document"
    ),
    path("applications/<int:pk>/submit/", views.application_submit, name="application-submit"),
    path("reports/<int:pk>/", views.report_edit, name="report-edit"),
    path("reports/<int:pk>/documents/", views.report_document, name="report-document"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report-submit"),
    # Charity: the needing side (organizations and offices).
    path("charity/", views.charity_home, name="charity-home"),
    path("charity/projects/new/", views.project_new, name="project-new"),
    path("charity/needs/new/", views.need_new, name="need-new"),
    path("charity/needs/<int:pk>/", views.need_detail, name="need-detail"),
    path("charity/needs/<int:pk>/propose/", views.need_propose, name="need-propose"),
    path("charity/needs/<int:pk>/close/", views.need_close, name="need-close"),
    path("charity/matches/<int:pk>/accept/", views.match_accept, name="match-accept"),
    path("charity/matches/<int:pk>/decline/", views.match_decline, name="match-decline"),
    path("charity/matches/<int:pk>/close/", views.match_close, name="match-close"),
    path("charity/matches/<int:pk>/deliveries/", views.match_delivery, name="match-delivery"),
    path("charity/deliveries/<int:pk>/confirm/", views.delivery_confirm, name="delivery-confirm"),
    # Donors.
    path("donate/", views.offer_new, name="offer-new"),
    path("donations/", views.my_donations, name="my-donations"),
    path("donations/<int:pk>/", views.offer_detail, name="offer-detail"),
    path("donations/<int:pk>/withdraw/", views.offer_withdraw, name="offer-withdraw"),
    # The registration authority.
    path("staff/", staff_views.org_list, name="staff-orgs"),
    path("staff/late/", staff_views.late_list, name="staff-late"),
    path("staff/<int:pk>/", staff_views.org_detail, name="staff-org"),
    path("staff/<int:pk>/status/", staff_views.org_status, name="staff-org-status"),
    path("staff/<int:pk>/charity/", staff_views.org_charity, name="staff-org-charity"),
    path("staff/<int:pk>/accounts/", staff_views.org_account, name="staff-org-account"),
    path(
        "staff/applications/<int:pk>/approve/",
        staff_views.application_approve,
        name="application-approve",
    ),
    path("staff/reports/<int:pk>/grade/", staff_views.report_grade, name="report-grade"),
]

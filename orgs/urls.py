"""URLs of the social-organization domain, included by the project as
`path("orgs/", include("orgs.urls"))`."""

from django.urls import path

from . import staff_views, views

app_name = "orgs"

urlpatterns = [
    # Public.
    path("register/", views.register_list, name="register"),
    path("register/<id:pk>/", views.register_detail, name="register-detail"),
    path("needs/", views.needs_public, name="needs-public"),
    path("ledger/", views.public_ledger, name="ledger"),
    # Organizations' accounts.
    path("my/", views.my_orgs, name="my-orgs"),
    path("my/<id:pk>/", views.my_org, name="my-org"),
    path("my/<id:pk>/apply/<slug:kind>/", views.change_start, name="change-start"),
    path("my/<id:pk>/reports/new/", views.report_start, name="report-start"),
    path("apply/establish/", views.establish_start, name="establish-start"),
    path("applications/<id:pk>/", views.application_edit, name="application-edit"),
    path(
        "applications/<id:pk>/documents/", views.application_document, name="application-document"
    ),
    path("applications/<id:pk>/submit/", views.application_submit, name="application-submit"),
    path("reports/<id:pk>/", views.report_edit, name="report-edit"),
    path("reports/<id:pk>/documents/", views.report_document, name="report-document"),
    path("reports/<id:pk>/submit/", views.report_submit, name="report-submit"),
    # Charity: the needing side (organizations and offices).
    path("charity/", views.charity_home, name="charity-home"),
    path("charity/projects/new/", views.project_new, name="project-new"),
    path("charity/needs/new/", views.need_new, name="need-new"),
    path("charity/needs/<id:pk>/", views.need_detail, name="need-detail"),
    path("charity/needs/<id:pk>/propose/", views.need_propose, name="need-propose"),
    path("charity/needs/<id:pk>/close/", views.need_close, name="need-close"),
    path("charity/matches/<id:pk>/accept/", views.match_accept, name="match-accept"),
    path("charity/matches/<id:pk>/decline/", views.match_decline, name="match-decline"),
    path("charity/matches/<id:pk>/close/", views.match_close, name="match-close"),
    path("charity/matches/<id:pk>/deliveries/", views.match_delivery, name="match-delivery"),
    path("charity/deliveries/<id:pk>/confirm/", views.delivery_confirm, name="delivery-confirm"),
    # Donors.
    path("donate/", views.offer_new, name="offer-new"),
    path("donations/", views.my_donations, name="my-donations"),
    path("donations/<id:pk>/", views.offer_detail, name="offer-detail"),
    path("donations/<id:pk>/withdraw/", views.offer_withdraw, name="offer-withdraw"),
    # The registration authority.
    path("staff/", staff_views.org_list, name="staff-orgs"),
    path("staff/late/", staff_views.late_list, name="staff-late"),
    path("staff/<id:pk>/", staff_views.org_detail, name="staff-org"),
    path("staff/<id:pk>/status/", staff_views.org_status, name="staff-org-status"),
    path("staff/<id:pk>/charity/", staff_views.org_charity, name="staff-org-charity"),
    path("staff/<id:pk>/accounts/", staff_views.org_account, name="staff-org-account"),
]

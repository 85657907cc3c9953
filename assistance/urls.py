from django.urls import path

from . import views

app_name = "assistance"

urlpatterns = [
    path("apply/dibao/", views.apply_dibao, name="apply-dibao"),
    path("apply/tekun/", views.apply_tekun, name="apply-tekun"),
    path("apply/linshi/", views.apply_linshi, name="apply-linshi"),
    path("applications/<id:pk>/step/<id:step>/", views.application_step, name="application-step"),
    path("notices/", views.public_notices, name="notices"),
    path("notices/<id:pk>/objection/", views.objection, name="objection"),
    path("staff/assisted/<id:person_pk>/", views.assisted_start, name="assisted-start"),
    path(
        "staff/cases/<id:pk>/economic-check/",
        views.request_economic_check,
        name="economic-check",
    ),
]

from django.urls import path

from . import disaster_views, views

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
    # Disaster relief (disaster_views): events, the figures of one, a village's households.
    path("staff/disasters/", disaster_views.disaster_list, name="disasters"),
    path("staff/disasters/new/", disaster_views.disaster_new, name="disaster-new"),
    path("staff/disasters/<id:pk>/", disaster_views.disaster_detail, name="disaster"),
    path("staff/disasters/<id:pk>/count/", disaster_views.disaster_count, name="disaster-count"),
    path("staff/disasters/<id:pk>/end/", disaster_views.disaster_end, name="disaster-end"),
    path(
        "staff/disasters/<id:pk>/add-places/",
        disaster_views.disaster_add_places,
        name="disaster-add-places",
    ),
    path(
        "staff/disasters/<id:pk>/places/<region:code>/",
        disaster_views.disaster_place,
        name="disaster-place",
    ),
    path(
        "staff/disasters/<id:pk>/places/<region:code>/give/",
        disaster_views.disaster_give,
        name="disaster-give",
    ),
    path(
        "staff/disasters/<id:pk>/places/<region:code>/open-cases/",
        disaster_views.disaster_open_cases,
        name="disaster-open-cases",
    ),
    path(
        "staff/disasters/<id:pk>/relief/<id:relief_pk>/correct/",
        disaster_views.disaster_correct,
        name="disaster-correct",
    ),
]

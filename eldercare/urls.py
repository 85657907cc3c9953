from django.urls import path

from . import api, provider_views, staff_views, views

app_name = "eldercare"

urlpatterns = [
    # Citizens (the elder, or a family member acting for them) and the public.
    path("", views.home, name="home"),
    path("book/", views.book_start, name="book"),
    path("book/<slug:step>/", views.book_step, name="book-step"),
    path("bookings/", views.booking_list, name="booking-list"),
    path("bookings/<id:pk>/", views.booking_detail, name="booking-detail"),
    path("bookings/<id:pk>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("bookings/<id:pk>/rate/", views.booking_rate, name="booking-rate"),
    path("family/", views.family, name="family"),
    path("family/<id:pk>/answer/", views.family_answer, name="family-answer"),
    path("family/<id:pk>/end/", views.family_end, name="family-end"),
    path("care-plan/apply/", views.careplan_apply, name="careplan-apply"),
    path("age-allowance/invitations/<id:pk>/", views.invitation, name="invitation"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/<id:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<id:pk>/occupancy/", staff_views.occupancy, name="institution-occupancy"),
    # Providers.
    path("provider/", provider_views.booking_list, name="provider-bookings"),
    path("provider/bookings/<id:pk>/", provider_views.booking_detail, name="provider-booking"),
    path(
        "provider/bookings/<id:pk>/<slug:action>/",
        provider_views.booking_action,
        name="provider-booking-action",
    ),
    path("provider/ratings/", provider_views.ratings, name="provider-ratings"),
    path("provider/workers/", provider_views.worker_list, name="provider-workers"),
    path(
        "provider/workers/<id:pk>/active/",
        provider_views.worker_active,
        name="provider-worker-active",
    ),
    # Staff.
    path("staff/", staff_views.overview, name="staff-overview"),
    path("staff/bookings/", staff_views.bookings, name="staff-bookings"),
    path("staff/family-links/", staff_views.family_links, name="staff-links"),
    path(
        "staff/family-links/<id:pk>/confirm/",
        staff_views.family_link_confirm,
        name="staff-link-confirm",
    ),
    path("staff/alerts/", staff_views.alerts, name="staff-alerts"),
    path("staff/alerts/<id:pk>/handled/", staff_views.alert_handle, name="staff-alert-handle"),
    path("staff/visits/<id:pk>/phone/", staff_views.visit_phone, name="staff-visit-phone"),
    path("staff/institutions/", staff_views.institutions, name="staff-institutions"),
    path("staff/providers/", staff_views.providers, name="staff-providers"),
    path("staff/providers/<id:pk>/", staff_views.provider_detail, name="staff-provider"),
    path(
        "staff/people/<id:person_pk>/care-plan/",
        staff_views.careplan_assisted,
        name="careplan-assisted",
    ),
    path(
        "staff/people/<id:person_pk>/age-allowance/",
        staff_views.allowance_assisted,
        name="allowance-assisted",
    ),
    path("staff/plans/<id:pk>/", staff_views.plan_edit, name="plan-edit"),
    # Device platforms.
    path("api/readings/", api.readings, name="api-readings"),
]

from django.urls import path

from . import views

app_name = "marriage"

urlpatterns = [
    # Citizens
    path("", views.my_marriage, name="my"),
    path("book/registration/", views.book_registration, name="book-registration"),
    path("book/divorce/", views.book_divorce, name="book-divorce"),
    path("applications/<id:pk>/collect/", views.book_collection, name="book-collection"),
    path("applications/<id:pk>/refusal/", views.refusal_letter, name="refusal-letter"),
    path("appointments/<id:pk>/confirm/", views.appointment_confirm, name="appointment-confirm"),
    path("appointments/<id:pk>/change/", views.appointment_change, name="appointment-change"),
    path("appointments/<id:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    # Registrars
    path("staff/", views.staff_appointments, name="staff-appointments"),
    path("staff/applications/<id:pk>/", views.counter, name="counter"),
    path("staff/applications/<id:pk>/check-in/", views.counter_check_in, name="counter-check-in"),
    path(
        "staff/applications/<id:pk>/refusal/",
        views.staff_refusal_letter,
        name="staff-refusal-letter",
    ),
    path("staff/certificates/<id:pk>/", views.certificate, name="certificate"),
    path("staff/replacement/", views.replacement, name="replacement"),
    path("staff/statistics/", views.statistics, name="statistics"),
]

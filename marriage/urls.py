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
    path("staff/applications/<id:pk>/register/", views.counter_register, name="counter-register"),
    path("staff/applications/<id:pk>/receive/", views.counter_receive, name="counter-receive"),
    path(
        "staff/applications/<id:pk>/divorce/",
        views.counter_register_divorce,
        name="counter-register-divorce",
    ),
    path("staff/applications/<id:pk>/refuse/", views.counter_refuse, name="counter-refuse"),
    path("staff/applications/<id:pk>/clear/", views.counter_clear, name="counter-clear"),
    path("staff/applications/<id:pk>/withdraw/", views.counter_withdraw, name="counter-withdraw"),
    path(
        "staff/applications/<id:pk>/refusal/",
        views.staff_refusal_letter,
        name="staff-refusal-letter",
    ),
    path("staff/certificates/<id:pk>/", views.certificate, name="certificate"),
    path("staff/replacement/", views.replacement, name="replacement"),
    path("staff/statistics/", views.statistics, name="statistics"),
]

from django.urls import path

from . import views

app_name = "marriage"

urlpatterns = [
    # Citizens
    path("", views.my_marriage, name="my"),
    path("book/registration/", views.book_registration, name="book-registration"),
    path("book/divorce/", views.book_divorce, name="book-divorce"),
    path("applications/<int:pk>/collect/", views.book_collection, name="book-collection"),
    path("applications/<int:pk>/refusal/", views.refusal_letter, name="refusal-letter"),
    path("appointments/<int:pk>/confirm/", views.appointment_confirm, name="appointment-confirm"),
    path("appointments/<int:pk>/change/", views.appointment_change, name="appointment-change"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    # Registrars
    path("staff/", views.staff_appointments, name="staff-appointments"),
    path("staff/applications/<int:pk>/", views.counter, name="counter"),
    path("staff/applications/<int:pk>/check-in/", views.counter_check_in, name="counter-check-in"),
    path("staff/applications/<int:pk>/register/", views.counter_register, name="counter-register"),
    path("staff/applications/<int:pk>/receive/", views.counter_receive, name="counter-receive"),
    path(
        "staff/applications/<int:pk>/divorce/",
        views.counter_register_divorce,
        name="counter-register-divorce",
    ),
    path("staff/applications/<int:pk>/refuse/", views.counter_refuse, name="counter-refuse"),
    path("staff/applications/<int:pk>/clear/", views.counter_clear, name="counter-clear"),
    path("staff/applications/<int:pk>/withdraw/", views.counter_withdraw, name="counter-withdraw"),
    path(
        "staff/applications/<int:pk>/refusal/",
        views.staff_refusal_letter,
        name="staff-refusal-letter",
    ),
    path("staff/certificates/<int:pk>/", views.certificate, name="certificate"),
    path("staff/replacement/", views.replacement, name="replacement"),
    path("staff/statistics/", views.statistics, name="statistics"),
]

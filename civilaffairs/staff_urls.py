"""The staff workspace, under /staff/. Every view here checks jurisdiction via accounts.access."""

from django.urls import path

from civilaffairs.people import views as people_views
from civilaffairs.portal import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.workspace, name="workspace"),
    path("people/", people_views.person_list, name="person-list"),
    path("people/<id:pk>/", people_views.person_detail, name="person-detail"),
    path("people/<id:pk>/reveal/", people_views.person_reveal, name="person-reveal"),
]

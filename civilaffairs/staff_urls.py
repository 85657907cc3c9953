"""The staff workspace, under /staff/. Every view here checks jurisdiction via accounts.access."""

from django.urls import path

from civilaffairs.portal import register_views as people_views
from civilaffairs.portal import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.workspace, name="workspace"),
    path("people/", people_views.person_list, name="person-list"),
    path("people/new/", people_views.person_register, name="person-register"),
    path("people/<id:pk>/", people_views.person_detail, name="person-detail"),
    path("people/<id:pk>/history/", people_views.person_history_page, name="person-history"),
    path("people/<id:pk>/reveal/", people_views.person_reveal, name="person-reveal"),
    path("people/<id:pk>/correct/", people_views.person_correct, name="person-correct"),
    path("people/<id:pk>/duplicates/", people_views.person_duplicates, name="person-duplicates"),
    path("people/<id:pk>/merge/<id:other>/", people_views.person_merge, name="person-merge"),
    path("people/<id:pk>/household/new/", people_views.household_new, name="household-new"),
    path("households/<id:pk>/", people_views.household_detail, name="household-detail"),
    path(
        "households/<id:pk>/members/add/",
        people_views.household_add_member,
        name="household-add-member",
    ),
    path(
        "households/<id:pk>/members/end/",
        people_views.household_end_member,
        name="household-end-member",
    ),
]

from django.urls import path

from . import views

app_name = "childwelfare"

urlpatterns = [
    # Staff
    path("staff/", views.home, name="home"),
    path("staff/children/", views.child_list, name="child-list"),
    path("staff/children/<id:pk>/", views.child_detail, name="child-detail"),
    path("staff/children/<id:pk>/edit/", views.child_edit, name="child-edit"),
    path("staff/children/<id:pk>/category/", views.child_category, name="child-category"),
    path("staff/children/<id:pk>/director/", views.child_director, name="child-director"),
    path("staff/children/<id:pk>/parents/", views.child_parents, name="child-parents"),
    path("staff/children/<id:pk>/guardians/add/", views.guardian_add, name="guardian-add"),
    path("staff/children/<id:pk>/visits/new/", views.visit_new, name="visit-new"),
    path("staff/children/<id:pk>/allowance/", views.allowance_apply, name="allowance-apply"),
    path("staff/guardians/<id:pk>/end/", views.guardian_end, name="guardian-end"),
    path("staff/items/<id:pk>/", views.item_update, name="item-update"),
    path("staff/report/", views.report_find, name="report-find"),
    path("staff/report/<id:person_pk>/", views.report_person, name="report-person"),
    path("staff/alerts/", views.alert_list, name="alert-list"),
    path("staff/alerts/<id:pk>/resolve/", views.alert_resolve, name="alert-resolve"),
    path("staff/resources/", views.resource_list, name="resource-list"),
    # Guardians
    path("my-children/", views.my_children, name="my-children"),
    path("my-children/<id:pk>/", views.my_child, name="my-child"),
]

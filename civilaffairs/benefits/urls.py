from django.urls import path

from . import views

app_name = "benefits"

urlpatterns = [
    path("", views.batch_list, name="batches"),
    path("prepare/", views.batch_prepare, name="batch-prepare"),
    path("held/", views.held_list, name="held"),
    path("<id:pk>/", views.batch_detail, name="batch"),
    path("<id:pk>/approve/", views.batch_approve, name="batch-approve"),
    path("<id:pk>/cancel/", views.batch_cancel, name="batch-cancel"),
    path("<id:pk>/export/", views.batch_export, name="batch-export"),
    path("<id:pk>/results/", views.batch_results, name="batch-results"),
    path("entitlements/<id:pk>/account/", views.account_change, name="account"),
    path("payments/<id:pk>/retry/", views.payment_retry, name="payment-retry"),
]

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.batch_list, name="list"),
    path("template.csv", views.template_csv, name="template"),
    path("<id:pk>/", views.batch_detail, name="detail"),
    path("<id:pk>/progress/", views.batch_progress, name="progress"),
    path("<id:pk>/resume/", views.batch_resume, name="resume"),
    path("<id:pk>/refused.csv", views.refused_report, name="refused"),
    path("duplicates/", views.review_queue, name="review-queue"),
    path("duplicates/<id:pk>/", views.review, name="review"),
]

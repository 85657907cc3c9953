"""Case URLs: the staff pages (namespace `casework`, under /staff/cases/) and the citizen's
pages (namespace `cases`, under /my/). Both are included from civilaffairs.urls."""

from django.urls import path

from . import citizen_views, views

staff_patterns = [
    path("", views.queue_mine, name="queue-mine"),
    path("office/", views.queue_office, name="queue-office"),
    path("claim-next/", views.claim_next, name="claim-next"),
    path("bulk-assign/", views.bulk_assign, name="bulk-assign"),
    path("<id:pk>/", views.case_detail, name="case-detail"),
    path("<id:pk>/transition/<slug:name>/", views.case_transition, name="case-transition"),
    path("<id:pk>/assign/", views.case_assign, name="case-assign"),
    path("<id:pk>/claim/", views.case_claim, name="case-claim"),
    path("<id:pk>/release/", views.case_release, name="case-release"),
    path("<id:pk>/priority/", views.case_priority, name="case-priority"),
    path("<id:pk>/note/", views.case_note, name="case-note"),
    path("<id:pk>/documents/", views.document_upload, name="document-upload"),
    path("documents/<id:pk>/", views.document_download, name="document-download"),
]

citizen_patterns = [
    path("", citizen_views.my_cases, name="my-cases"),
    path("<id:pk>/", citizen_views.case_detail, name="case-detail"),
    path("<id:pk>/withdraw/", citizen_views.case_withdraw, name="case-withdraw"),
    path("<id:pk>/documents/", citizen_views.document_upload, name="document-upload"),
    path("documents/<id:pk>/", citizen_views.document_download, name="document-download"),
    path("messages/", citizen_views.inbox, name="inbox"),
    path("messages/read/", citizen_views.inbox_read, name="inbox-read"),
]

staff = (staff_patterns, "casework")
citizen = (citizen_patterns, "cases")

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civilaffairs.settings")

app = Celery("civilaffairs")
# All Celery settings live in civilaffairs/settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

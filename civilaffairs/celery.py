import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from civilaffairs.lib.logsafety import protect_celery_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civilaffairs.settings")

app = Celery("civilaffairs")
# All Celery settings live in civilaffairs/settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker and beat replace the handlers Django's LOGGING set up with their own: put the
# personal-number filters on those too (lib/logsafety.py).
after_setup_logger.connect(protect_celery_logging, weak=False)
after_setup_task_logger.connect(protect_celery_logging, weak=False)

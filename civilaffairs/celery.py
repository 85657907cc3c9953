import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, import_modules

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


@import_modules.connect(sender=app, weak=False)
def add_domain_schedules(sender, **kwargs):
    """The domains' periodic tasks (casework.registry.register_beat), added to the settings'
    own when the worker or beat imports its modules. Celery's Django fix-up, connected first,
    has run django.setup() by then, so every domain has registered; beat reads its schedule
    only afterwards, so the entries keep their last-run times in its schedule file like the
    settings' own (a daily task missed while beat was down still runs when it comes back)."""
    from civilaffairs.casework.registry import beat_entries

    sender.conf.beat_schedule = {**sender.conf.beat_schedule, **beat_entries()}

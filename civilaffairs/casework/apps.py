from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "civilaffairs.casework"
    label = "casework"
    verbose_name = _("Cases")

    def ready(self):
        from civilaffairs.people import events

        # checks registers itself; tasks registers the screening task in every process, so a
        # web process that queues it by name (actions.enqueue_screening) finds the task
        # itself, and eager mode (CELERY_TASK_ALWAYS_EAGER) runs it there.
        from . import checks, receivers, tasks  # noqa: F401

        events.person_died.connect(receivers.flag_open_cases, dispatch_uid="casework-death")

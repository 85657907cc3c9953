"""How a submission reaches the screening task: by the task's registered name (casework.actions
names it rather than importing casework.tasks, which imports the actions)."""

import pytest
from celery import signature

from civilaffairs.casework import actions
from civilaffairs.casework.models import Case
from civilaffairs.casework.tasks import screen_case_task
from tests.casework.conftest import make_case

pytestmark = pytest.mark.django_db


def test_the_name_the_actions_send_is_the_screening_task():
    # shared_task hands back a proxy; the signature resolves to the task behind it.
    assert signature(actions.SCREEN_CASE_TASK).type is screen_case_task._get_current_object()


def test_in_eager_mode_queueing_screens_the_case_in_the_process(world, monkeypatch):
    """CELERY_TASK_ALWAYS_EAGER (a settings switch for running without a worker) still works:
    the named signature finds the registered task and runs it here."""
    from civilaffairs.celery import app

    case = make_case(until="submitted")
    assert case.state == "submitted"
    # The real function, not the test package's stand-in (conftest's no_broker).
    monkeypatch.undo()
    actions.broker._reset()
    app.conf.task_always_eager = True
    try:
        assert actions.enqueue_screening(case.pk) is True
    finally:
        app.conf.task_always_eager = False
    assert Case.objects.get(pk=case.pk).state == "screened"

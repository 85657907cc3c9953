"""How a submission reaches the screening task: by the task's registered name (casework.actions
names it rather than importing casework.tasks, which imports the actions)."""

import os
import subprocess
import sys

import pytest
from celery import signature

from civilaffairs.casework import actions
from civilaffairs.casework.models import Case
from civilaffairs.casework.tasks import screen_case_task
from tests.casework.conftest import make_case

pytestmark = pytest.mark.django_db


def test_a_fresh_web_process_has_the_screening_task_registered():
    """A web process never imports casework.tasks itself (autodiscovery runs in the worker);
    the app's ready() does, so the name resolves there too and eager mode can run it. Checked
    in a new interpreter: this test process has imported the tasks module already."""
    code = (
        "import django; django.setup();"
        "from civilaffairs.celery import app;"
        "print('casework.screen_case_task' in app.tasks)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "civilaffairs.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.stdout.strip() == "True", result.stderr[-2000:]


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

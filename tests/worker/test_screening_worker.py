"""Acceptance of the screening queue with a real worker and real Redis."""

import pytest
from django.db import connection

from assistance import actions
from civilaffairs.casework.models import Case, Screening
from civilaffairs.casework.tasks import sweep_submitted_task
from tests.assistance.conftest import citizen_household, fill_dibao, setup_assistance
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(personas_tx):
    p = setup_assistance(personas_tx)
    citizen_household(p)
    return p


def submit(p):
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    fill_dibao(app, p.citizen)
    actions.do_submit_application(app, acting_user=p.citizen)
    return app.case.pk


def state_of(pk):
    connection.close()  # see the worker's commits, not a snapshot
    return Case.objects.get(pk=pk).state


def test_a_submitted_application_is_screened_explained_and_routed_without_anyone_touching_it(
    setup, worker
):
    pk = submit(setup)
    assert wait_for(lambda: state_of(pk) == "screened"), "the worker did not screen the case"
    case = Case.objects.get(pk=pk)
    assert case.office == setup.township
    screening = Screening.objects.get(case=case)
    assert screening.outcome == "pass" and screening.results
    assert case.events.filter(kind="screening", public=True).exists()
    assert case.events.filter(kind="routing", public=True).exists()


def test_with_the_broker_down_the_application_is_kept_and_screened_once_it_is_back(
    setup, private_redis, worker, settings
):
    private_redis.stop()
    pk = submit(setup)
    # Saved, and shown to the citizen as received.
    case = Case.objects.get(pk=pk)
    assert case.state == "submitted"
    assert case.events.filter(public=True, to_state="submitted").exists()
    assert list(Case.objects.of_citizen(setup.citizen)) == [case]
    private_redis.start()
    settings.SCREENING_SWEEP_AFTER_SECONDS = 0
    assert sweep_submitted_task() == 1
    assert wait_for(lambda: state_of(pk) == "screened", timeout=60), (
        "the sweep did not get the case screened"
    )
    assert Screening.objects.filter(case_id=pk).count() == 1

"""A report of a child with a real Celery worker and a real Redis: the platform screens and
routes it, and the intake workflow's on-commit follow-up pre-screens the category, with nobody
touching it."""

import pytest
from django.db import connection

from childwelfare.models import IntakeReport
from civilaffairs.casework.models import Case, Screening
from tests.childwelfare.conftest import orphan_family, report, setup_childwelfare
from tests.worker.conftest import private_redis, wait_for, worker  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def suggestion(case_pk):
    connection.close()  # see the worker's commits, not a snapshot
    return IntakeReport.objects.get(case_id=case_pk).suggested_category


def test_a_report_is_routed_and_its_category_pre_screened_by_the_worker(personas_tx, worker):  # noqa: F811
    w = setup_childwelfare(personas_tx)
    _granny, child = orphan_family()
    case = report(child, w.director)
    assert wait_for(lambda: suggestion(case.pk) == "orphan"), "the category was not pre-screened"
    case = Case.objects.get(pk=case.pk)
    assert case.state == "screened" and case.office == personas_tx.township
    assert set(Screening.objects.filter(case=case).values_list("program", flat=True)) == {
        "child_orphan",
        "child_no_carer",
        "child_left_behind",
        "child_difficulty",
    }

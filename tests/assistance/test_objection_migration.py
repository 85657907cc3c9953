"""Cases an open objection had stranded before objections could be answered move to the new
"objection" state when the migration runs, so the township can record its finding."""

import pytest

from assistance.models import Objection
from civilaffairs.casework.models import Case
from tests.migrations import migrate

from .test_process import submitted_dibao, walk_to_county

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_case_stranded_by_an_open_objection_is_moved_to_be_answered(assistance_setup, household):
    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    # As the old code left it: an open objection and the case back in "accepted" for good.
    Objection.objects.create(application=app, text="有经营收入未申报")
    Case.objects.filter(pk=app.case.pk).update(state="accepted")
    try:
        migrate("assistance", "0003_disbursement_removed")
    finally:
        migrate()
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "objection"
    assert case.events.filter(to_state="objection", data__migrated=True).exists()

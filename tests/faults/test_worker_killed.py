"""kill -9 of the Celery worker (every process of it, as when its machine dies) while 200
applications are being screened: none is lost, none is screened twice, none is sent to an
office that does not cover it. What the dead worker held is swept up by a new one."""

import time

import pytest

from tests.faults.conftest import screenings
from tests.faults.processes import wait_for

pytestmark = pytest.mark.faults

COUNT = 200


def screened(portal, cases) -> int:
    return list(portal.states(cases).values()).count("screened")


def test_killing_the_worker_mid_screening_loses_nothing_and_screens_nothing_twice(portal):
    drafts = portal.seed["drafts"][:COUNT]
    cases = [d["case"] for d in drafts]
    first = portal.start_worker()
    # Citizens' applications sent one after the other while the worker screens them.
    sending = portal.spawn("-m", "tests.faults.seed", "submit", portal.seed["path"], 0, COUNT)
    wait_for(lambda: screened(portal, cases) >= 30, 90, 0.05, "30 applications screened")
    first.kill9()
    at_kill = screened(portal, cases)
    assert at_kill < COUNT, "the worker screened everything before it was killed"
    assert sending.wait(120) == 0
    assert set(portal.states(cases).values()) <= {"submitted", "screened"}

    started = time.monotonic()
    portal.start_worker()
    portal.start_beat()
    wait_for(lambda: screened(portal, cases) == COUNT, 100, 0.5, "every application screened")
    print(f"{at_kill} screened before the kill, the rest {time.monotonic() - started:.1f}s after")

    assert screenings(portal, cases) == dict.fromkeys(cases, 1)
    assert portal.query(
        "SELECT count(*) FROM casework_screening WHERE case_id = ANY(%s)", (cases,)
    ) == [(COUNT,)]
    expected = {c["user"]: c["office"] for c in portal.seed["citizens"]}
    routed = dict(
        portal.query("SELECT id, office_id FROM casework_case WHERE id = ANY(%s)", (cases,))
    )
    misrouted = [d["case"] for d in drafts if routed[d["case"]] != expected[d["user"]]]
    assert misrouted == []
    # The offices are the three the citizens' areas call for, not one taking everything.
    assert len(set(routed.values())) == 3

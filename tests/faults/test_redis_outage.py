"""Redis stopped while citizens sign in and send applications through the real web server:
no 5xx, every application acknowledged and kept, and all of them screened once Redis is back,
by the worker and beat that ran through the outage and reconnected by themselves."""

import time

import pytest

from tests.faults.conftest import acknowledged, screenings
from tests.faults.processes import wait_for

pytestmark = pytest.mark.faults

SENDERS = 9  # three in each area, each with her own household


def test_with_redis_stopped_citizens_sign_in_and_send_and_everything_is_screened_when_it_returns(
    portal,
):
    portal.start_web()
    worker, beat = portal.start_worker(), portal.start_beat()
    citizens = [portal.citizen(n) for n in range(1 + SENDERS)]
    # Before: a first application is screened, so the worker and beat are known to be up.
    first = citizens[0].drafts()[0]
    assert citizens[0].sign_in().status_code == 302
    assert acknowledged(citizens[0].send(first), first)
    wait_for(
        lambda: screenings(portal, [first["case"]]) == {first["case"]: 1}, 60, 0.2, "a screening"
    )

    portal.redis.stop()
    responses, sent = [], []
    for citizen in citizens[1:]:
        response = citizen.sign_in()  # signing in needs a session: kept in PostgreSQL
        responses.append((response, 0))  # (its password hashing is slow on purpose)
        assert response.status_code == 302, f"sign-in answered {response.status_code}"
        for path in ("/", "/my/"):
            started = time.monotonic()
            responses.append((citizen.get(path), time.monotonic() - started))
        for draft in citizen.drafts():
            started = time.monotonic()
            response = citizen.send(draft)
            responses.append((response, time.monotonic() - started))
            assert acknowledged(response, draft), f"sending answered {response.status_code}"
            page = citizen.get(response.headers["Location"])
            responses.append((page, 0))
            assert page.status_code == 200
            sent.append(draft["case"])
    server_errors = [r.status_code for r, _ in responses if r.status_code >= 500]
    assert server_errors == []
    # Nothing waited on the dead Redis (a refused connection costs microseconds; a hung Redis
    # is timed in tests/test_cache.py). Generous: the machine may be busy.
    assert max(seconds for _, seconds in responses) < 5
    # Kept, as received: nothing lost, nothing screened without a broker.
    assert set(portal.states(sent).values()) == {"submitted"}

    portal.redis.start()  # same port, empty: whatever was queued before is gone
    wait_for(
        lambda: set(portal.states(sent).values()) == {"screened"},
        90,
        0.5,
        "the worker and beat to reconnect and the sweep to have every application screened",
    )
    assert screenings(portal, sent) == dict.fromkeys(sent, 1)
    assert worker.alive and beat.alive

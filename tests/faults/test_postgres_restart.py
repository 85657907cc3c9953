"""PostgreSQL restarted under a loop of citizens sending applications through the real web
server: while it is down every answer is a 503 retry page (never a 500 or a traceback in the
log), no application the portal acknowledged is lost, and the same web processes serve again
once it is back, without a restart of the portal."""

import threading
import time
from collections import deque
from dataclasses import dataclass

import pytest
import requests

from tests.faults.conftest import acknowledged
from tests.faults.processes import wait_for

pytestmark = pytest.mark.faults


@dataclass
class Answer:
    at: float
    draft: dict
    status: int | None  # None: no answer at all
    acknowledged: bool
    retry_after: str | None = None
    page: str = ""


class SendingLoop(threading.Thread):
    """Citizens sending applications one after the other; one not acknowledged is sent again
    later, as a citizen would."""

    def __init__(self, citizens):
        super().__init__(daemon=True)
        self.waiting = deque()
        self.waiting.extend((citizen, d) for citizen in citizens for d in citizen.drafts())
        self.answers: list[Answer] = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set() and self.waiting:
            citizen, draft = self.waiting.popleft()
            at = time.monotonic()
            try:
                response = citizen.send(draft)
            except requests.RequestException:
                answer = Answer(at, draft, None, False)
            else:
                answer = Answer(
                    at,
                    draft,
                    response.status_code,
                    acknowledged(response, draft),
                    response.headers.get("Retry-After"),
                    response.text if response.status_code >= 500 else "",
                )
            self.answers.append(answer)
            if not answer.acknowledged:
                self.waiting.append((citizen, draft))
            time.sleep(0.05)

    def acknowledged_since(self, moment: float) -> list[Answer]:
        return [a for a in self.answers if a.acknowledged and a.at >= moment]


def test_a_postgresql_restart_under_a_sending_loop_answers_503_and_loses_no_acknowledged_application(
    portal,
):
    web = portal.start_web()
    portal.start_worker()
    portal.start_beat()
    citizens = [portal.citizen(n) for n in range(len(portal.seed["citizens"]))]
    for citizen in citizens[:3]:  # the others sign in as they come to send
        assert citizen.sign_in().status_code == 302
    web_processes = {web.proc.pid, *web.children()}
    assert len(web_processes) == 3

    loop = SendingLoop(citizens)
    loop.start()
    try:
        wait_for(lambda: len(loop.acknowledged_since(0)) >= 6, 60, 0.1, "six acknowledgements")
        down_at = time.monotonic()
        portal.cluster.stop("fast")  # every connection cut, new ones refused
        wait_for(
            lambda: sum(1 for a in loop.answers if a.at > down_at and a.status == 503) >= 5,
            30,
            0.1,
            "503s while PostgreSQL is down",
        )
        time.sleep(max(0.0, down_at + 4 - time.monotonic()))  # down for a few seconds
        portal.cluster.start()
        up_at = time.monotonic()
        wait_for(
            lambda: len(loop.acknowledged_since(up_at)) >= 6,
            60,
            0.2,
            "the portal to serve again without being restarted",
        )
    finally:
        loop.halt.set()
        loop.join(60)

    statuses = {a.status for a in loop.answers}
    assert statuses <= {302, 503}, statuses
    down = [a for a in loop.answers if a.status == 503]
    assert all(down_at - 1 <= a.at <= up_at + 10 for a in down)  # only around the restart
    assert {a.retry_after for a in down} == {"30"}
    assert all(
        "服务暂时无法使用" in a.page and "Service temporarily unavailable" in a.page for a in down
    )
    # Nothing acknowledged is lost: every one is in the database, sent.
    acked = {a.draft["case"] for a in loop.answers if a.acknowledged}
    assert "draft" not in set(portal.states(acked).values())
    assert len(portal.states(acked)) == len(acked)
    # The same processes serve, reconnected by themselves.
    assert web.alive and {web.proc.pid, *web.children()} == web_processes
    log = portal.log("web").read_text()
    assert "Traceback" not in log and "Internal Server Error" not in log
    assert log.count("PostgreSQL unavailable") <= 2  # once per web process, not per request
    # And the worker got its connections back too: everything sent gets screened.
    wait_for(
        lambda: set(portal.states(acked).values()) == {"screened"},
        90,
        0.5,
        "the worker to screen what was sent around the restart",
    )

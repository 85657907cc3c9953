"""What one process knows about a service it depends on (Redis as cache or broker, PostgreSQL)
being away, so that an outage is logged once in a while instead of once per call, and a dead
service is not asked again on every call.

A dead Redis refuses a connection in well under a millisecond, but a hung one (a full network
queue, a stopped process, a firewall dropping packets) costs a whole socket timeout per call;
after a failure the caller is told to skip the service for `retry_after` seconds, so each
process pays that timeout at most once per interval. The log says when the outage starts,
how many calls it cost every `report_every` seconds while it lasts, and when it ends. It names
the kind of error and its first line only: never a key, a value or a statement, which could
carry personal data.
"""

import logging
import threading
import time

log = logging.getLogger("civilaffairs.outage")


def describe(exc: BaseException) -> str:
    """The error's class and the first line of its message (a host and port, a reason),
    cut short: enough to tell a refused connection from a timeout."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line[:160]}" if first_line else type(exc).__name__


class Outage:
    def __init__(self, name: str, *, retry_after: float = 5.0, report_every: float = 60.0):
        self.name = name
        self.retry_after = retry_after
        self.report_every = report_every
        self._lock = threading.Lock()
        self._clock = time.monotonic
        self._reset()

    def _reset(self):
        self.since: float | None = None  # when this outage began, as this process saw it
        self.skip_until = 0.0
        self.failures = 0  # calls that failed or were skipped since the last report
        self.total = 0  # … since the outage began
        self.reported_at = 0.0

    @property
    def is_down(self) -> bool:
        return self.since is not None

    def should_skip(self) -> bool:
        """True while a recent failure says the service is away: treat the call as failed
        without trying. Counted, so the next report says how many calls the outage cost."""
        if self.since is None or self._clock() >= self.skip_until:
            return False
        with self._lock:
            self.failures += 1
            self.total += 1
        self._report_if_due()
        return True

    def failed(self, exc: BaseException) -> None:
        now = self._clock()
        with self._lock:
            first = self.since is None
            if first:
                self.since = self.reported_at = now
            self.skip_until = now + self.retry_after
            self.failures += 1
            self.total += 1
        if first:
            log.warning(
                "%s unavailable (%s)%s",
                self.name,
                describe(exc),
                f"; carrying on without it, trying again every {self.retry_after:g}s"
                if self.retry_after
                else "",
            )
        else:
            self._report_if_due(exc)

    def succeeded(self) -> None:
        if self.since is None:
            return
        with self._lock:
            if self.since is None:
                return
            lasted, failures = self._clock() - self.since, self.total
            self._reset()
        log.warning(
            "%s available again after %.1fs (%d calls went without it)", self.name, lasted, failures
        )

    def _report_if_due(self, exc: BaseException | None = None) -> None:
        now = self._clock()
        with self._lock:
            if self.since is None or now - self.reported_at < self.report_every:
                return
            failures, self.failures, self.reported_at = self.failures, 0, now
            lasted = now - self.since
        log.warning(
            "%s still unavailable after %.0fs (%d calls went without it%s)",
            self.name,
            lasted,
            failures,
            f"; last error {describe(exc)}" if exc is not None else "",
        )

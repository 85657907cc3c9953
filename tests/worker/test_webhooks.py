"""A real worker delivers webhooks: a receiver on 127.0.0.1 that fails twice, then accepts,
gets the event exactly once accepted, signed, with the same event id each time."""

import hashlib
import hmac
import http.server
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from civilaffairs.exchange.models import Delivery, EventKind, Subscription
from civilaffairs.people.actions import do_record_death
from tests.exchange.conftest import make_department
from tests.factories import PersonFactory
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SECRET = "worker-test-signing-secret"


class Receiver:
    """Answers 500 to the first `fail` requests, 204 after; keeps what it was sent."""

    def __init__(self, fail=2):
        self.fail = fail
        self.seen = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.seen) <= receiver.fail else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def webhook_env(monkeypatch, settings):
    # Read by the worker process when it starts (the worker fixture copies the environment).
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_HOSTS", "1")
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture
def receiver():
    r = Receiver(fail=2)
    yield r
    r.close()


def test_a_receiver_that_fails_twice_gets_exactly_one_accepted_delivery(
    webhook_env, personas_tx, client, receiver, worker
):
    dept = make_department(client)
    Subscription.objects.create(
        grant=dept.grant, url=receiver.url, kinds=[EventKind.PERSON_DIED], signing_secret=SECRET
    )
    person = PersonFactory()
    do_record_death(person, acting_user=None, date_of_death=timezone.localdate())

    def delivered():
        connection.close()
        return Delivery.objects.filter(status=Delivery.Status.DELIVERED).exists()

    assert wait_for(delivered, timeout=60), [d.__dict__ for d in Delivery.objects.all()]
    time.sleep(2)  # nothing more arrives after the accepted one
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3 and delivery.last_status == 204
    assert len(receiver.seen) == 3
    ids = {headers["X-Civilaffairs-Event"] for headers, _body in receiver.seen}
    assert ids == {str(delivery.event_id)}
    headers, body = receiver.seen[-1]
    stamp, mac = (part.split("=", 1)[1] for part in headers["X-Civilaffairs-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    assert abs(int(stamp) - time.time()) < 120

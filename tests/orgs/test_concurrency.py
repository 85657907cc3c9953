"""Two matching steps racing for the same offer never promise more than it holds: the offer
row is locked while its quantity is reserved (and a check constraint backs it up)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from orgs import actions
from orgs.models import Match, Offer

from .conftest import citizen_user, region, register_org, setup_orgs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("civilaffairs.casework.actions.enqueue_screening", lambda pk: False)


def test_concurrent_matching_never_overcommits_an_offer(personas_tx, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    w = setup_orgs(personas_tx)
    org_user = citizen_user()
    org = register_org(org_user, w.approver)
    org = actions.do_set_charity(org, acting_user=w.approver, recognised=True)
    project = actions.do_create_project(
        acting_user=org_user, organization=org, name="冬季送温暖", region=region("640104001")
    )
    needs = [
        actions.do_create_need(
            project,
            acting_user=org_user,
            category="bedding",
            item="棉被",
            quantity=60,
            unit="piece",
            region=region("640104001002"),
            urgency=1,
            deadline=dt.date.today() + dt.timedelta(days=10),
        )
        for _ in range(4)
    ]
    offer = actions.do_create_offer(
        acting_user=citizen_user("刘强", "640104002001"),
        category="bedding",
        item="棉被",
        quantity=100,
        unit="piece",
        unit_value=Decimal("100"),
        region=region("640104001"),
    )
    barrier = threading.Barrier(len(needs))
    errors = []

    def run(need):
        try:
            barrier.wait()
            actions.do_propose_matches(need)
        except Exception as exc:  # collected and shown by the assertion below
            errors.append(exc)
        finally:
            # close(), not close_old_connections(): with CONN_MAX_AGE the thread's connection
            # would stay open on the test database and stop its teardown.
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in needs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    offer = Offer.objects.get(pk=offer.pk)
    promised = sum(Match.objects.filter(offer=offer).values_list("quantity", flat=True))
    assert promised == offer.committed == 100

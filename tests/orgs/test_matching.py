"""Donation matching: the best offer is proposed for a need, quantities are never promised
twice, the needing side accepts, deliveries are confirmed, partial fulfilment works, and the
ledger adds up."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from orgs import actions, ledger, matching
from orgs.models import Delivery, Match, Need, Offer

from .conftest import citizen_user, region

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
SOON = TODAY + dt.timedelta(days=30)


@pytest.fixture
def project(county_org, org_user):
    return actions.do_create_project(
        acting_user=org_user, organization=county_org, name="冬季送温暖", region=region("640104001")
    )


def need(
    project,
    user,
    qty=40,
    *,
    category="bedding",
    unit="piece",
    code="640104001002",
    urgency=1,
    deadline=SOON,
):
    return actions.do_create_need(
        project,
        acting_user=user,
        category=category,
        item="棉被",
        quantity=qty,
        unit=unit,
        region=region(code),
        urgency=urgency,
        deadline=deadline,
    )


def offer(donor, qty, *, code="640104001", category="bedding", unit="piece", value="100", **kw):
    return actions.do_create_offer(
        acting_user=donor,
        donor_name=kw.pop("donor_name", "刘强"),
        show_name=kw.pop("show_name", True),
        category=category,
        item="棉被",
        quantity=qty,
        unit=unit,
        unit_value=Decimal(value),
        region=region(code),
        **kw,
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_region_distance_is_the_depth_of_the_shared_code_prefix():
    assert matching.shared_depth("640104001002", "640104001") == 4
    assert matching.shared_depth("640104001002", "640104002") == 3
    assert matching.shared_depth("640104", "640105001") == 2
    assert matching.shared_depth("640100", "640000") == 1
    assert matching.shared_depth("640104", "650102") == 0


def test_the_best_offer_is_the_nearest_of_the_right_kind(world, org_user, project, donor):
    n = need(project, org_user, 40)
    offer(donor, 100, code="640105001")  # same city, another county
    best = offer(donor, 50, code="640104001")  # same township
    offer(donor, 100, code="640104001", category="clothing")  # other goods
    offer(donor, 100, code="640104001", unit="box")  # counted in another unit
    offer(donor, 100, code="650102")  # another province
    proposals = actions.do_propose_matches(n)
    assert [(m.offer_id, m.quantity) for m in proposals] == [(best.pk, 40)]
    assert proposals[0].score["nearest_common"] == "township"


def test_an_offer_that_covers_the_whole_need_wins_and_the_smallest_such_fits_best(
    world, org_user, project, donor
):
    n = need(project, org_user, 40)
    offer(donor, 10)
    big = offer(donor, 100)
    snug = offer(donor, 45)
    proposals = actions.do_propose_matches(n, limit=1)
    assert [m.offer_id for m in proposals] == [snug.pk]
    assert fresh(big).committed == 0


def test_several_offers_are_proposed_until_the_need_is_covered(world, org_user, project, donor):
    n = need(project, org_user, 40)
    a = offer(donor, 25)
    b = offer(donor, 10, code="640104002")
    c = offer(donor, 30, code="640105001")
    proposals = actions.do_propose_matches(n)
    assert [(m.offer_id, m.quantity) for m in proposals] == [(a.pk, 25), (b.pk, 10), (c.pk, 5)]
    n = fresh(n)
    assert n.committed == 40 and n.open_quantity == 0
    assert fresh(c).committed == 5 and fresh(c).open_quantity == 25


def test_a_matching_run_never_promises_more_than_is_offered_and_serves_the_most_urgent_first(
    world, org_user, project, donor
):
    normal = need(project, org_user, 60, urgency=1, deadline=TODAY + dt.timedelta(days=5))
    urgent = need(project, org_user, 60, urgency=3, deadline=SOON)
    later = need(project, org_user, 10, urgency=1, deadline=SOON)
    only = offer(donor, 100)
    actions.do_run_matching()
    assert fresh(urgent).committed == 60
    assert fresh(normal).committed == 40
    assert fresh(later).committed == 0
    only = fresh(only)
    assert only.committed == only.quantity == 100
    assert sum(Match.objects.filter(offer=only).values_list("quantity", flat=True)) == 100
    # A second run changes nothing: nothing is left.
    assert actions.do_run_matching() == 0
    # The normal need turns its proposal down: the 40 go to the next need, not back to it.
    declined = Match.objects.get(need=normal)
    actions.do_decline_match(declined, acting_user=org_user)
    assert fresh(only).committed == 60
    actions.do_run_matching()
    assert fresh(later).committed == 10
    assert fresh(normal).committed == 0
    assert fresh(only).committed == 70


def test_the_needing_side_accepts_and_only_it(world, org_user, project, donor):
    n = need(project, org_user, 40)
    offer(donor, 40)
    (m,) = actions.do_propose_matches(n)
    for outsider in (donor, citizen_user("王五"), world.other_approver):
        with pytest.raises(PermissionDenied):
            actions.do_accept_match(m, acting_user=outsider)
    actions.do_accept_match(m, acting_user=org_user)
    assert fresh(m).status == Match.Status.ACCEPTED
    with pytest.raises(ValidationError):
        actions.do_accept_match(m, acting_user=org_user)


def accepted(project, user, donor, need_qty, offer_qty, **kw):
    kinds = {k: kw[k] for k in ("category", "unit") if k in kw}
    n = need(project, user, need_qty, **kinds)
    o = offer(donor, offer_qty, **kw)
    (m,) = actions.do_propose_matches(n, limit=1)
    actions.do_accept_match(m, acting_user=user)
    return fresh(n), fresh(o), fresh(m)


def test_deliveries_are_counted_once_their_receipt_is_confirmed(world, org_user, project, donor):
    n, o, m = accepted(project, org_user, donor, 40, 40)
    with pytest.raises(ValidationError):
        actions.do_record_delivery(m, acting_user=donor, quantity=41)
    d = actions.do_record_delivery(m, acting_user=donor, quantity=40)
    assert fresh(n).received == 0 and fresh(n).status == Need.Status.OPEN
    with pytest.raises(PermissionDenied):
        actions.do_confirm_receipt(d, acting_user=donor)
    actions.do_confirm_receipt(d, acting_user=org_user)
    assert fresh(m).status == Match.Status.FULFILLED
    assert fresh(n).status == Need.Status.FULFILLED and fresh(n).received == 40
    assert fresh(o).status == Offer.Status.COMPLETED
    assert fresh(d).value == Decimal("4000.00")


def test_partial_fulfilment_from_two_donors_and_two_deliveries(world, org_user, project, donor):
    n = need(project, org_user, 100)
    first = offer(donor, 60)
    (m1,) = actions.do_propose_matches(n, limit=1)
    assert m1.offer_id == first.pk and m1.quantity == 60
    actions.do_accept_match(m1, acting_user=org_user)
    d1 = actions.do_record_delivery(m1, acting_user=donor, quantity=30)
    actions.do_confirm_receipt(d1, acting_user=org_user)
    n = fresh(n)
    assert n.status == Need.Status.PARTLY and n.received == 30 and n.committed == 60
    d2 = actions.do_record_delivery(m1, acting_user=donor, quantity=30)
    actions.do_confirm_receipt(d2, acting_user=org_user)
    assert fresh(m1).status == Match.Status.FULFILLED
    n = fresh(n)
    assert n.status == Need.Status.PARTLY and n.received == 60 and n.open_quantity == 40
    # The rest comes from another donor, found by the next matching run.
    other_donor = citizen_user("赵敏", "640104002001")
    second = offer(other_donor, 50, code="640104002", show_name=False, donor_name="赵敏")
    actions.do_run_matching()
    m2 = Match.objects.get(need=n, offer=second)
    assert m2.quantity == 40
    actions.do_accept_match(m2, acting_user=org_user)
    actions.do_record_delivery(m2, acting_user=org_user, quantity=40, received=True)
    n = fresh(n)
    assert n.status == Need.Status.FULFILLED and n.received == 100
    assert fresh(second).open_quantity == 10 and fresh(second).status == Offer.Status.OPEN


def test_a_match_closed_with_part_delivered_releases_the_rest(world, org_user, project, donor):
    n, o, m = accepted(project, org_user, donor, 40, 40)
    d = actions.do_record_delivery(m, acting_user=donor, quantity=25)
    with pytest.raises(ValidationError):  # a delivery waits for confirmation
        actions.do_close_match(m, acting_user=donor)
    actions.do_confirm_receipt(d, acting_user=org_user, received_quantity=22)  # 3 lost
    m = fresh(m)
    assert m.sent == 22 and m.received == 22 and m.undelivered == 18
    actions.do_close_match(m, acting_user=donor)
    m, n, o = fresh(m), fresh(n), fresh(o)
    assert m.status == Match.Status.CLOSED_SHORT
    assert n.committed == 22 and n.open_quantity == 18 and n.status == Need.Status.PARTLY
    assert o.committed == 22 and o.open_quantity == 18


def test_goods_are_delivered_only_against_an_accepted_match(world, org_user, project, donor):
    n = need(project, org_user, 10)
    offer(donor, 10)
    (m,) = actions.do_propose_matches(n)
    with pytest.raises(ValidationError):
        actions.do_record_delivery(m, acting_user=donor, quantity=5)


def test_unanswered_proposals_lapse_and_out_of_date_needs_expire(world, org_user, project, donor):
    n = need(project, org_user, 10, deadline=TODAY + dt.timedelta(days=20))
    o = offer(donor, 10)
    actions.do_propose_matches(n)
    assert fresh(o).committed == 10
    with time_machine.travel(TODAY + dt.timedelta(days=9)):
        actions.do_expire()
    assert Match.objects.get(need=n).status == Match.Status.CANCELLED
    assert fresh(o).committed == 0
    with time_machine.travel(TODAY + dt.timedelta(days=21)):
        actions.do_expire()
    assert fresh(n).status == Need.Status.EXPIRED


def test_a_withdrawn_offer_frees_the_need(world, org_user, project, donor):
    n, o, m = accepted(project, org_user, donor, 10, 10)
    with pytest.raises(PermissionDenied):
        actions.do_withdraw_offer(o, acting_user=org_user)
    actions.do_withdraw_offer(o, acting_user=donor)
    assert fresh(m).status == Match.Status.CANCELLED
    assert fresh(n).committed == 0 and fresh(o).status == Offer.Status.WITHDRAWN


def test_needs_come_only_from_recognised_charities_and_offices(world, org_user, county_org, donor):
    actions.do_set_charity(county_org, acting_user=world.approver, recognised=False, reason="复核")
    with pytest.raises(ValidationError):
        actions.do_create_project(
            acting_user=org_user, organization=county_org, name="x", region=region("640104001")
        )
    with pytest.raises(PermissionDenied):
        actions.do_create_project(
            acting_user=world.other_caseworker,
            office=world.township,
            name="x",
            region=region("640104001"),
        )
    relief = actions.do_create_project(
        acting_user=world.caseworker, office=world.township, name="助学", region=region("640104001")
    )
    assert relief.office == world.township


def test_the_ledger_totals_equal_the_sum_of_confirmed_deliveries(world, org_user, project, donor):
    n1, o1, m1 = accepted(project, org_user, donor, 40, 40, value="120")
    n2, o2, m2 = accepted(
        project, org_user, donor, 30, 30, category="clothing", value="50", show_name=False
    )
    relief = actions.do_create_project(
        acting_user=world.caseworker, office=world.township, name="助学", region=region("640104001")
    )
    n3, o3, m3 = accepted(
        relief, world.caseworker, donor, 15, 20, category="school", unit="set", value="45"
    )
    for m, qty, got in ((m1, 25, 25), (m1, 15, 15), (m2, 30, 28), (m3, 15, 15)):
        d = actions.do_record_delivery(m, acting_user=donor, quantity=qty)
        actions.do_confirm_receipt(d, acting_user=m.need.created_by, received_quantity=got)
    # 2 of the 30 clothes were lost; one more is sent but not yet confirmed: not in the ledger.
    actions.do_record_delivery(fresh(m2), acting_user=donor, quantity=1)
    confirmed = Delivery.objects.filter(confirmed_at__isnull=False)
    totals = ledger.project_totals()
    assert sum(t.deliveries for t in totals) == confirmed.count() == 4
    assert (
        sum(q for t in totals for (_c, _u, q) in t.by_goods)
        == sum(d.received_quantity for d in confirmed)
        == 83
    )
    assert (
        sum(t.value for t in totals)
        == sum(d.value for d in confirmed)
        == Decimal("40") * 120 + 28 * 50 + 15 * 45
    )
    by_project = {t.project: t for t in totals}
    assert by_project["冬季送温暖"].deliveries == 3
    assert by_project["助学"].value == Decimal("675.00")
    assert ledger.grand_total()["quantity"] == 83
    with translation.override("en"):
        rows = ledger.rows(ledger.ledger_queryset())
    assert len(rows) == 4
    assert sum(r.quantity for r in rows) == 83
    assert {r.donor for r in rows} == {"刘强", "Anonymous donor"}

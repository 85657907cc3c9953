"""Charity: projects, needs, donors' offers, matching, deliveries and their confirmation."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case as Cond
from django.db.models import F, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import grants_for, scope_q
from civilaffairs.accounts.models import Office
from civilaffairs.casework.notify import notify_all
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Household, Region

from .. import matching, params
from ..models import (
    CharityProject,
    Delivery,
    Match,
    Need,
    Offer,
    Organization,
)
from ..queries import (
    NEED_ROLES,
    requester_q,
)
from .common import _lock_org, _now, _org_users, _people, _require_account, _today


def _wind_down_charity(org, acting_user):
    """An organization that stops (deregistered, revoked, suspended, no longer a charity)
    publishes nothing: its open needs close and proposals lapse. Goods already accepted stay
    to be delivered and confirmed."""
    for need in Need.objects.filter(
        project__organization=org, status__in=[Need.Status.OPEN, Need.Status.PARTLY]
    ).order_by("pk"):
        _close_need(need, acting_user, strict=False)
    for project in CharityProject.objects.filter(organization=org, is_open=True):
        project.is_open = False
        _save(project, acting_user)


def _staff_office_ok(user, office: Office) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(g.office_id == office.pk and g.role in NEED_ROLES for g in grants_for(user))


@transaction.atomic
def do_create_project(
    *,
    acting_user,
    name: str,
    region: Region,
    description: str = "",
    organization: Organization | None = None,
    office: Office | None = None,
) -> CharityProject:
    if (organization is None) == (office is None):
        raise ValidationError(_("A project is run by one organization or one office."))
    if organization is not None:
        organization = _lock_org(organization)
        _require_account(organization, acting_user)
        if not organization.may_publish_needs:
            raise ValidationError(
                _("Only an active organization recognised as a charity can run projects.")
            )
        if not region.code.startswith(organization.authority.region_prefix):
            raise ValidationError(
                {"region": _("The area must be inside the registration authority's area.")}
            )
    elif not _staff_office_ok(acting_user, office):
        raise PermissionDenied
    elif not region.code.startswith(office.region_prefix):
        raise ValidationError({"region": _("The area must be inside the office's area.")})
    if not name.strip():
        raise ValidationError({"name": _("Please name the project.")})
    project = CharityProject(
        name=name.strip(),
        region=region,
        description=description.strip(),
        organization=organization,
        office=office,
        created_by=acting_user,
    )
    return _save(project, acting_user)


@transaction.atomic
def do_create_need(
    project: CharityProject,
    *,
    acting_user,
    category: str,
    item: str,
    quantity: int,
    unit: str,
    region: Region,
    urgency: int,
    deadline: dt.date,
    household: Household | None = None,
    internal_note: str = "",
) -> Need:
    project = CharityProject.objects.select_for_update().get(pk=project.pk)
    if not CharityProject.objects.filter(requester_q(acting_user), pk=project.pk).exists():
        raise PermissionDenied
    if not project.is_open:
        raise ValidationError(_("This project is closed."))
    if project.organization_id:
        org = _lock_org(project.organization)
        if not org.may_publish_needs:
            raise ValidationError(
                _("Only an active organization recognised as a charity can publish needs.")
            )
        if household is not None:
            raise ValidationError(_("Only a civil-affairs office raises needs for a household."))
    if household is not None:
        visible = Household.objects.filter(
            scope_q(acting_user, region_field="region_id"), pk=household.pk
        ).exists()
        if not visible:
            raise PermissionDenied
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be at least 1.")})
    if deadline < _today():
        raise ValidationError({"deadline": _("The date is in the past.")})
    need = Need(
        project=project,
        category=category,
        item=item.strip(),
        quantity=quantity,
        unit=unit,
        region=region,
        urgency=urgency,
        deadline=deadline,
        household=household,
        internal_note=internal_note.strip(),
        created_by=acting_user,
    )
    need.full_clean(exclude=["created_by"])
    return _save(need, acting_user)


@transaction.atomic
def do_create_offer(
    *,
    acting_user,
    category: str,
    item: str,
    quantity: int,
    unit: str,
    region: Region,
    donor_kind: str = Offer.DonorKind.PERSON,
    donor_name: str = "",
    show_name: bool = False,
    unit_value: Decimal = Decimal(0),
    conditions: str = "",
    available_until: dt.date | None = None,
) -> Offer:
    if acting_user is None or not acting_user.is_authenticated:
        raise PermissionDenied
    if isinstance(unit_value, float):
        raise TypeError("money is Decimal, never float")
    name = donor_name.strip() or getattr(acting_user, "display_name", "") or acting_user.username
    if available_until is not None and available_until < _today():
        raise ValidationError({"available_until": _("The date is in the past.")})
    offer = Offer(
        donor=acting_user,
        donor_kind=donor_kind,
        donor_name=name,
        show_name=show_name,
        category=category,
        item=item.strip(),
        quantity=quantity,
        unit=unit,
        unit_value=unit_value or Decimal(0),
        region=region,
        conditions=conditions.strip(),
        available_until=available_until,
    )
    offer.full_clean(exclude=["donor"])
    return _save(offer, acting_user)


# --------------------------------------------------------------------------- bookkeeping


OPEN_MATCH = [Match.Status.PROPOSED, Match.Status.ACCEPTED]


def _totals(matches_qs) -> tuple[int, int]:
    agg = matches_qs.aggregate(
        committed=Sum(Cond(When(status__in=OPEN_MATCH, then=F("quantity")), default=F("received"))),
        received=Sum("received"),
    )
    return agg["committed"] or 0, agg["received"] or 0


def _recount_need(need: Need, acting_user):
    """Recompute what is promised to and received by a (locked) need, and its status."""
    need.committed, need.received = _totals(Match.objects.filter(need=need))
    if need.status in (Need.Status.OPEN, Need.Status.PARTLY, Need.Status.FULFILLED):
        if need.received >= need.quantity:
            need.status = Need.Status.FULFILLED
        elif need.received > 0:
            need.status = Need.Status.PARTLY
        else:
            need.status = Need.Status.OPEN
    _save(need, acting_user)


def _recount_offer(offer: Offer, acting_user):
    offer.committed, offer.received = _totals(Match.objects.filter(offer=offer))
    if offer.status in (Offer.Status.OPEN, Offer.Status.COMPLETED):
        offer.status = (
            Offer.Status.COMPLETED if offer.received >= offer.quantity else Offer.Status.OPEN
        )
    _save(offer, acting_user)


def _lock_pair(match) -> tuple[Need, Offer, Match]:
    """Need, then offer, then the match: the one lock order."""
    need = Need.objects.select_for_update().get(pk=match.need_id)
    offer = Offer.objects.select_for_update().get(pk=match.offer_id)
    match = Match.objects.select_for_update().get(pk=match.pk)
    return need, offer, match


def _may_act_for_need(user, need_id) -> bool:
    return Need.objects.filter(requester_q(user, "project__"), pk=need_id).exists()


# --------------------------------------------------------------------------- matching


def candidate_offers(need: Need, today: dt.date):
    """Offers that could serve the need (same category and unit, open, in date, same
    province), not yet paired with it and not declined for it."""
    return (
        Offer.objects.filter(
            status=Offer.Status.OPEN,
            category=need.category,
            unit=need.unit,
            committed__lt=F("quantity"),
            region_id__startswith=need.region_id[:2],
        )
        .filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
        # Not one already paired with this need, nor one the need's side turned down.
        .exclude(
            pk__in=Match.objects.filter(
                need=need, status__in=[*OPEN_MATCH, Match.Status.DECLINED]
            ).values("offer_id")
        )
        .exclude(donor_id=need.created_by_id)
    )


@transaction.atomic
def do_propose_matches(need: Need, *, acting_user=None, limit: int = 3) -> list[Match]:
    """The matching step for one need: the best offers (matching.rank) until the need's open
    quantity is covered, at most `limit` proposals. Each proposal reserves its quantity on both
    sides, so nothing is promised twice."""
    need = (
        Need.objects.select_for_update(of=("self",))
        .select_related("project__organization")
        .get(pk=need.pk)
    )
    if acting_user is not None and not _may_act_for_need(acting_user, need.pk):
        raise PermissionDenied
    today = _today()
    org = need.project.organization
    if org is not None and not org.may_publish_needs:
        return []
    if not need.is_matchable or need.deadline < today:
        return []
    made = []
    ranked = matching.rank(need.region_id, need.open_quantity, list(candidate_offers(need, today)))
    # Lock the front-runners in primary-key order (two runs never wait on each other in a
    # circle), then rank again on what the locked rows now hold.
    shortlist = [o.pk for o in ranked[: limit + 5]]
    locked = list(
        Offer.objects.select_for_update()
        .filter(pk__in=shortlist, status=Offer.Status.OPEN)
        .order_by("pk")
    )
    for offer in matching.rank(need.region_id, need.open_quantity, locked):
        if len(made) >= limit or need.open_quantity <= 0:
            break
        if offer.open_quantity <= 0:
            continue
        qty = min(need.open_quantity, offer.open_quantity)
        match = _save(
            Match(
                need=need,
                offer=offer,
                quantity=qty,
                score=matching.score(need.region_id, need.open_quantity, offer),
                proposed_at=_now(),
            ),
            acting_user,
        )
        _recount_offer(offer, acting_user)
        _recount_need(need, acting_user)
        made.append(match)
    return made


def do_run_matching(today: dt.date | None = None) -> int:
    """The periodic matching run: lapse what is out of date, then serve open needs, most
    urgent first, then earliest deadline. Each need in its own transaction."""
    today = today or _today()
    do_expire(today)
    proposed = 0
    needs = (
        Need.objects.filter(
            status__in=[Need.Status.OPEN, Need.Status.PARTLY],
            committed__lt=F("quantity"),
            deadline__gte=today,
        )
        .order_by("-urgency", "deadline", "pk")
        .only("pk")
    )
    for need in needs.iterator():
        proposed += len(do_propose_matches(need))
    return proposed


def do_expire(today: dt.date | None = None) -> int:
    """Needs past their date, offers past theirs, and proposals nobody answered in time lapse;
    what they held is released. Idempotent."""
    today = today or _today()
    changed = 0
    for need in Need.objects.filter(
        status__in=[Need.Status.OPEN, Need.Status.PARTLY], deadline__lt=today
    ).only("pk"):
        changed += _expire_need(need.pk)
    for offer in Offer.objects.filter(status=Offer.Status.OPEN, available_until__lt=today).only(
        "pk"
    ):
        changed += _expire_offer(offer.pk)
    changed += _lapse_proposals(today)
    return changed


@transaction.atomic
def _expire_need(need_id) -> int:
    need = Need.objects.select_for_update().get(pk=need_id)
    if need.status not in (Need.Status.OPEN, Need.Status.PARTLY):
        return 0
    _cancel_proposals(need.matches.filter(status=Match.Status.PROPOSED), None)
    need.refresh_from_db()
    need.status = Need.Status.EXPIRED
    _recount_need(need, None)
    return 1


@transaction.atomic
def _expire_offer(offer_id) -> int:
    need_ids = list(
        Match.objects.filter(offer_id=offer_id, status=Match.Status.PROPOSED)
        .order_by("need_id")
        .values_list("need_id", flat=True)
    )
    list(Need.objects.select_for_update().filter(pk__in=need_ids).order_by("pk"))
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    if offer.status != Offer.Status.OPEN:
        return 0
    _cancel_proposals(offer.matches.filter(status=Match.Status.PROPOSED), None)
    offer.refresh_from_db()
    offer.status = Offer.Status.EXPIRED
    _recount_offer(offer, None)
    return 1


def _cancel_proposals(matches_qs, acting_user) -> list[tuple[Match, str]]:
    """End open matches that have nothing waiting for confirmation: cancelled when nothing
    arrived, closed short when part did. Locks in the one order (needs, offers, matches) and
    recounts both sides. Returns (match, status before)."""
    rows = list(matches_qs.values_list("pk", "need_id", "offer_id"))
    if not rows:
        return []
    needs = list(
        Need.objects.select_for_update().filter(pk__in={r[1] for r in rows}).order_by("pk")
    )
    offers = list(
        Offer.objects.select_for_update().filter(pk__in={r[2] for r in rows}).order_by("pk")
    )
    ended = []
    for match in (
        Match.objects.select_for_update()
        .filter(pk__in=[r[0] for r in rows], status__in=OPEN_MATCH)
        .order_by("pk")
    ):
        if match.sent > match.received:
            continue  # goods in transit: confirmed on the match, then it can be closed
        before = match.status
        match.status = Match.Status.CLOSED_SHORT if match.received else Match.Status.CANCELLED
        match.decided_at = _now()
        _save(match, acting_user, "cancelled")
        ended.append((match, before))
    for need in needs:
        need.refresh_from_db()
        _recount_need(need, acting_user)
    for offer in offers:
        offer.refresh_from_db()
        _recount_offer(offer, acting_user)
    return ended


def _lapse_proposals(today: dt.date) -> int:
    """Proposals older than the region's waiting time are cancelled, freeing the goods."""
    lapsed = 0
    waits: dict[str, int] = {}
    for match in (
        Match.objects.filter(status=Match.Status.PROPOSED)
        .select_related("need")
        .only("pk", "proposed_at", "need__region_id", "need_id", "offer_id")
    ):
        region = match.need.region_id
        if region not in waits:
            waits[region] = params.proposal_days(region, today)
        if timezone.localdate(match.proposed_at) + dt.timedelta(days=waits[region]) < today:
            lapsed += _lapse_one(match.pk)
    return lapsed


@transaction.atomic
def _lapse_one(match_id) -> int:
    match = Match.objects.get(pk=match_id)
    need, offer, match = _lock_pair(match)
    if match.status != Match.Status.PROPOSED:
        return 0
    match.status = Match.Status.CANCELLED
    match.decided_at = _now()
    _save(match, None, "proposal lapsed")
    _recount_need(need, None)
    _recount_offer(offer, None)
    return 1


# --------------------------------------------------------------------------- answering


@transaction.atomic
def do_accept_match(match: Match, *, acting_user) -> Match:
    """The needing side accepts a proposal: the donor is asked to deliver."""
    need, offer, match = _lock_pair(match)
    if not _may_act_for_need(acting_user, need.pk):
        raise PermissionDenied
    if match.status != Match.Status.PROPOSED:
        raise ValidationError(_("This proposal is no longer open."))
    match.status = Match.Status.ACCEPTED
    match.decided_at = _now()
    match.decided_by = acting_user
    _save(match, acting_user, "accepted")
    notify_all(
        _people([offer.donor]),
        lambda: (
            _("Your donation was accepted: %(item)s × %(qty)s")
            % {"item": offer.item, "qty": match.quantity}
        ),
        lambda: (
            _("For the project “%(project)s”. Please deliver and record the delivery.")
            % {"project": need.project.name}
        ),
    )
    return match


@transaction.atomic
def do_decline_match(match: Match, *, acting_user) -> Match:
    need, offer, match = _lock_pair(match)
    if not _may_act_for_need(acting_user, need.pk):
        raise PermissionDenied
    if match.status != Match.Status.PROPOSED:
        raise ValidationError(_("This proposal is no longer open."))
    match.status = Match.Status.DECLINED
    match.decided_at = _now()
    match.decided_by = acting_user
    _save(match, acting_user, "declined")
    _recount_need(need, acting_user)
    _recount_offer(offer, acting_user)
    return match


def _side(user, match) -> str:
    """ "need" for the needing side, "donor" for the donor, or PermissionDenied."""
    if _may_act_for_need(user, match.need_id):
        return "need"
    if user is not None and match.offer.donor_id == user.pk:
        return "donor"
    raise PermissionDenied


@transaction.atomic
def do_record_delivery(
    match: Match,
    *,
    acting_user,
    quantity: int,
    sent_on: dt.date | None = None,
    note: str = "",
    received: bool = False,
) -> Delivery:
    """Goods sent against an accepted match (by the donor, or recorded by the needing side when
    the goods were handed over in person — then `received` confirms at once)."""
    need, offer, match = _lock_pair(match)
    side = _side(acting_user, match)
    if match.status != Match.Status.ACCEPTED:
        raise ValidationError(_("Goods are delivered only against an accepted match."))
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be at least 1.")})
    if quantity > match.undelivered:
        raise ValidationError(
            {
                "quantity": _("At most %(n)s remain to be delivered on this match.")
                % {"n": match.undelivered}
            }
        )
    sent_on = sent_on or _today()
    if sent_on > _today():
        raise ValidationError({"sent_on": _("The date cannot be in the future.")})
    delivery = _save(
        Delivery(
            match=match,
            quantity=quantity,
            sent_on=sent_on,
            note=note.strip(),
            recorded_by=acting_user,
        ),
        acting_user,
    )
    match.sent += quantity
    _save(match, acting_user, "delivery")
    if received and side == "need":
        _confirm(delivery, need, offer, match, acting_user, quantity)
    elif side == "donor":
        notify_all(
            _people(_need_side_users(need)),
            lambda: (
                _("Goods are on the way: %(item)s × %(qty)s") % {"item": need.item, "qty": quantity}
            ),
            lambda: _("Please confirm receipt when they arrive."),
        )
    return delivery


def _need_side_users(need):
    if need.project.organization_id:
        return list(_org_users(need.project.organization))
    return [need.created_by]


def _confirm(delivery, need, offer, match, acting_user, received_quantity):
    delivery.received_quantity = received_quantity
    delivery.confirmed_at = _now()
    delivery.confirmed_by = acting_user
    delivery.value = (offer.unit_value * received_quantity).quantize(Decimal("0.01"))
    _save(delivery, acting_user, "received")
    # Goods that never arrived were not delivered: they no longer count as sent.
    match.sent -= delivery.quantity - received_quantity
    match.received += received_quantity
    if match.received >= match.quantity:
        match.status = Match.Status.FULFILLED
    _save(match, acting_user, "receipt")
    _recount_need(need, acting_user)
    _recount_offer(offer, acting_user)
    if received_quantity:
        notify_all(
            _people([offer.donor]),
            lambda: (
                _("Your donation arrived: %(item)s × %(qty)s")
                % {"item": offer.item, "qty": received_quantity}
            ),
            lambda: (
                _("Received by the project “%(project)s”. Thank you.")
                % {"project": need.project.name}
            ),
        )


@transaction.atomic
def do_confirm_receipt(
    delivery: Delivery, *, acting_user, received_quantity: int | None = None
) -> Delivery:
    """The needing side confirms what arrived (all of it unless told a smaller number)."""
    delivery = Delivery.objects.select_related("match").get(pk=delivery.pk)
    need, offer, match = _lock_pair(delivery.match)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if not _may_act_for_need(acting_user, need.pk):
        raise PermissionDenied
    if delivery.confirmed_at is not None:
        raise ValidationError(_("This delivery is already confirmed."))
    qty = delivery.quantity if received_quantity is None else received_quantity
    if qty < 0 or qty > delivery.quantity:
        raise ValidationError(
            {
                "received_quantity": _("Between 0 and %(n)s, the quantity sent.")
                % {"n": delivery.quantity}
            }
        )
    _confirm(delivery, need, offer, match, acting_user, qty)
    return delivery


@transaction.atomic
def do_close_match(match: Match, *, acting_user) -> Match:
    """End an accepted match early: what was received stays, the rest is released for other
    matches (partial fulfilment). Not while a delivery waits for confirmation."""
    need, offer, match = _lock_pair(match)
    _side(acting_user, match)
    if match.status != Match.Status.ACCEPTED:
        raise ValidationError(_("Only an accepted match can be closed."))
    if match.sent > match.received:
        raise ValidationError(_("A delivery is waiting for confirmation of receipt."))
    match.status = Match.Status.CLOSED_SHORT if match.received else Match.Status.CANCELLED
    match.decided_at = _now()
    _save(match, acting_user, "closed")
    _recount_need(need, acting_user)
    _recount_offer(offer, acting_user)
    return match


def _close_need(need, acting_user, *, strict=True):
    need = Need.objects.select_for_update().get(pk=need.pk)
    if need.status not in (Need.Status.OPEN, Need.Status.PARTLY):
        if strict:
            raise ValidationError(_("This need is not open."))
        return need
    _cancel_proposals(need.matches.filter(status__in=OPEN_MATCH), acting_user)
    need = Need.objects.select_for_update().get(pk=need.pk)
    need.status = Need.Status.CLOSED
    _recount_need(need, acting_user)
    return need


@transaction.atomic
def do_close_need(need: Need, *, acting_user) -> Need:
    """The needing side closes a need: open proposals and undelivered accepted matches are
    cancelled; goods in transit are still confirmed on their match."""
    if not _may_act_for_need(acting_user, need.pk):
        raise PermissionDenied
    return _close_need(need, acting_user)


@transaction.atomic
def do_withdraw_offer(offer: Offer, *, acting_user) -> Offer:
    need_ids = list(
        Match.objects.filter(offer=offer, status__in=OPEN_MATCH)
        .order_by("need_id")
        .values_list("need_id", flat=True)
    )
    list(Need.objects.select_for_update().filter(pk__in=need_ids).order_by("pk"))
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if acting_user is None or offer.donor_id != acting_user.pk:
        raise PermissionDenied
    if offer.status != Offer.Status.OPEN:
        raise ValidationError(_("This offer is not open."))
    ended = _cancel_proposals(offer.matches.filter(status__in=OPEN_MATCH), acting_user)
    for match, before in ended:
        if before == Match.Status.ACCEPTED:  # the needing side was counting on it
            need = match.need
            notify_all(
                _people(_need_side_users(need)),
                lambda need=need: _("A donor withdrew goods for “%(item)s”") % {"item": need.item},
                lambda: _("The need is open again for other offers."),
            )
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    offer.status = Offer.Status.WITHDRAWN
    _recount_offer(offer, acting_user)
    return offer

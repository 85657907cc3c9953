"""Permission-scoped reads of elder care (house rule 2). Each `access_*` answers 404 for a row
outside the reader's scope, exactly as for a row that does not exist; `list_*` are the scoped
querysets the list pages use (with what a row shows already joined, so lists cost a fixed
number of queries).

Who sees what:
* an elder sees their own bookings, links and invitations; a family member those of the
  elders whose link is confirmed;
* a provider's staff see their organisation's bookings and workers, nothing else;
* civil-affairs staff see what lies in their jurisdiction (the elder's residence), through
  `accounts.access.scope_q`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Max, Q
from django.http import Http404

from civilaffairs.accounts.access import (
    grants_for,
    holds_role,
    is_staff_member,
    require_role,
    scope_q,
)
from civilaffairs.accounts.models import CASEWORK_ROLES
from civilaffairs.casework.models import Case
from civilaffairs.lib.lookup import get_or_404
from civilaffairs.people.models import Person
from civilaffairs.rules.models import ancestor_codes

from .actions import provider_of
from .models import (
    AgeAllowanceInvitation,
    Alert,
    Booking,
    BookingRating,
    CarePlan,
    FamilyLink,
    HomeVisit,
    Institution,
    Provider,
    Worker,
)

BOOKING_ROW = ("service_type", "provider", "worker", "elder")
# The civil-affairs staff of elder care: the general casework roles, in their jurisdiction. A
# marriage registrar or a child-welfare worker of the same bureau is refused (403).
STAFF_ROLES = CASEWORK_ROLES


def is_staff(user) -> bool:
    """Casework staff (STAFF_ROLES) or the administrator: who opens elder care's staff pages."""
    return holds_role(user, STAFF_ROLES)


def require_staff(user):
    require_role(user, STAFF_ROLES)


# ----------------------------------------------------------------------------- citizens


def elders_for(user) -> list[Person]:
    """The people this user may book for: themself (when bound to a person) first, then the
    elders whose family link is confirmed."""
    if not getattr(user, "is_authenticated", False):
        return []
    out = []
    if user.person_id:
        out.append(user.person)
    linked = Person.objects.living().filter(
        family_links__family=user, family_links__status=FamilyLink.Status.CONFIRMED
    )
    out += [p for p in linked.order_by("name", "pk") if p.pk != user.person_id]
    return out


def access_elder(user, pk) -> Person:
    for person in elders_for(user):
        if str(person.pk) == str(pk):
            return person
    raise Http404


def list_bookings_for_citizen(user):
    """The user's bookings and those of the elders they act for, each with its rating (the
    family sees how the elder rated a visit, and the other way round)."""
    return Booking.objects.for_citizen(user).select_related(*BOOKING_ROW, "rating__rated_by")


def access_citizen_booking(user, pk) -> Booking:
    return get_or_404(list_bookings_for_citizen(user), pk)


def list_links_for_family(user):
    return FamilyLink.objects.filter(family=user).select_related("elder").order_by("-requested_at")


def list_links_for_elder(user):
    if not user.person_id:
        return FamilyLink.objects.none()
    return (
        FamilyLink.objects.filter(elder_id=user.person_id)
        .select_related("family__person")
        .order_by("-requested_at")
    )


def access_link_as_elder(user, pk) -> FamilyLink:
    return get_or_404(list_links_for_elder(user), pk)


def access_link_as_party(user, pk) -> FamilyLink:
    """A link the user is the elder or the family member of."""
    link = FamilyLink.objects.select_related("elder").filter(pk=pk).first()
    if link is None or not (link.family_id == user.pk or link.elder_id == user.person_id):
        raise Http404
    return link


def list_invitations_for(user):
    elder_ids = [p.pk for p in elders_for(user)]
    return AgeAllowanceInvitation.objects.filter(
        person_id__in=elder_ids, status=AgeAllowanceInvitation.Status.PENDING
    ).select_related("person")


def access_invitation(user, pk) -> AgeAllowanceInvitation:
    return get_or_404(list_invitations_for(user), pk)


# ----------------------------------------------------------------------------- providers


def require_provider(user):
    provider = provider_of(user)
    if provider is None:
        raise PermissionDenied
    return provider


def list_bookings_for_provider(user):
    provider = require_provider(user)
    return Booking.objects.for_provider(provider.pk).select_related(*BOOKING_ROW)


def access_provider_booking(user, pk) -> Booking:
    return get_or_404(list_bookings_for_provider(user).select_related("rating"), pk)


def list_workers_for_provider(user):
    provider = require_provider(user)
    return Worker.objects.filter(provider=provider).prefetch_related("services")


def access_provider_worker(user, pk) -> Worker:
    return get_or_404(list_workers_for_provider(user), pk)


# ----------------------------------------------------------------------------- staff


def list_bookings_for_staff(user):
    require_staff(user)
    return Booking.objects.visible_to(user).select_related(*BOOKING_ROW)


def list_links_for_staff(user):
    """Pending family links of elders living in the user's jurisdiction."""
    require_staff(user)
    return (
        FamilyLink.objects.pending()
        .filter(scope_q(user, region_field="elder__residence_region_id", roles=STAFF_ROLES))
        .select_related("elder", "family__person")
        .order_by("requested_at", "pk")
    )


def access_link_for_staff(user, pk) -> FamilyLink:
    return get_or_404(list_links_for_staff(user), pk)


def access_plan(user, pk) -> CarePlan:
    require_staff(user)
    return get_or_404(
        CarePlan.objects.filter(case__in=Case.objects.visible_to(user)).select_related(
            "case__beneficiary", "case__region", "assessment", "provider"
        ),
        pk,
    )


def access_visit(user, pk) -> HomeVisit:
    require_staff(user)
    return get_or_404(
        HomeVisit.objects.filter(case__in=Case.objects.visible_to(user)).select_related(
            "case__beneficiary", "alert"
        ),
        pk,
    )


def list_alerts_for_staff(user):
    require_staff(user)
    return Alert.objects.visible_to(user).select_related("person", "region", "visit_case")


def access_alert(user, pk) -> Alert:
    return get_or_404(list_alerts_for_staff(user), pk)


def list_institutions_for_staff(user):
    require_staff(user)
    return Institution.objects.visible_to(user).select_related("region", "operator")


def access_institution_for_update(user, pk) -> Institution:
    """An institution the user may update: run by the user's provider, or in the jurisdiction
    of a member of staff."""
    provider = provider_of(user)
    if provider is not None:
        inst = Institution.objects.filter(pk=pk, operator=provider).first()
        if inst is not None:
            return inst
        if not is_staff_member(user):
            # Another operator's institution lies outside the provider's scope: answered like
            # one that does not exist, not with a refusal that confirms it does.
            raise Http404
    require_staff(user)
    return get_or_404(Institution.objects.visible_to(user).select_related("region"), pk)


def access_person_for_staff(user, pk) -> Person:
    from civilaffairs.accounts.access import access_person

    require_staff(user)
    return access_person(user, pk)


# ----------------------------------------------------------------------------- ratings
# Who reads ratings: the elder and their confirmed family (each visit's, on their bookings),
# citizens choosing a provider (its average and count), the provider (its own summary with the
# recent comments), and the civil-affairs staff (a summary per provider of the ratings given by
# elders living in their jurisdiction, and nothing of any other area).

RECENT_RATINGS = 10
LOW_SCORE = 2  # a rating of 1 or 2 ("dissatisfied"): the office looks at these first


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: Decimal | None  # one decimal; None without ratings
    low: int
    recent: list  # the latest ratings (BookingRating), newest first


def _one_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def _summary(ratings) -> RatingSummary:
    agg = ratings.aggregate(
        count=Count("pk"), average=Avg("score"), low=Count("pk", filter=Q(score__lte=LOW_SCORE))
    )
    recent = list(
        ratings.select_related("booking__service_type", "booking__elder").order_by(
            "-rated_at", "-pk"
        )[:RECENT_RATINGS]
    )
    return RatingSummary(agg["count"], _one_decimal(agg["average"]), agg["low"], recent)


def with_ratings(providers):
    """Providers with the average (`rating_average`) and number (`rating_count`) of all their
    ratings: what a citizen choosing one reads. Annotated on a plain queryset of the same rows,
    so that a join of the caller's (the areas served) does not count a rating twice."""
    return Provider.objects.filter(pk__in=providers.values("pk")).annotate(
        rating_average=Avg("bookings__rating__score"),
        rating_count=Count("bookings__rating"),
    )


def provider_rating_summary(user) -> RatingSummary:
    """The provider's own ratings, all of them."""
    provider = require_provider(user)
    return _summary(BookingRating.objects.filter(booking__provider=provider))


def _ratings_in_scope_q(user, prefix: str = "") -> Q:
    return scope_q(user, region_field=f"{prefix}region_id", roles=STAFF_ROLES)


def _covering_q(user) -> Q:
    """Providers whose service area reaches the user's jurisdiction: an area within it, or an
    area above it (a provider serving the whole county serves each of its townships)."""
    above = {
        code
        for g in grants_for(user)
        if g.role in STAFF_ROLES
        for code in ancestor_codes(g.region_prefix)
    }
    return scope_q(user, region_field="coverage__code", roles=STAFF_ROLES) | Q(
        coverage__code__in=above
    )


def list_providers_for_staff(user):
    """Providers registered in the user's jurisdiction, serving it or with bookings of elders
    living in it, each with a summary of the ratings those elders gave (never another area's)."""
    require_staff(user)
    in_scope = _ratings_in_scope_q(user, "bookings__")
    served = Booking.objects.filter(_ratings_in_scope_q(user)).values("provider_id")
    # Through a subquery: joined here, the coverage rows would multiply the counts below.
    covering = Provider.objects.filter(_covering_q(user)).values("pk")
    rated = Q(bookings__rating__isnull=False) & in_scope
    registered = scope_q(user, region_field="region_id", roles=STAFF_ROLES)
    # An empty Q is the administrator's (everything); `Q(...) | Q()` would narrow it instead.
    mine = Q(pk__in=served) | Q(pk__in=covering) | registered if registered else Q()
    return (
        Provider.objects.filter(mine)
        .select_related("region")
        .annotate(
            rating_count=Count("bookings__rating", filter=rated),
            rating_average=Avg("bookings__rating__score", filter=rated),
            rating_low=Count(
                "bookings__rating", filter=rated & Q(bookings__rating__score__lte=LOW_SCORE)
            ),
            rated_last=Max("bookings__rating__rated_at", filter=rated),
        )
    )


def access_provider_for_staff(user, pk) -> Provider:
    return get_or_404(list_providers_for_staff(user), pk)


def provider_ratings_for_staff(user, provider: Provider) -> RatingSummary:
    """The provider's ratings given by elders in the user's jurisdiction."""
    require_staff(user)
    return _summary(
        BookingRating.objects.filter(booking__provider=provider).filter(
            _ratings_in_scope_q(user, "booking__")
        )
    )

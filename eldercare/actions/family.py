"""Family members acting for an elder: requested, answered, confirmed by staff, ended."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.notify import notify
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.actions import find_person

from ..models import (
    FamilyLink,
)
from .common import CW, _lock, staff_covers

# =========================================================================== family links


@transaction.atomic
def do_request_family_link(
    *, acting_user, elder_name: str, elder_id_number: str, relation: str
) -> FamilyLink:
    """A family member asks to act for an elder. They must know the elder's name and ID
    number; the link waits for the elder's consent or a member of staff's confirmation."""
    if not acting_user.person_id:
        raise ValidationError(
            _("Only an account verified with your real name can act for a family member.")
        )
    elder = find_person(id_number=elder_id_number)
    # The same answer for a wrong name and an unknown number: nothing to probe with.
    if elder is None or elder.name != elder_name.strip() or not elder.is_alive:
        raise ValidationError(_("The name and ID number do not match our records."))
    if elder.pk == acting_user.person_id:
        raise ValidationError(_("You do not need a link to act for yourself."))
    if FamilyLink.objects.filter(
        elder=elder, family=acting_user, status__in=["pending", "confirmed"]
    ).exists():
        raise ValidationError(_("You have already asked to act for this person."))
    link = _save(FamilyLink(elder=elder, family=acting_user, relation=relation), acting_user)
    notify(
        elder,
        lambda: (
            _("%(name)s asks to act for you in elder-care services")
            % {"name": acting_user.display_name}
        ),
        lambda: _(
            "If you agree, they can book services for you and follow them. Answer on the "
            "elder-care page, or ask your community office."
        ),
    )
    return link


@transaction.atomic
def do_answer_family_link(link: FamilyLink, *, acting_user, accept: bool) -> FamilyLink:
    """The elder's own consent (or refusal), from their account."""
    link = _lock(FamilyLink, link.pk)
    if acting_user.person_id != link.elder_id:
        raise PermissionDenied
    if link.status != FamilyLink.Status.PENDING:
        raise ValidationError(_("This request has already been answered."))
    link.status = FamilyLink.Status.CONFIRMED if accept else FamilyLink.Status.DECLINED
    link.confirmed_by = FamilyLink.ConfirmedBy.ELDER if accept else ""
    link.decided_by = acting_user
    link.decided_at = timezone.now()
    return _save(link, acting_user, "answered by the elder")


@transaction.atomic
def do_confirm_family_link(link: FamilyLink, *, acting_user) -> FamilyLink:
    """A caseworker of the elder's area confirms the link (the elder cannot use a computer,
    the household register or a visit shows the relation)."""
    link = (
        FamilyLink.objects.select_for_update(of=("self",)).select_related("elder").get(pk=link.pk)
    )
    if not staff_covers(acting_user, link.elder.residence_region_id, roles={CW}):
        raise PermissionDenied
    if link.status != FamilyLink.Status.PENDING:
        raise ValidationError(_("This request has already been answered."))
    link.status = FamilyLink.Status.CONFIRMED
    link.confirmed_by = FamilyLink.ConfirmedBy.STAFF
    link.decided_by = acting_user
    link.decided_at = timezone.now()
    return _save(link, acting_user, "confirmed by staff")


@transaction.atomic
def do_end_family_link(link: FamilyLink, *, acting_user) -> FamilyLink:
    link = (
        FamilyLink.objects.select_for_update(of=("self",)).select_related("elder").get(pk=link.pk)
    )
    allowed = (
        acting_user.person_id == link.elder_id
        or acting_user.pk == link.family_id
        or staff_covers(acting_user, link.elder.residence_region_id, roles={CW})
    )
    if not allowed:
        raise PermissionDenied
    if link.status not in (FamilyLink.Status.PENDING, FamilyLink.Status.CONFIRMED):
        raise ValidationError(_("This link has already ended."))
    link.status = FamilyLink.Status.REVOKED
    link.decided_by = acting_user
    link.decided_at = timezone.now()
    return _save(link, acting_user, "ended")

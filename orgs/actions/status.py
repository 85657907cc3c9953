"""The authority's decisions on a registered organization: status, charity recognition, the
organization's accounts.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civilaffairs.casework.notify import notify_all
from civilaffairs.lib.history import save_with_history as _save

from ..models import (
    STATUS_MOVES,
    OrgAccount,
    Organization,
)
from ..queries import (
    AUTHORITY_ROLES,
    DECIDING_ROLES,
    forget_my_orgs,
    holds_authority_grant,
)
from .charity import _wind_down_charity
from .common import _lock_org, _org_users, _people, _today


@transaction.atomic
def do_set_status(org: Organization, *, acting_user, status: str, reason: str) -> Organization:
    """The authority suspends, restricts, lifts a restriction, or revokes a registration."""
    org = _lock_org(org)
    if not holds_authority_grant(acting_user, org.authority_id, DECIDING_ROLES):
        raise PermissionDenied
    if status not in STATUS_MOVES.get(org.status, set()):
        raise ValidationError(
            _("An organization that is “%(now)s” cannot become “%(new)s”.")
            % {"now": org.get_status_display(), "new": Organization.Status(status).label}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Please write the reason; it is kept on the record.")})
    org.status = status
    org.status_reason = reason.strip()[:300]
    if status == Organization.Status.REVOKED:
        org.is_charity = False
    _save(org, acting_user, f"status {status}")
    if status in (Organization.Status.REVOKED, Organization.Status.SUSPENDED):
        _wind_down_charity(org, acting_user)
    notify_all(
        _people(_org_users(org)),
        lambda: (
            _("%(org)s: registration status is now “%(status)s”")
            % {"org": org.name, "status": org.get_status_display()}
        ),
        lambda: reason.strip(),
    )
    return org


@transaction.atomic
def do_set_charity(
    org: Organization, *, acting_user, recognised: bool, reason: str = ""
) -> Organization:
    """Recognition as a charitable organization (慈善组织认定) by the registration authority."""
    org = _lock_org(org)
    if not holds_authority_grant(acting_user, org.authority_id, DECIDING_ROLES):
        raise PermissionDenied
    if recognised and org.status != Organization.Status.ACTIVE:
        raise ValidationError(_("Only an active organization can be recognised as a charity."))
    if not recognised and not reason.strip():
        raise ValidationError({"reason": _("Please write why the recognition is withdrawn.")})
    org.is_charity = recognised
    org.charity_recognised_on = _today() if recognised else None
    _save(org, acting_user, "charity recognised" if recognised else "charity withdrawn")
    if not recognised:
        _wind_down_charity(org, acting_user)
    return org


@transaction.atomic
def do_link_account(
    org: Organization, user, *, acting_user, role: str = OrgAccount.Role.STAFF
) -> OrgAccount:
    """Give a login the right to act for the organization: the authority, or a manager of the
    organization, may do it."""
    org = _lock_org(org)
    if not (
        holds_authority_grant(acting_user, org.authority_id, AUTHORITY_ROLES)
        or OrgAccount.objects.filter(
            organization=org, user=acting_user, is_active=True, role=OrgAccount.Role.MANAGER
        ).exists()
    ):
        raise PermissionDenied
    account = OrgAccount.objects.filter(organization=org, user=user).first() or OrgAccount(
        organization=org, user=user
    )
    account.role = role
    account.is_active = True
    _save(account, acting_user)
    forget_my_orgs(user)
    return account

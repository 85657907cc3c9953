"""Helpers every part of the domain's actions shares: saving with history, the clock, whom to tell,
the locks.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.models import User

from ..models import (
    OrgAccount,
    Organization,
)

EDITABLE_STATES = ("draft", "returned")


def _now():
    return timezone.now()


def _today():
    return timezone.localdate()


def _people(users) -> list:
    """The people bound to these accounts: whom casework.notify tells (inbox now, e-mail after
    the commit, each in the reader's language). A late filing or a delivery is not a case
    event, so these messages name no case."""
    return [user.person for user in users if user.person_id]


def _org_users(org):
    return User.objects.filter(
        org_accounts__organization=org, org_accounts__is_active=True, is_active=True
    ).distinct()


def _require_person(user):
    if user is None or not getattr(user, "person_id", None):
        raise ValidationError(
            _("Your account is not bound to a person (real-name verification) yet.")
        )


def _require_account(org, user, *, manager=False):
    q = OrgAccount.objects.filter(organization=org, user=user, is_active=True)
    if manager:
        q = q.filter(role=OrgAccount.Role.MANAGER)
    if not q.exists():
        raise PermissionDenied


def _lock_org(org) -> Organization:
    return Organization.objects.select_for_update().get(pk=org.pk)

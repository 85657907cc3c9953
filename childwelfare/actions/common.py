"""What every child-welfare action leans on: the services, locks, who may act, the dated
parameters of a child's category and the staff e-mail sent after commit."""

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.people.models import Person
from civilaffairs.rules.exceptions import MissingParameter
from civilaffairs.rules.models import Parameter, Program

from .. import queries
from ..models import CATEGORY_PROGRAMS, ChildProfile

log = logging.getLogger(__name__)


INTAKE = "childwelfare.intake"
ALLOWANCE = "childwelfare.allowance"
ADULT_AGE = 18
# Used only when an administrator has not set the category's parameter for the region (and
# logged, so the gap is noticed): a child under protection is never left without a schedule.
DEFAULT_VISIT_DAYS = 30
DEFAULT_REVIEW_MONTHS = 6


def lock_profile(profile) -> ChildProfile:
    pk = profile.pk if isinstance(profile, ChildProfile) else profile
    return ChildProfile.objects.select_for_update().select_related("person").get(pk=pk)


def _require_worker(user, profile):
    if user is None or not queries.can_work_on(user, profile):
        raise PermissionDenied(_("Only child-welfare staff of the child's area may do this."))


def _require_visitor(user, profile):
    if user is None or not queries.can_visit(user, profile):
        raise PermissionDenied(_("You are not responsible for this child."))


def eighteenth_birthday(person: Person) -> dt.date:
    born = person.birth_date
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:  # born on 29 February: of age on 1 March
        return dt.date(born.year + ADULT_AGE, 3, 1)


def program_parameter(program_code: str, key: str, region_code: str, as_of: dt.date) -> Decimal:
    program = Program.objects.filter(code=program_code).first()
    return Parameter.objects.for_program(program).value_for(key, region_code, as_of)


def category_parameter(profile, key: str, default, as_of: dt.date | None = None):
    """A parameter of the category's program for the child's region (e.g. how often the
    director visits a child without a carer)."""
    code = CATEGORY_PROGRAMS.get(profile.category)
    if code is None:
        return None
    as_of = as_of or timezone.localdate()
    try:
        return int(program_parameter(code, key, profile.person.residence_region_id, as_of))
    except MissingParameter:
        log.warning(
            "no %s for %s in %s; using %s", key, code, profile.person.residence_region_id, default
        )
        return default


def visit_interval_days(profile, as_of=None) -> int | None:
    return category_parameter(profile, "visit_interval_days", DEFAULT_VISIT_DAYS, as_of)


def review_months_for(profile, as_of=None) -> int:
    return category_parameter(profile, "plan_review_months", DEFAULT_REVIEW_MONTHS, as_of) or (
        DEFAULT_REVIEW_MONTHS
    )


def _schedule_next_visit(profile: ChildProfile, from_day: dt.date):
    days = visit_interval_days(profile) if profile.is_protected else None
    profile.next_visit_due = from_day + dt.timedelta(days=days) if days else None


# --------------------------------------------------------------------------- staff e-mail


def _email_staff(region_code: str, subject: str, body: str, roles):
    """On commit: mail the staff whose jurisdiction covers the child (no personal data beyond
    a masked name; the record itself is opened in the portal, where the view is logged)."""

    def send():
        recipients = [u.email for u in queries.staff_covering(region_code, roles) if u.email]
        if recipients:
            send_mail(subject, body, None, recipients, fail_silently=True)

    transaction.on_commit(send)

"""Every state change of the social-organization domain (house rule 1).

Cases move through the platform's engine (casework.actions); these actions set the domain's own
rows and fire the transition in the same transaction, so an approval that changes the register
and the case that records it commit together or not at all. Each action is atomic, locks what
it reads and then writes, and takes `acting_user` keyword-only (None for the system: tasks).

Lock order, everywhere: organization, then needs (by pk), then offers (by pk), then matches.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case as Cond
from django.db.models import F, Q, Sum, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import grants_for, scope_q
from civilaffairs.accounts.models import Office
from civilaffairs.casework.actions import do_create_case, do_submit_case, do_transition
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case
from civilaffairs.casework.notify import notify_all
from civilaffairs.people.actions import do_register_person
from civilaffairs.people.models import Household, Person, Region
from civilaffairs.rules.exceptions import MissingParameter

from . import matching, params, uscc
from .apps import ANNUAL_REPORT, CHANGE, DEREGISTER, ESTABLISH
from .models import (
    USCC_CATEGORY,
    AnnualReport,
    CharityProject,
    Delivery,
    FiledDocument,
    Grade,
    LateFiling,
    Match,
    Need,
    Offer,
    OrgAccount,
    Organization,
    OrgApplication,
    RegistrationLevel,
    reporting_year,
    required_documents,
)
from .queries import (
    AUTHORITY_ROLES,
    DECIDING_ROLES,
    NEED_ROLES,
    forget_my_orgs,
    holds_authority_grant,
    requester_q,
)

log = logging.getLogger(__name__)

EDITABLE_STATES = ("draft", "returned")


def _save(obj, acting_user, reason: str | None = None):
    if acting_user is not None and getattr(acting_user, "pk", None):
        obj._history_user = acting_user
    if reason:
        obj._change_reason = reason[:100]
    obj.save()
    return obj


def _now():
    return timezone.now()


def _today():
    return timezone.localdate()


def _notify_users(users, title_fn, body_fn=lambda: "", case=None) -> int:
    """A message to each user bound to a person (casework.notify: inbox now, e-mail after the
    commit, each in the reader's language). A late filing or a delivery is not a case event."""
    return notify_all(
        [user.person for user in users if user.person_id], title_fn, body_fn, case=case
    )


def _org_users(org):
    from civilaffairs.accounts.models import User

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


# ============================================================================ registration


def authority_for(service: str, region_code: str, level: int) -> Office | None:
    """The civil-affairs bureau at `level` whose jurisdiction covers the region and that
    handles the service: the registration authority."""
    return (
        Office.objects.handling(service).covering(region_code).filter(level=level).order_by("pk")
    ).first()


def _check_domicile(region: Region, level: int):
    if region.level < level:
        raise ValidationError(
            {
                "domicile_region": _(
                    "The domicile must lie inside the area of the registration authority: "
                    "choose a place at the level of the authority or below it."
                )
            }
        )


@transaction.atomic
def do_start_establishment(
    *,
    acting_user,
    org_type: str,
    registration_level: int,
    domicile_region: Region,
    name: str = "",
    channel: str = Case.Channel.ONLINE,
) -> OrgApplication:
    """A draft establishment application. The type, the level and the place decide the
    registration authority, so they are asked first; the case carries the authority's region
    and is routed there when submitted."""
    _require_person(acting_user)
    if org_type not in USCC_CATEGORY:
        raise ValidationError({"org_type": _("Choose the type of organization.")})
    if registration_level not in RegistrationLevel.values:
        raise ValidationError({"registration_level": _("Choose the registration level.")})
    _check_domicile(domicile_region, registration_level)
    authority = authority_for(ESTABLISH, domicile_region.code, registration_level)
    if authority is None:
        raise ValidationError(
            _("No registration authority at this level covers %(place)s.")
            % {"place": domicile_region.name}
        )
    case = do_create_case(
        acting_user=acting_user,
        service=ESTABLISH,
        region=authority.region,
        applicant=acting_user.person,
        channel=channel,
    )
    app = OrgApplication(
        case=case,
        kind=OrgApplication.Kind.ESTABLISH,
        org_type=org_type,
        registration_level=registration_level,
        domicile_region=domicile_region,
        name=name.strip(),
    )
    return _save(app, acting_user)


def _open_registration(org) -> OrgApplication | None:
    return (
        OrgApplication.objects.select_related("case")
        .filter(organization=org, case__closed_at__isnull=True)
        .exclude(kind=OrgApplication.Kind.ESTABLISH)
        .first()
    )


@transaction.atomic
def do_start_change(org: Organization, *, acting_user, kind: str) -> OrgApplication:
    """A draft change or deregistration application for one of the user's organizations,
    prefilled with the register's current values. One such application at a time: two open
    changes could contradict each other."""
    if kind not in (OrgApplication.Kind.CHANGE, OrgApplication.Kind.DEREGISTER):
        raise ValidationError(_("Unknown kind of application."))
    _require_person(acting_user)
    org = _lock_org(org)
    _require_account(org, acting_user)
    if not org.is_live:
        raise ValidationError(_("This organization is no longer registered."))
    existing = _open_registration(org)
    if existing is not None:
        if existing.kind == kind and existing.case.state == "draft":
            return existing
        raise ValidationError(
            _(
                "Application %(ref)s for this organization is still open; finish or withdraw it first."
            )
            % {"ref": existing.case.reference}
        )
    case = do_create_case(
        acting_user=acting_user,
        service=CHANGE if kind == OrgApplication.Kind.CHANGE else DEREGISTER,
        region=org.authority.region,
        applicant=acting_user.person,
    )
    app = OrgApplication(
        case=case,
        kind=kind,
        organization=org,
        name=org.name,
        org_type=org.org_type,
        registration_level=org.registration_level,
        sponsoring_unit=org.sponsoring_unit,
        legal_representative=org.legal_representative,
        registered_capital=org.registered_capital,
        domicile_region=org.domicile_region,
        address=org.address,
        scope=org.scope,
    )
    return _save(app, acting_user)


def _lock_app(app) -> OrgApplication:
    return (
        OrgApplication.objects.select_for_update(of=("self",))
        .select_related("case", "case__office", "organization")
        .get(pk=app.pk)
    )


def _require_applicant_edit(case: Case, user):
    if case.state not in EDITABLE_STATES:
        raise ValidationError(_("This has been sent and can no longer be changed."))
    if not (user is not None and user.person_id and user.person_id == case.applicant_id):
        raise PermissionDenied


EDITABLE_FIELDS = {
    OrgApplication.Kind.ESTABLISH: {
        "name",
        "sponsoring_unit",
        "legal_representative",
        "registered_capital",
        "domicile_region",
        "address",
        "scope",
        "declaration",
    },
    OrgApplication.Kind.CHANGE: {
        "name",
        "legal_representative",
        "domicile_region",
        "address",
        "scope",
        "reason",
        "declaration",
    },
    OrgApplication.Kind.DEREGISTER: {"reason", "declaration"},
}


@transaction.atomic
def do_save_application(app: OrgApplication, *, acting_user, **fields) -> OrgApplication:
    app = _lock_app(app)
    _require_applicant_edit(app.case, acting_user)
    unknown = set(fields) - EDITABLE_FIELDS[app.kind]
    if unknown:
        raise ValueError(f"not editable in this application: {sorted(unknown)}")
    region = fields.get("domicile_region")
    if region is not None:
        _check_domicile(region, app.registration_level)
        # The case (and so the authority) was fixed by the first place given; a move to
        # another authority's area is a new application there.
        authority_region = app.case.region_id
        if not region.code.startswith(Region.prefix_of(authority_region)):
            raise ValidationError(
                {
                    "domicile_region": _(
                        "This place is outside the registration authority's area. To register "
                        "elsewhere, withdraw this application and start a new one."
                    )
                }
            )
    for k, v in fields.items():
        if isinstance(v, str):
            v = v.strip()
        setattr(app, k, v)
    return _save(app, acting_user)


def do_identify_representative(*, acting_user, name: str, id_number: str) -> Person:
    """The person a name and ID number designate, from the master record (registered there
    when new, like a real-name sign-up). A known number with another name is refused without
    saying which part is wrong."""
    person, created = do_register_person(acting_user=acting_user, name=name, id_number=id_number)
    if not created and person.name != name.strip():
        raise ValidationError(
            {"representative_id_number": _("The name and ID number do not match our records.")}
        )
    if person.date_of_death is not None:
        raise ValidationError(
            {"representative_id_number": _("The name and ID number do not match our records.")}
        )
    return person


@transaction.atomic
def do_attach_document(case: Case, uploaded, purpose: str, *, acting_user) -> FiledDocument:
    """A document for an application or report, with what it is for."""
    if purpose not in FiledDocument.Purpose.values:
        raise ValidationError({"purpose": _("Choose what the document is.")})
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_applicant_edit(case, acting_user)
    doc = do_add_document(
        case, uploaded, FiledDocument.DOCUMENT_KIND[purpose], acting_user=acting_user
    )
    return FiledDocument.objects.create(document=doc, purpose=purpose)


def filed_purposes(case: Case) -> set[str]:
    return set(FiledDocument.objects.filter(document__case=case).values_list("purpose", flat=True))


def _name_taken(name: str, exclude_org_id=None) -> bool:
    qs = Organization.objects.filter(name=name).exclude(
        status__in=[Organization.Status.REVOKED, Organization.Status.DEREGISTERED]
    )
    if exclude_org_id:
        qs = qs.exclude(pk=exclude_org_id)
    return qs.exists()


def proposed_changes(app: OrgApplication) -> dict:
    """{field: (current, proposed)} for a change application."""
    org = app.organization
    out = {}
    for f in OrgApplication.CHANGEABLE:
        before = getattr(org, f"{f}_id" if f in ("legal_representative", "domicile_region") else f)
        after = getattr(app, f"{f}_id" if f in ("legal_representative", "domicile_region") else f)
        if after not in (None, "") and after != before:
            out[f] = (before, after)
    return out


def missing_for_submission(app: OrgApplication) -> list[str]:
    missing = []
    today = _today()
    if app.kind == OrgApplication.Kind.ESTABLISH:
        if not app.name:
            missing.append(_("the name of the organization"))
        elif _name_taken(app.name):
            missing.append(_("a name no other registered organization uses"))
        if not app.scope:
            missing.append(_("the scope of business"))
        if not app.legal_representative_id:
            missing.append(_("the legal representative"))
        if not app.address:
            missing.append(_("the address"))
        minimum = params.minimum_capital(app.org_type, app.case.region_id, today)
        if app.registered_capital is None:
            missing.append(_("the registered capital"))
        elif app.registered_capital < minimum:
            missing.append(
                _("registered capital of at least %(min)s yuan for this type")
                % {"min": f"{minimum:,.0f}"}
            )
    elif app.kind == OrgApplication.Kind.CHANGE:
        changes = proposed_changes(app)
        if not changes:
            missing.append(_("at least one change"))
        if "name" in changes and _name_taken(app.name, app.organization_id):
            missing.append(_("a name no other registered organization uses"))
        if not app.reason:
            missing.append(_("the reason for the change"))
    elif not app.reason:
        missing.append(_("the reason for deregistration"))
    have = filed_purposes(app.case)
    for purpose in required_documents(app.kind, app.org_type):
        if purpose not in have:
            missing.append(FiledDocument.Purpose(purpose).label)
    if not app.declaration:
        missing.append(_("the signed declaration"))
    return [str(m) for m in missing]


@transaction.atomic
def do_submit_application(app: OrgApplication, *, acting_user) -> Case:
    """Send a draft (or a corrected application) to the registration authority."""
    app = _lock_app(app)
    _require_applicant_edit(app.case, acting_user)
    if app.organization_id:
        org = _lock_org(app.organization)
        if not org.is_live:
            raise ValidationError(_("This organization is no longer registered."))
    missing = missing_for_submission(app)
    if missing:
        raise ValidationError(_("Please complete: %(items)s.") % {"items": "; ".join(missing)})
    if app.case.state == "returned":
        return do_transition(
            app.case,
            "resubmit",
            acting_user=acting_user,
            public_message=_("The corrected application was sent."),
        )
    return do_submit_case(app.case, acting_user=acting_user)


def _describe(field: str, value) -> str:
    if value is None:
        return ""
    if field == "legal_representative":
        person = Person.objects.filter(pk=value).only("name").first()
        return person.name if person else str(value)
    if field == "domicile_region":
        region = Region.objects.filter(pk=value).first()
        return f"{region.name} ({region.code})" if region else str(value)
    return str(value)


def next_org_code_body() -> str:
    """Eight characters of a new organization code from a database sequence (unique without a
    lock held past the statement). "5" marks codes issued by civil affairs."""
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('orgs_org_code_seq')")
        (n,) = cur.fetchone()
    return f"5{n:07d}"


def new_uscc(org_type: str, authority: Office) -> str:
    return uscc.make(
        uscc.CIVIL_AFFAIRS, USCC_CATEGORY[org_type], authority.region_id[:6], next_org_code_body()
    )


def do_approve_application(
    app: OrgApplication, *, acting_user, credit_code: str = ""
) -> OrgApplication:
    """Approve from code (seed, tests): the "approve" step, whose handler writes the register
    (orgs.handlers.approve_application) in the transaction that closes the case."""
    do_transition(app.case, "approve", acting_user=acting_user, values={"credit_code": credit_code})
    app.refresh_from_db()
    return app


def _establish(app, acting_user, credit_code, reason) -> Organization:
    office = app.case.office
    code = uscc.compact(credit_code) if credit_code else new_uscc(app.org_type, office)
    problem = uscc.problem(code)
    if problem:
        raise ValidationError({"credit_code": problem})
    if Organization.objects.filter(uscc=code).exists():
        raise ValidationError({"credit_code": _("Another organization already has this code.")})
    if _name_taken(app.name):
        raise ValidationError(_("Another registered organization already uses this name."))
    org = Organization(
        name=app.name,
        uscc=code,
        org_type=app.org_type,
        registration_level=app.registration_level,
        authority=office,
        sponsoring_unit=app.sponsoring_unit,
        legal_representative=app.legal_representative,
        registered_capital=app.registered_capital,
        domicile_region=app.domicile_region,
        address=app.address,
        scope=app.scope,
        established_on=_today(),
    )
    try:
        org.full_clean()
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "uscc" in exc.error_dict:
            raise ValidationError({"credit_code": exc.error_dict["uscc"]}) from None
        raise
    _save(org, acting_user, reason)
    app.changes = {"established": {"name": org.name, "uscc": org.uscc}}
    # The applicant becomes the organization's first account.
    account_user = getattr(app.case.applicant, "account", None)
    if account_user is not None:
        _save(
            OrgAccount(user=account_user, organization=org, role=OrgAccount.Role.MANAGER),
            acting_user,
        )
        forget_my_orgs(account_user)
    return org


def _apply_change(app, acting_user, reason) -> Organization:
    org = _lock_org(app.organization)
    if not org.is_live:
        raise ValidationError(_("This organization is no longer registered."))
    changes = proposed_changes(app)
    if not changes:
        raise ValidationError(_("Nothing to change: the register already says this."))
    if "name" in changes and _name_taken(app.name, org.pk):
        raise ValidationError(_("Another registered organization already uses this name."))
    if "domicile_region" in changes and not app.domicile_region_id.startswith(
        org.authority.region_prefix
    ):
        raise ValidationError(_("The new domicile is outside the registration authority's area."))
    recorded = {}
    for field, (before, after) in changes.items():
        attname = f"{field}_id" if field in ("legal_representative", "domicile_region") else field
        setattr(org, attname, after)
        recorded[field] = {"from": _describe(field, before), "to": _describe(field, after)}
    org.full_clean()
    _save(org, acting_user, reason)
    app.changes = recorded
    return org


def _deregister(app, acting_user, reason) -> Organization:
    org = _lock_org(app.organization)
    if not org.is_live:
        raise ValidationError(_("This organization is no longer registered."))
    before = org.status
    org.status = Organization.Status.DEREGISTERED
    org.status_reason = app.reason[:300]
    org.deregistered_on = _today()
    org.is_charity = False
    _save(org, acting_user, reason)
    _wind_down_charity(org, acting_user)
    app.changes = {"status": {"from": before, "to": org.status}}
    return org


def do_refuse_application(app: OrgApplication, *, acting_user, reason: str) -> OrgApplication:
    do_transition(app.case, "refuse", acting_user=acting_user, reason=reason)
    return app


def do_return_application(app: OrgApplication, *, acting_user, reason: str) -> OrgApplication:
    do_transition(app.case, "return_for_correction", acting_user=acting_user, reason=reason)
    return app


# ============================================================================ status, charity


STATUS_MOVES = {
    Organization.Status.ACTIVE: {
        Organization.Status.SUSPENDED,
        Organization.Status.RESTRICTED,
        Organization.Status.REVOKED,
    },
    Organization.Status.SUSPENDED: {Organization.Status.ACTIVE, Organization.Status.REVOKED},
    Organization.Status.RESTRICTED: {
        Organization.Status.ACTIVE,
        Organization.Status.SUSPENDED,
        Organization.Status.REVOKED,
    },
}


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
    _notify_users(
        _org_users(org),
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


# ============================================================================ annual reports


def report_deadline(org: Organization, year: int, as_of: dt.date | None = None) -> dt.date | None:
    try:
        return params.report_deadline(
            org.org_type, org.authority.region_id, year, as_of or _today()
        )
    except MissingParameter:
        return None


def _live_report(org, year) -> AnnualReport | None:
    return (
        AnnualReport.objects.select_related("case")
        .filter(organization=org, year=year)
        .exclude(case__state="withdrawn")
        .first()
    )


@transaction.atomic
def do_start_report(org: Organization, *, acting_user, year: int | None = None) -> AnnualReport:
    """The draft report of one year, or the one already started."""
    _require_person(acting_user)
    org = _lock_org(org)
    _require_account(org, acting_user)
    if not Organization.objects.filing().filter(pk=org.pk).exists():
        raise ValidationError(_("This organization no longer files annual reports."))
    year = year or reporting_year(_today())
    if year > reporting_year(_today()) or year < org.established_on.year:
        raise ValidationError({"year": _("Reports are filed for a past year since registration.")})
    existing = _live_report(org, year)
    if existing is not None:
        if existing.case.state in EDITABLE_STATES:
            return existing
        raise ValidationError(
            _("The report on %(year)s has already been sent (%(ref)s).")
            % {"year": year, "ref": existing.case.reference}
        )
    case = do_create_case(
        acting_user=acting_user,
        service=ANNUAL_REPORT,
        region=org.authority.region,
        applicant=acting_user.person,
    )
    return _save(AnnualReport(case=case, organization=org, year=year), acting_user)


REPORT_FIELDS = {
    "activities",
    "income",
    "expenses",
    "net_assets",
    "staff_count",
    "volunteer_count",
    "governance",
    "declaration",
}


def _lock_report(report) -> AnnualReport:
    return (
        AnnualReport.objects.select_for_update(of=("self",))
        .select_related("case", "case__office", "organization", "organization__authority")
        .get(pk=report.pk)
    )


@transaction.atomic
def do_save_report(report: AnnualReport, *, acting_user, **fields) -> AnnualReport:
    unknown = set(fields) - REPORT_FIELDS
    if unknown:
        raise ValueError(f"not part of the report: {sorted(unknown)}")
    report = _lock_report(report)
    _require_applicant_edit(report.case, acting_user)
    for k, v in fields.items():
        if isinstance(v, Decimal) and k != "net_assets" and v < 0:
            raise ValidationError({k: _("This cannot be negative.")})
        setattr(report, k, v.strip() if isinstance(v, str) else v)
    return _save(report, acting_user)


def missing_for_report(report: AnnualReport) -> list[str]:
    missing = []
    if not report.activities:
        missing.append(_("the activities during the year"))
    if not report.governance:
        missing.append(_("the governance section"))
    if not report.declaration:
        missing.append(_("the signed declaration"))
    return [str(m) for m in missing]


@transaction.atomic
def do_submit_report(report: AnnualReport, *, acting_user) -> AnnualReport:
    report = _lock_report(report)
    _require_applicant_edit(report.case, acting_user)
    missing = missing_for_report(report)
    if missing:
        raise ValidationError(_("Please complete: %(items)s.") % {"items": "; ".join(missing)})
    now = _now()
    if report.case.state == "returned":
        do_transition(
            report.case,
            "resubmit",
            acting_user=acting_user,
            public_message=_("The corrected report was sent."),
        )
        return report
    deadline = report_deadline(report.organization, report.year)
    report.late = deadline is not None and timezone.localdate(now) > deadline
    _save(report, acting_user, "submitted")
    for flag in LateFiling.objects.select_for_update().filter(
        organization=report.organization, year=report.year, filed_at__isnull=True
    ):
        flag.filed_at = now
        _save(flag, acting_user)
    do_submit_case(report.case, acting_user=acting_user)
    return report


def do_grade_report(
    report: AnnualReport, *, acting_user, grade: str, reason: str = ""
) -> AnnualReport:
    """Grade from code (seed, tests): the "grade" step (orgs.handlers.grade_report)."""
    do_transition(
        report.case,
        "grade",
        acting_user=acting_user,
        values={"grade": grade, "grade_reason": reason},
    )
    report.refresh_from_db()
    return report


def failed_years_in_a_row(org: Organization, last_year: int) -> int:
    """Years ending with `last_year` in which the organization failed its annual inspection:
    a report graded fail, or no report at all after the deadline passed."""
    graded = dict(
        AnnualReport.objects.filter(organization=org, year__lte=last_year)
        .exclude(grade="")
        .values_list("year", "grade")
    )
    filed = set(
        AnnualReport.objects.filter(
            organization=org, year__lte=last_year, case__submitted_at__isnull=False
        )
        .exclude(case__state="withdrawn")
        .values_list("year", flat=True)
    )
    unfiled_late = set(
        LateFiling.objects.filter(
            organization=org, year__lte=last_year, filed_at__isnull=True
        ).values_list("year", flat=True)
    )
    n = 0
    year = last_year
    while year >= org.established_on.year:
        failed = graded.get(year) == Grade.FAIL or (year in unfiled_late and year not in filed)
        if not failed:
            break
        n += 1
        year -= 1
    return n


def _restrict_if_repeated(org: Organization, last_year: int, acting_user) -> bool:
    org = _lock_org(org)
    if org.status != Organization.Status.ACTIVE:
        return False
    limit = params.failures_before_restriction(org.authority.region_id, _today())
    failures = failed_years_in_a_row(org, last_year)
    if failures < limit:
        return False
    org.status = Organization.Status.RESTRICTED
    with translation.override(settings.LANGUAGE_CODE):
        org.status_reason = _(
            "Failed the annual inspection %(n)d years in a row (up to %(year)s)."
        ) % {"n": failures, "year": last_year}
    _save(org, acting_user, "restricted")
    _notify_users(
        _org_users(org),
        lambda: (
            _("%(org)s is restricted after repeated annual-report failures") % {"org": org.name}
        ),
        lambda: _(
            "The registration authority has listed the organization as restricted. It cannot "
            "publish charity needs until the authority lifts the restriction."
        ),
    )
    return True


def do_flag_late_filers(today: dt.date | None = None) -> int:
    """Flag every organization whose report on last year has not arrived by its deadline, tell
    its accounts, and restrict it when that makes too many failed years in a row. Idempotent:
    one flag per organization and year (a unique constraint), one notice per flag."""
    today = today or _today()
    year = reporting_year(today)
    candidates = (
        Organization.objects.filing()
        .filter(established_on__year__lte=year)
        .exclude(late_filings__year=year)
        .exclude(
            pk__in=AnnualReport.objects.filter(year=year, case__submitted_at__isnull=False)
            .exclude(case__state="withdrawn")
            .values("organization_id")
        )
        .select_related("authority")
        .order_by("pk")
    )
    deadlines: dict[tuple[str, str], dt.date | None] = {}
    flagged = 0
    for org in candidates.iterator():
        key = (org.org_type, org.authority.region_id)
        if key not in deadlines:
            deadlines[key] = report_deadline(org, year, today)
            if deadlines[key] is None:
                log.warning("no annual-report deadline for %s in %s", *key)
        deadline = deadlines[key]
        if deadline is None or today <= deadline:
            continue
        if _flag_one(org, year, deadline):
            flagged += 1
    return flagged


@transaction.atomic
def _flag_one(org, year, deadline) -> bool:
    org = _lock_org(org)
    flag, created = LateFiling.objects.get_or_create(
        organization=org, year=year, defaults={"deadline": deadline, "flagged_at": _now()}
    )
    if not created:
        return False
    _notify_users(
        _org_users(org),
        lambda: (
            _("%(org)s: the annual report on %(year)s is overdue") % {"org": org.name, "year": year}
        ),
        lambda: (
            _(
                "The report was due by %(deadline)s. Please file it now; repeated failures lead to "
                "restrictions."
            )
            % {"deadline": deadline}
        ),
    )
    _restrict_if_repeated(org, year, None)
    return True


# ============================================================================ charity


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
    _notify_users(
        [offer.donor],
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
        _notify_users(
            _need_side_users(need),
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
        _notify_users(
            [offer.donor],
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
            _notify_users(
                _need_side_users(need),
                lambda need=need: _("A donor withdrew goods for “%(item)s”") % {"item": need.item},
                lambda: _("The need is open again for other offers."),
            )
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    offer.status = Offer.Status.WITHDRAWN
    _recount_offer(offer, acting_user)
    return offer

"""Registration: establishment, change and deregistration applications, from the draft to the
authority's decision (whose writes are orgs.handlers.approve_application).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from civilaffairs.accounts.models import Office
from civilaffairs.casework.actions import do_create_case, do_submit_case, do_transition
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.actions import do_register_person
from civilaffairs.people.models import Person, Region

from .. import params, uscc
from ..models import (
    USCC_CATEGORY,
    FiledDocument,
    OrgAccount,
    Organization,
    OrgApplication,
    RegistrationLevel,
    required_documents,
)
from ..queries import (
    forget_my_orgs,
)
from ..services import CHANGE, DEREGISTER, ESTABLISH
from .charity import _wind_down_charity
from .common import EDITABLE_STATES, _lock_org, _require_account, _require_person, _today


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
def do_save_application(
    app: OrgApplication, *, acting_user, representative: tuple[str, str] | None = None, **fields
) -> OrgApplication:
    """Save the application's fields; `representative` (name, ID number) names the legal
    representative, found in or added to the master record (do_identify_representative) only
    once the applicant may edit, and kept only if the rest is saved."""
    app = _lock_app(app)
    _require_applicant_edit(app.case, acting_user)
    named = {"legal_representative"} if representative is not None else set()
    unknown = (set(fields) | named) - EDITABLE_FIELDS[app.kind]
    if unknown:
        raise ValueError(f"not editable in this application: {sorted(unknown)}")
    if representative is not None:
        name, id_number = representative
        fields["legal_representative"] = do_identify_representative(
            acting_user=acting_user, name=name, id_number=id_number
        )
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


def proposed_changes_described(app: OrgApplication) -> list[tuple[str, str, str]]:
    """The changes asked for as people read them: (the item's name, now, asked for), with a
    person or a place by its name rather than its number in the database."""
    return [
        (
            str(OrgApplication._meta.get_field(field).verbose_name),
            _describe(field, before),
            _describe(field, after),
        )
        for field, (before, after) in proposed_changes(app).items()
    ]


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
            public_message=lambda: _("The corrected application was sent."),
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


@transaction.atomic
def do_move_representative(survivor: Person, duplicate: Person, *, acting_user) -> int:
    """Two person records were merged (people.actions.do_merge_persons): the organizations and
    applications naming the duplicate as legal representative now name the survivor. The
    platform's merge moves only relations it can see, and these are hidden (related_name "+"),
    so without this they would keep pointing at the merged-away record."""
    moved = 0
    for model in (Organization, OrgApplication):
        for row in model.objects.select_for_update().filter(legal_representative=duplicate):
            row.legal_representative = survivor
            _save(row, acting_user, f"person {duplicate.pk} merged into {survivor.pk}")
            moved += 1
    return moved

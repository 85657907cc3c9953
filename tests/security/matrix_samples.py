"""The rows the access matrix opens: for every kind of object a URL names, real rows of the demo
world inside and outside each role's jurisdiction, above their level, and belonging to someone
else; the few the demo lacks are made here, through the domains' own actions where they have one.

Each sample says which roles have it inside their scope (`inside`). That set is a fact about the
row written down by hand (who lives where, who is whose guardian), not worked out by the code under
test: the matrix compares it with what the site answers.

Where the roles sit (conftest.ROLES):
  兴庆区 640104 ── 凤凰北街街道 640104001 (caseworker, director) ── 崇安社区 (王秀英, the citizen)
     └ approver, registrar, childworker (the county bureau)
  西夏区 640105 ── 640105001 (caseworker_xixia)
  银川市 6401 (supervisor) covers both counties; 石嘴山市 6402 is outside everyone's but the admin's.
"""

import copy
import dataclasses
import datetime as dt
import itertools

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assistance.actions import do_start_application
from assistance.models import AssistanceApplication
from childwelfare import actions as childwelfare_actions
from childwelfare.models import AllowanceGrant, ChildProfile, IntakeReport, SupportItem
from civilaffairs.accounts.models import Office, User
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case, Document
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Person, Region
from eldercare import actions as eldercare_actions
from eldercare.models import Alert, DevicePlatform, FamilyLink, Institution, ServiceType, Worker
from marriage.models import Appointment, Certificate, MarriageApplication, RegistrationOffice
from orgs import actions as orgs_actions
from orgs.models import AnnualReport, Delivery, Match, Need, Offer, Organization, OrgType
from tests.factories import PersonFactory, UserFactory
from tests.security.conftest import ROLES

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

# Who has a row of 凤凰北街街道 (640104001), of another township of 兴庆区, of 西夏区 in scope:
# every grant whose region covers it, at the row's level (all of them reach CONFIDENTIAL).
TOWN = frozenset(
    {"caseworker", "approver", "supervisor", "registrar", "childworker", "director", "admin"}
)
COUNTY = frozenset({"approver", "supervisor", "registrar", "childworker", "admin"})
XIXIA = frozenset({"caseworker_xixia", "supervisor", "admin"})
ADMIN = frozenset({"admin"})
NOBODY = frozenset()
EVERYONE = frozenset(ROLES)
# The two grants that reach SENSITIVE (children's and health data), both over 凤凰北街街道.
SENSITIVE_TOWN = frozenset({"childworker", "director", "admin"})
# Who works general cases (social assistance, elder care, social organizations): the casework
# roles (accounts.models.CASEWORK_ROLES). A registrar or child-welfare worker of the same area
# does not see them.
CASEWORK = frozenset({"caseworker", "caseworker_xixia", "approver", "supervisor", "admin"})


@dataclasses.dataclass
class Sample:
    pk: int
    inside: frozenset  # the roles whose scope holds this row
    obj: object = None


class Samples:
    def __init__(self):
        self.kinds: dict[str, dict[str, Sample]] = {}

    def add(self, kind: str, label: str, obj, inside) -> Sample:
        sample = Sample(obj.pk if hasattr(obj, "pk") else obj, frozenset(inside), obj)
        self.kinds.setdefault(kind, {})[label] = sample
        return sample

    def of(self, kind: str) -> dict[str, Sample]:
        return self.kinds[kind]


_refs = itertools.count(1)


def clone(obj, **changes):
    """A copy of a row with some fields changed (a new primary key; history written as for any
    save). For the rare rows no action makes in another region."""
    new = copy.copy(obj)  # Model.__getstate__ copies _state and its cache of related rows
    new.pk = None
    if hasattr(new, "id"):
        new.id = None
    new._state.adding = True
    for field, value in changes.items():
        setattr(new, field, value)
    new.save()
    return new


def clone_case(case, **changes):
    changes.setdefault("reference", f"MX-{next(_refs):05d}")
    return clone(case, **changes)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def village_in(prefix: str) -> Region:
    return (
        Region.objects.current()
        .filter(code__startswith=prefix, level=Region.Level.VILLAGE)
        .order_by("code")
        .first()
    )


def office_of(code: str) -> Office:
    return Office.objects.get(region_id=code)


def resident(village: Region, **kwargs) -> Person:
    return PersonFactory(hukou_region=village, residence_region=village, **kwargs)


def account(person: Person) -> User:
    return UserFactory(username=f"mx{person.pk}", person=person)


def pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


@dataclasses.dataclass
class Places:
    home: Region  # 崇安社区, 凤凰北街街道, 兴庆区: where the citizen lives
    xixia: Region  # a village of 640105001, 西夏区
    far: Region  # a village of 石嘴山市
    xixia_person: Person
    far_person: Person
    xixia_elder: Person


def places() -> Places:
    xixia = village_in("640105001")
    return Places(
        home=region("640104001002"),
        xixia=xixia,
        far=village_in("640202"),
        xixia_person=resident(xixia, name="西夏居民"),
        far_person=resident(village_in("640202"), name="石嘴山居民"),
        xixia_elder=resident(xixia, name="西夏老人", birth_date=dt.date(1940, 2, 3), sex="F"),
    )


# ----------------------------------------------------------------------------- the platform


def casework(s: Samples, users, p: Places):
    citizen = users["citizen"].person
    admin = users["admin"]
    demo = (
        AssistanceApplication.objects.select_related("case")
        .filter(kind="dibao", case__state="screened", case__region_id__startswith="640104001")
        .order_by("pk")
        .first()
    )

    def copy_app(**case_changes):
        if "applicant" in case_changes:
            case_changes["beneficiary"] = case_changes["applicant"]
        case = clone_case(demo.case, **case_changes)
        return clone(demo, case=case)

    here = demo
    there = copy_app(
        region=p.xixia,
        applicant=p.xixia_person,
        household=None,
        office=office_of("640105001"),
    )
    far = copy_app(
        region=p.far, applicant=p.far_person, household=None, office=office_of("640202001")
    )
    # The same application marked SENSITIVE (health details, say): above a CONFIDENTIAL grant.
    sensitive = copy_app(confidentiality=Confidentiality.SENSITIVE)
    mine = copy_app(applicant=citizen, household=None)

    child_case = IntakeReport.objects.get(
        profile__director=users["director"], case__state="assessing"
    ).case
    marriage_case = (
        MarriageApplication.objects.filter(kind="registration").order_by("pk").first().case
    )

    for kind in ("case", "application"):
        pick = (lambda a: a.case) if kind == "case" else (lambda a: a)
        s.add(kind, "here", pick(here), TOWN & CASEWORK)
        s.add(kind, "there", pick(there), XIXIA)
        s.add(kind, "far", pick(far), ADMIN)
        s.add(kind, "sensitive", pick(sensitive), SENSITIVE_TOWN & CASEWORK)
    # Services that narrow who sees them (Service.staff_scope): a child's case only for the
    # child-welfare staff of the child and the child's director, a marriage only for registrars
    # and supervisors.
    # One the township caseworker has taken (to give back to the queue).
    taken = copy_app()
    Case.objects.filter(pk=taken.case_id).update(assignee=users["caseworker"])
    s.add("taken_case", "here", Case.objects.get(pk=taken.case_id), TOWN & CASEWORK)
    s.add("case", "child", child_case, SENSITIVE_TOWN)
    s.add("case", "marriage", marriage_case, {"registrar", "supervisor", "admin"})

    # Assistance: the public notice (anyone may object while it runs), drafts being filled in.
    today = timezone.localdate()
    notice = copy_app(state="notice")
    AssistanceApplication.objects.filter(pk=notice.pk).update(
        notice_start=today, notice_end=today + dt.timedelta(days=10)
    )
    s.add("notice", "on notice", notice, EVERYONE)
    s.add("notice", "not on notice", here, NOBODY)

    draft = do_start_application("dibao", acting_user=users["citizen"], person=citizen)
    neighbour = resident(p.home, name="邻居")
    assisted = do_start_application(
        "linshi",
        acting_user=users["caseworker"],
        person=neighbour,
        channel=Case.Channel.ASSISTED,
    )
    # A draft is the applicant's, or the staff member's who started it on someone's behalf.
    s.add("draft", "mine", draft, {"citizen"})
    s.add("draft", "assisted", assisted, {"caseworker"})

    s.add("citizen_case", "mine", mine.case, {"citizen"})
    s.add("citizen_case", "theirs", here.case, NOBODY)

    def document(case, *, shared, level=None):
        doc = do_add_document(case, pdf(), "other", acting_user=admin, shared=shared)
        if level is not None:
            Document.objects.filter(pk=doc.pk).update(confidentiality=level)
        return doc

    s.add("document", "here", document(here.case, shared=True), TOWN & CASEWORK)
    s.add("document", "there", document(there.case, shared=True), XIXIA)
    # Inside the region, above the level of every grant but the two SENSITIVE ones.
    s.add(
        "document",
        "above",
        document(here.case, shared=True, level=Confidentiality.SENSITIVE),
        SENSITIVE_TOWN & CASEWORK,
    )
    s.add("citizen_document", "mine", document(mine.case, shared=True), {"citizen"})
    s.add("citizen_document", "unshared", document(mine.case, shared=False), NOBODY)
    s.add("citizen_document", "theirs", document(here.case, shared=True), NOBODY)


@dataclasses.dataclass
class Pair:
    """Two records of one area, for the merge page (/staff/people/<pk>/merge/<other>/)."""

    pk: int
    other: Person


def household_of(person: Person):
    from civilaffairs.people.actions import do_create_household

    return person.current_household() or do_create_household(
        acting_user=None, head=person, region=person.residence_region
    )


def people(s: Samples, users, p: Places):
    citizen = users["citizen"].person
    s.add("person", "here", citizen, TOWN)
    s.add("person", "there", p.xixia_person, XIXIA)
    s.add("person", "far", p.far_person, ADMIN)
    s.add("person_pair", "here", Pair(citizen.pk, resident(p.home, name="王秀英")), TOWN)
    s.add("person_pair", "there", Pair(p.xixia_person.pk, p.xixia_elder), XIXIA)
    s.add("person_pair", "far", Pair(p.far_person.pk, resident(p.far)), ADMIN)
    s.add("household", "here", household_of(citizen), TOWN)
    s.add("household", "there", household_of(p.xixia_person), XIXIA)
    s.add("household", "far", household_of(p.far_person), ADMIN)


# ----------------------------------------------------------------------------- elder care


def eldercare(s: Samples, users, p: Places):
    citizen = users["citizen"].person
    meal = ServiceType.objects.get(code="meal")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    at_eleven = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(11, 0)))
    provider = eldercare_actions.provider_of(users["provider"])
    other_provider = eldercare_actions.provider_of(User.objects.get(username="provider_xixia"))

    mine = eldercare_actions.do_book_service(
        acting_user=users["family"],
        elder=citizen,
        service_type=meal,
        provider=provider,
        starts_at=at_eleven,
    )
    theirs = eldercare_actions.do_book_service(
        acting_user=users["caseworker_xixia"],
        elder=p.xixia_elder,
        service_type=meal,
        provider=other_provider,
        starts_at=at_eleven,
    )
    # The elder and her confirmed family member see her bookings; the provider, its own.
    s.add("booking", "mine", mine, {"citizen", "family"})
    s.add("booking", "theirs", theirs, NOBODY)
    s.add("provider_booking", "ours", mine, {"provider"})
    s.add("provider_booking", "another provider's", theirs, NOBODY)
    # A provider is the staff's when registered in their area or serving its elders: 兴庆区's
    # serves 王秀英 (凤凰北街街道), 西夏区's the 西夏区 elder.
    s.add("staff_provider", "here", provider, TOWN & CASEWORK)
    s.add("staff_provider", "there", other_provider, XIXIA)

    def ask_link(elder):
        stranger = account(resident(elder.residence_region, name="亲属"))
        return eldercare_actions.do_request_family_link(
            acting_user=stranger,
            elder_name=elder.name,
            elder_id_number=elder.id_number,
            relation="20",
        )

    neighbour = resident(p.home, name="老邻居", birth_date=dt.date(1945, 1, 1))
    pending_here = ask_link(neighbour)
    pending_there = ask_link(p.xixia_elder)
    link = FamilyLink.objects.get(elder=citizen, family=users["family"])
    s.add("link", "mine", link, {"citizen", "family"})
    s.add("link", "theirs", pending_here, NOBODY)
    # Pending links wait for the staff of the elder's area.
    s.add("pending_link", "here", pending_here, TOWN & CASEWORK)
    s.add("pending_link", "there", pending_there, XIXIA)

    invitation = eldercare_actions.do_invite_to_age_allowance(citizen, threshold=65)
    other_invitation = eldercare_actions.do_invite_to_age_allowance(neighbour, threshold=80)
    s.add("invitation", "mine", invitation, {"citizen", "family"})
    s.add("invitation", "theirs", other_invitation, NOBODY)

    town_home = Institution.objects.get(region_id="640104001", is_active=True)
    county_home = Institution.objects.get(operator=provider)
    xixia_home = Institution.objects.filter(region_id__startswith="640105").first()
    closed = clone(town_home, name="已停业的养老院", is_active=False)
    s.add("institution", "open", town_home, EVERYONE)
    s.add("institution", "closed", closed, NOBODY)
    # Occupancy: the institution's operator, or staff of its area.
    s.add("institution_for_update", "town", town_home, TOWN & CASEWORK)
    s.add("institution_for_update", "county", county_home, COUNTY & CASEWORK | {"provider"})
    s.add("institution_for_update", "there", xixia_home, XIXIA)

    s.add("worker", "ours", Worker.objects.filter(provider=provider).first(), {"provider"})
    s.add(
        "worker",
        "another provider's",
        Worker.objects.filter(provider=other_provider).first(),
        NOBODY,
    )

    platform = DevicePlatform.objects.order_by("pk").first()
    watch = eldercare_actions.do_register_device(
        platform, acting_user=users["admin"], external_id="MX-XIXIA", person=p.xixia_elder
    )
    now = timezone.now()
    alerts = {}
    for label, device in (
        ("here", citizen.devices.first()),
        ("there", watch),
    ):
        eldercare_actions.do_receive_readings(
            platform,
            [
                {
                    "event_id": f"mx-{label}",
                    "device": device,
                    "kind": "sos",
                    "value": None,
                    "recorded_at": now,
                }
            ],
        )
        alerts[label] = Alert.objects.filter(person=device.person).order_by("-pk").first()
    s.add("elder_alert", "here", alerts["here"], TOWN & CASEWORK)
    s.add("elder_alert", "there", alerts["there"], XIXIA)
    s.add("visit", "here", alerts["here"].visit_case.home_visit, TOWN & CASEWORK)
    s.add("visit", "there", alerts["there"].visit_case.home_visit, XIXIA)

    plan_here = eldercare_actions.do_request_care_plan(
        acting_user=users["caseworker"], elder=neighbour
    )
    plan_there = eldercare_actions.do_request_care_plan(
        acting_user=users["caseworker_xixia"], elder=p.xixia_elder
    )
    s.add("plan", "here", plan_here, TOWN & CASEWORK)
    s.add("plan", "there", plan_there, XIXIA)


# ----------------------------------------------------------------------------- organizations


def orgs(s: Samples, users, p: Places):
    org_user, donor = users["org"], users["donor"]
    county_org = Organization.objects.get(accounts__user=org_user)  # registered at 兴庆区
    other_county_org = (
        Organization.objects.filter(authority__region_id="640104").exclude(pk=county_org.pk).first()
    )
    city_org = Organization.objects.get(authority__region_id="640100")
    province_org = Organization.objects.get(authority__region_id="640000")

    s.add("org_public", "registered", county_org, EVERYONE)
    s.add("my_org", "mine", county_org, {"org"})
    s.add("my_org", "theirs", other_county_org, NOBODY)
    # The registration authority: the county bureau and the city above it (its supervisor);
    # a township office registers nothing, a registrar or child-welfare worker is no authority.
    s.add("staff_org", "county", county_org, {"approver", "supervisor", "admin"})
    s.add("staff_org", "city", city_org, {"supervisor", "admin"})
    s.add("staff_org", "province", province_org, ADMIN)

    change = orgs_actions.do_start_change(county_org, acting_user=org_user, kind="change")
    establishing = orgs_actions.do_start_establishment(
        acting_user=donor,
        org_type=OrgType.SERVICE_AGENCY,
        registration_level=3,
        domicile_region=region("640105001"),
        name="西夏区助老服务中心",
    )
    s.add("org_application", "mine", change, {"org"})
    s.add("org_application", "theirs", establishing, {"donor"})

    # Sent and received by the authority. The case carries the authority's region (兴庆区,
    # 西夏区): every grant covering that region opens it, as any case (only the authority's
    # approver decides).
    def received(app, code):
        case = clone_case(app.case, state="received", office=office_of(code))
        return clone(app, case=case)

    s.add("staff_org_application", "county", received(change, "640104"), COUNTY & CASEWORK)
    s.add(
        "staff_org_application", "xixia", received(establishing, "640105"), {"supervisor", "admin"}
    )

    report = AnnualReport.objects.get(organization=county_org)
    xixia_report = clone(
        report,
        organization=other_county_org,
        case=clone_case(report.case, region=region("640105"), applicant=p.xixia_person),
    )
    s.add("org_report", "mine", report, {"org"})
    s.add("org_report", "theirs", xixia_report, NOBODY)
    s.add("staff_org_report", "county", report, COUNTY & CASEWORK)
    s.add("staff_org_report", "xixia", xixia_report, {"supervisor", "admin"})

    # Charity: needs of the organization's project and of the township office's project.
    org_need = Need.objects.filter(project__organization=county_org).order_by("pk").first()
    office_need = Need.objects.filter(project__office__region_id="640104001").first()
    xixia_office = office_of("640105001")
    project = orgs_actions.do_create_project(
        acting_user=users["caseworker_xixia"],
        name="西夏区冬季助困",
        region=xixia_office.region,
        office=xixia_office,
    )
    xixia_need = orgs_actions.do_create_need(
        project,
        acting_user=users["caseworker_xixia"],
        category=org_need.category,
        item="棉衣",
        quantity=10,
        unit=org_need.unit,
        region=xixia_office.region,
        urgency=1,
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    office_staff = {"caseworker", "approver", "supervisor", "admin"}
    s.add("need", "organization's", org_need, {"org", "admin"})
    s.add("need", "township office's", office_need, office_staff)
    s.add("need", "xixia office's", xixia_need, XIXIA)

    org_match = Match.objects.get(need=org_need)
    office_match = Match.objects.get(need=office_need)
    s.add("match", "organization's", org_match, {"org", "admin"})
    s.add("match", "township office's", office_match, office_staff)
    # Closing a match or recording a delivery is for either side: the donor too.
    s.add("match_either", "organization's", org_match, {"org", "admin", "donor"})
    s.add("match_either", "township office's", office_match, office_staff | {"donor"})
    s.add("delivery", "organization's", Delivery.objects.get(match=org_match), {"org", "admin"})

    mine = Offer.objects.filter(donor=donor).order_by("pk").first()
    theirs = orgs_actions.do_create_offer(
        acting_user=org_user,
        category=org_need.category,
        item="被褥",
        quantity=5,
        unit=org_need.unit,
        region=region("640104001"),
    )
    s.add("offer", "mine", mine, {"donor"})
    s.add("offer", "theirs", theirs, {"org"})


# ----------------------------------------------------------------------------- marriage


def marriage(s: Samples, users, p: Places):
    citizen = users["citizen"].person
    home = RegistrationOffice.objects.get(office__region_id="640104")
    xixia = RegistrationOffice.objects.get(office__region_id="640105")
    booked = MarriageApplication.objects.filter(registry=home, kind="registration").order_by("pk")
    booked = booked.first()
    divorce = MarriageApplication.objects.get(registry=home, kind="divorce")

    def copy_app(app, **case_changes):
        return clone(app, case=clone_case(app.case, **case_changes))

    at_xixia = clone(booked, registry=xixia, case=clone_case(booked.case, region=region("640105")))
    # The citizen (widowed) as a party of applications in each state a page needs. The
    # applications are copies of the demo's: the pages check who is a party (the case's
    # applicant and beneficiary) and the state, which is what the matrix is about.
    refused = copy_app(booked, applicant=citizen, state="refused", closed_at=timezone.now())
    their_refusal = copy_app(booked, state="refused", closed_at=timezone.now())
    mine_booked = copy_app(booked, applicant=citizen)
    mine_divorce = copy_app(divorce, applicant=citizen)
    appointment = clone(
        booked.appointments.first(),
        application=mine_booked,
        status=Appointment.Status.PENDING,
        confirmed_a_at=None,
        confirmed_b_at=None,
    )

    # The registrar's counter: their registry only (a supervisor is no registrar).
    s.add("registry_application", "here", booked, {"registrar", "admin"})
    s.add("registry_application", "there", at_xixia, ADMIN)
    s.add("registry_refusal", "here", refused, {"registrar", "admin"})
    s.add("registry_refusal", "not refused", booked, NOBODY)
    s.add(
        "certificate",
        "here",
        Certificate.objects.filter(registry=home).first(),
        {"registrar", "admin"},
    )
    s.add("certificate", "there", Certificate.objects.filter(registry=xixia).first(), ADMIN)
    # The citizen's own applications and appointments (either party).
    s.add("marriage_refusal", "mine", refused, {"citizen"})
    s.add("marriage_refusal", "theirs", their_refusal, NOBODY)
    s.add("marriage_refusal", "mine, not refused", mine_booked, NOBODY)
    s.add("divorce", "mine", mine_divorce, {"citizen"})
    s.add("divorce", "theirs", divorce, NOBODY)
    s.add("appointment", "mine", appointment, {"citizen"})
    s.add("appointment", "theirs", booked.appointments.first(), NOBODY)


# ----------------------------------------------------------------------------- child welfare


def childwelfare(s: Samples, users, p: Places):
    assigned = ChildProfile.objects.get(director=users["director"], guardians__isnull=False)
    unassigned = ChildProfile.objects.filter(director__isnull=True).order_by("pk").first()
    xixia_child = resident(p.xixia, name="西夏儿童", birth_date=dt.date(2016, 4, 4))
    xixia_case = childwelfare_actions.do_report_child(
        xixia_child,
        acting_user=users["caseworker_xixia"],
        reporter_kind="caseworker",
        concern="长期无人照料。",
    )
    there = ChildProfile.objects.get(person=xixia_child)
    # 王秀英's grandson lives with her: she is his guardian.
    grandson = Person.objects.get(name="李明", residence_region=p.home)
    childwelfare_actions.do_report_child(
        grandson, acting_user=users["director"], reporter_kind="director", concern="祖母年迈。"
    )
    ward = ChildProfile.objects.get(person=grandson)
    childwelfare_actions.do_add_guardian(
        ward,
        acting_user=users["childworker"],
        relation="grandparent",
        person=grandson.current_membership().household.head,
    )

    # Children's records: the child-welfare worker of the county, the director assigned to the
    # child (only that child), nobody else (all children's records are SENSITIVE).
    s.add("child", "assigned", assigned, SENSITIVE_TOWN)
    s.add("child", "unassigned", unassigned, {"childworker", "admin"})
    s.add("child", "there", there, ADMIN)
    s.add("my_child", "mine", ward, {"citizen"})
    s.add("my_child", "theirs", assigned, NOBODY)

    s.add("guardian", "assigned", assigned.guardians.first(), SENSITIVE_TOWN)
    s.add(
        "guardian",
        "there",
        childwelfare_actions.do_add_guardian(
            there, acting_user=users["admin"], relation="relative", person=p.xixia_person
        ),
        ADMIN,
    )
    item = SupportItem.objects.filter(plan__profile__director=users["director"]).first()
    s.add("item", "assigned", item, SENSITIVE_TOWN)

    intake = IntakeReport.objects.get(profile=assigned, case__closed_at__isnull=True).case
    allowance = AllowanceGrant.objects.get(profile=assigned).case
    s.add("child_intake", "assigned", intake, SENSITIVE_TOWN)
    s.add(
        "child_intake",
        "unassigned",
        IntakeReport.objects.get(profile=unassigned).case,
        {"childworker", "admin"},
    )
    s.add("child_intake", "there", xixia_case, ADMIN)
    s.add("child_intake", "an allowance", allowance, NOBODY)
    s.add("child_allowance", "assigned", allowance, SENSITIVE_TOWN)
    s.add("child_allowance", "an intake", intake, NOBODY)

    # Alerts go to supervisors too (they name the child by a masked name only).
    s.add("child_alert", "assigned", assigned.alerts.first(), SENSITIVE_TOWN | {"supervisor"})
    childwelfare_actions.do_record_visit(
        there,
        acting_user=users["admin"],
        visited_on=timezone.localdate(),
        concerns="独自在家。",
        safety_concern=True,
    )
    s.add("child_alert", "there", there.alerts.first(), {"supervisor", "admin"})


def benefits(s: Samples, users, p: Places):
    """The demo's month batch of 兴庆区 (awaiting approval) and a 低保 entitlement of
    凤凰北街街道 with its first payment."""
    from civilaffairs.benefits.models import DisbursementBatch, Entitlement

    batch = DisbursementBatch.objects.get(county_id="640104", status="draft")
    s.add("batch", "here", batch, {"approver", "supervisor", "admin"})
    entitlement = (
        Entitlement.objects.filter(
            program="assistance.dibao", case__region_id__startswith="640104001"
        )
        .order_by("pk")
        .first()
    )
    s.add("entitlement", "here", entitlement, TOWN & CASEWORK)
    s.add("payment", "here", entitlement.payments.order_by("pk").first(), TOWN & CASEWORK)


def imports(s: Samples, users, p: Places):
    """The demo's import of 凤凰北街街道 (by the approver, for 兴庆区) with its possible
    duplicate; and one of 西夏区 by the administrator, with one of its own."""
    from civilaffairs.imports.actions import do_start_import
    from civilaffairs.imports.demo import DEMO_FILE_NAME
    from civilaffairs.imports.models import Candidate, ImportBatch
    from civilaffairs.imports.run import run_batch
    from tests.imports.conftest import csv_file, row

    here = ImportBatch.objects.get(file_name=DEMO_FILE_NAME)
    s.add("import", "here", here, {"approver", "supervisor", "admin"})
    twin = p.xixia_person
    there = do_start_import(
        acting_user=users["admin"],
        region=region("640105001"),
        upload=csv_file(
            [
                row(
                    twin.name,
                    "",
                    "男" if twin.sex == "M" else "女",
                    twin.birth_date.isoformat(),
                    twin.residence_region_id,
                    twin.residence_region_id,
                )
            ]
        ),
    )
    run_batch(there.pk)
    s.add("import", "there", there, XIXIA)
    s.add("candidate", "here", Candidate.objects.get(row__batch=here), TOWN & CASEWORK)
    s.add("candidate", "there", Candidate.objects.get(row__batch=there), XIXIA)


def scenarios(s: Samples, users, p: Places):
    """A decision-support scenario of 兴庆区 (by its approver) and one of 西夏区 (by the
    administrator): approvers and supervisors read those of their area."""
    from decimal import Decimal

    from civilaffairs.insight.actions import do_save_scenario
    from civilaffairs.rules.models import Program

    program = Program.objects.get(code="dibao")
    for label, code, user, inside in (
        ("here", "640104", users["approver"], {"approver", "supervisor", "admin"}),
        ("there", "640105", users["admin"], {"supervisor", "admin"}),
    ):
        scenario = do_save_scenario(
            acting_user=user,
            title=f"低保标准 900（{code}）",
            program=program,
            region=region(code),
            as_of=timezone.localdate(),
            overrides={"dibao_standard": Decimal("900")},
        )
        s.add("scenario", label, scenario, inside)


def disasters(s: Samples, users, p: Places):
    """A flood in 凤凰北街街道 (recorded by 兴庆区's approver) and one in 西夏区's township (by
    the administrator), each with a quilt given to a household there: the casework staff of
    the area read them; the county or city that may record one counts it again."""
    from decimal import Decimal

    from assistance.disaster import do_give_relief, do_record_event

    for label, code, user, person, inside in (
        ("here", "640104001", users["approver"], users["citizen"].person, TOWN & CASEWORK),
        ("there", "640105001", users["admin"], p.xixia_person, XIXIA),
    ):
        event = do_record_event(
            acting_user=user,
            name=f"地震（{code}）",
            # Not a flood: the demo's flood in 凤凰北街街道 would be the same event.
            kind="earthquake",
            level=3,
            started_on=timezone.localdate(),
            regions=[region(code)],
        )
        s.add("disaster", label, event, inside)
        household = household_of(person)
        relief = do_give_relief(
            event,
            household,
            place=person.residence_region_id,
            acting_user=user,
            item="quilt",
            quantity=Decimal(1),
            given_on=timezone.localdate(),
        )
        s.add("relief", label, relief, inside)


def build(users) -> Samples:
    # The one admin table the demo leaves empty: a group of permissions an administrator made.
    Group.objects.get_or_create(name="审计")
    s = Samples()
    p = places()
    casework(s, users, p)
    people(s, users, p)
    eldercare(s, users, p)
    orgs(s, users, p)
    marriage(s, users, p)
    childwelfare(s, users, p)
    benefits(s, users, p)
    imports(s, users, p)
    scenarios(s, users, p)
    disasters(s, users, p)
    return s

"""Establishment, change and deregistration: routed to the registration authority by level and
region, decided there, and written into the register in the same transaction as the decision."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civilaffairs.casework.actions import do_screen_and_route, do_transition
from civilaffairs.casework.models import Case
from orgs import actions, uscc
from orgs.models import OrgAccount, Organization, OrgApplication
from tests.factories import PersonFactory

from .conftest import (
    citizen_user,
    fill_establishment,
    pdf,
    purposes,
    region,
    register_org,
    submitted_establishment,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("level", "authority_code"), [(3, "640104"), (2, "640100"), (1, "640000")])
def test_an_establishment_goes_to_the_bureau_at_the_chosen_level(
    world, org_user, level, authority_code
):
    app = submitted_establishment(org_user, level=level)
    case = app.case
    assert case.state == "received"
    assert case.office.region_id == authority_code
    assert case.region_id == authority_code
    assert case.reference.startswith("SZSL-")


def test_the_domicile_must_lie_at_or_below_the_registration_level(world, org_user):
    with pytest.raises(ValidationError):
        actions.do_start_establishment(
            acting_user=org_user,
            org_type="social_group",
            registration_level=3,
            domicile_region=region("640100"),  # a city is above a county authority
        )


def test_submission_says_what_is_missing_and_changes_nothing(world, org_user):
    app = actions.do_start_establishment(
        acting_user=org_user,
        org_type="social_group",
        registration_level=3,
        domicile_region=region("640104001"),
    )
    actions.do_save_application(
        app, acting_user=org_user, name="兴庆区书法协会", registered_capital=Decimal("10000")
    )
    with pytest.raises(ValidationError) as exc:
        actions.do_submit_application(app, acting_user=org_user)
    text = " ".join(exc.value.messages)
    assert "30,000" in text  # the local minimum for a social group (a parameter)
    assert "Charter" in text or "章程" in text
    assert "members" in text or "会员" in text
    assert Case.objects.get(pk=app.case.pk).state == "draft"


def test_documents_are_filed_with_their_purpose(world, org_user):
    app = actions.do_start_establishment(
        acting_user=org_user,
        org_type="foundation",
        registration_level=2,
        domicile_region=region("640104001"),
    )
    fill_establishment(app, org_user, registered_capital=Decimal("2000000"))
    assert purposes(app.case) == {"charter", "capital_proof"}
    other = citizen_user("路人", "640104001002")
    with pytest.raises(PermissionDenied):
        actions.do_attach_document(app.case, pdf(), "charter", acting_user=other)


def test_approval_registers_the_organization_with_a_valid_code_and_an_account(world, org_user):
    app = submitted_establishment(org_user)
    actions.do_approve_application(app, acting_user=world.approver)
    app.refresh_from_db()
    org = app.organization
    assert org.name == "兴庆区阳光社会工作服务中心"
    assert org.status == Organization.Status.ACTIVE
    assert org.authority == world.county
    assert uscc.is_valid(org.uscc)
    assert org.uscc.startswith("52640104")  # civil affairs, social service agency, 兴庆区
    assert org.history.count() == 1
    assert app.applied_at is not None
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "approved" and case.outcome == "approved" and case.closed_at
    assert case.events.filter(transition="approve", public=True).exists()
    assert OrgAccount.objects.filter(user=org_user, organization=org, role="manager").exists()


def test_the_authority_may_enter_the_code_it_issued_and_a_wrong_one_is_refused(world, org_user):
    app = submitted_establishment(org_user)
    good = uscc.make("5", "2", "640104", "M1234567")
    wrong_category = uscc.make("5", "1", "640104", "M1234568")
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    for bad in (typo, wrong_category):
        with pytest.raises(ValidationError):
            actions.do_approve_application(app, acting_user=world.approver, credit_code=bad)
        assert not Organization.objects.exists()
        assert Case.objects.get(pk=app.case.pk).state == "received"
    actions.do_approve_application(app, acting_user=world.approver, credit_code=good.lower())
    assert Organization.objects.get().uscc == good


@pytest.mark.parametrize("who", ["caseworker", "other_approver", "province_approver", "supervisor"])
def test_only_the_registration_authority_decides(world, org_user, who):
    app = submitted_establishment(org_user)
    with pytest.raises(PermissionDenied):
        actions.do_approve_application(app, acting_user=getattr(world, who))
    assert not Organization.objects.exists()


def test_the_approve_transition_itself_writes_the_register(world, org_user):
    """The step owns its writes: however it is fired, approval registers the organization in
    the transaction that closes the case."""
    app = submitted_establishment(org_user)
    assert not Organization.objects.exists()
    do_transition(app.case, "approve", acting_user=world.approver)
    assert Case.objects.get(pk=app.case.pk).state == "approved"
    org = Organization.objects.get()
    assert OrgApplication.objects.get(pk=app.pk).organization == org
    assert org.name == app.name


def test_a_refusal_needs_reasons_and_registers_nothing(world, org_user):
    app = submitted_establishment(org_user)
    with pytest.raises(ValidationError):
        actions.do_refuse_application(app, acting_user=world.approver, reason=" ")
    actions.do_refuse_application(app, acting_user=world.approver, reason="章程不符合要求。")
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "refused" and case.outcome_reason == "章程不符合要求。"
    assert not Organization.objects.exists()


def test_a_returned_application_is_corrected_and_sent_again(world, org_user):
    app = submitted_establishment(org_user)
    actions.do_return_application(app, acting_user=world.county_clerk, reason="请补充住所证明。")
    assert Case.objects.get(pk=app.case.pk).state == "returned"
    actions.do_save_application(app, acting_user=org_user, address="凤凰北街 20 号")
    actions.do_submit_application(app, acting_user=org_user)
    assert Case.objects.get(pk=app.case.pk).state == "received"


def change_application(org, user, **fields):
    app = actions.do_start_change(org, acting_user=user, kind=OrgApplication.Kind.CHANGE)
    actions.do_save_application(
        app, acting_user=user, reason="理事会决议变更。", declaration=True, **fields
    )
    actions.do_attach_document(app.case, pdf("resolution.pdf"), "resolution", acting_user=user)
    actions.do_submit_application(app, acting_user=user)
    do_screen_and_route(app.case.pk)
    return OrgApplication.objects.select_related("case", "case__office").get(pk=app.pk)


def test_a_change_is_written_into_the_register_on_approval_with_history(
    world, org_user, county_org
):
    new_rep = PersonFactory(name="马文华", hukou_region=region("640104001002"))
    old_rep = county_org.legal_representative
    history_before = county_org.history.count()
    app = change_application(
        county_org,
        org_user,
        name="兴庆区阳光社工服务中心",
        legal_representative=new_rep,
        scope="社会工作服务；志愿服务。",
    )
    assert app.case.office == world.county
    county_org.refresh_from_db()
    assert county_org.name == "兴庆区阳光社会工作服务中心"  # nothing changes before approval
    # Read by people: each item by its name, a person by theirs (the page showed
    # "legal_representative | 3512 | 17", found walking the change as the organization).
    from django.utils import translation

    with translation.override("zh-hans"):
        asked = actions.proposed_changes_described(app)
    assert ("法定代表人", old_rep.name, "马文华") in asked
    actions.do_approve_application(app, acting_user=world.approver)
    county_org.refresh_from_db()
    assert county_org.name == "兴庆区阳光社工服务中心"
    assert county_org.legal_representative == new_rep
    assert county_org.scope == "社会工作服务；志愿服务。"
    latest = county_org.history.first()
    assert county_org.history.count() == history_before + 1
    assert latest.history_user == world.approver
    assert latest.history_change_reason == app.case.reference
    app.refresh_from_db()
    assert app.changes["legal_representative"] == {"from": old_rep.name, "to": "马文华"}
    with translation.override("en"):
        assert ("Legal representative", old_rep.name, "马文华") in [
            (label.capitalize(), before, after) for label, before, after in app.changes_described
        ]
    assert Case.objects.get(pk=app.case.pk).state == "approved"


def test_if_the_register_cannot_take_the_change_the_decision_is_not_recorded(
    world, org_user, county_org
):
    app = change_application(county_org, org_user, name="兴庆区另一家机构")
    # Meanwhile another organization registers that name.
    register_org(citizen_user("李华"), world.approver, name="兴庆区另一家机构")
    with pytest.raises(ValidationError):
        actions.do_approve_application(app, acting_user=world.approver)
    county_org.refresh_from_db()
    assert county_org.name == "兴庆区阳光社会工作服务中心"
    assert Case.objects.get(pk=app.case.pk).state == "received"


def test_a_change_may_not_move_the_domicile_out_of_the_authority(world, org_user, county_org):
    app = actions.do_start_change(county_org, acting_user=org_user, kind="change")
    with pytest.raises(ValidationError):
        actions.do_save_application(app, acting_user=org_user, domicile_region=region("640105001"))


def test_one_open_change_at_a_time(world, org_user, county_org):
    change_application(county_org, org_user, scope="新的业务范围。")
    with pytest.raises(ValidationError):
        actions.do_start_change(county_org, acting_user=org_user, kind="deregister")


def test_only_the_organizations_accounts_apply_for_it(world, county_org):
    stranger = citizen_user("王五")
    with pytest.raises(PermissionDenied):
        actions.do_start_change(county_org, acting_user=stranger, kind="change")


def test_deregistration_closes_the_organization_and_its_open_needs(world, org_user, county_org):
    project = actions.do_create_project(
        acting_user=org_user, organization=county_org, name="助学", region=region("640104001")
    )
    import datetime as dt

    need = actions.do_create_need(
        project,
        acting_user=org_user,
        category="school",
        item="书包",
        quantity=10,
        unit="piece",
        region=region("640104001"),
        urgency=1,
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    app = actions.do_start_change(county_org, acting_user=org_user, kind="deregister")
    actions.do_save_application(
        app, acting_user=org_user, reason="清算完毕，申请注销。", declaration=True
    )
    for purpose in ("resolution", "liquidation"):
        actions.do_attach_document(app.case, pdf(), purpose, acting_user=org_user)
    actions.do_submit_application(app, acting_user=org_user)
    do_screen_and_route(app.case.pk)
    actions.do_approve_application(app, acting_user=world.approver)
    county_org.refresh_from_db()
    assert county_org.status == Organization.Status.DEREGISTERED
    assert county_org.deregistered_on is not None
    need.refresh_from_db()
    assert need.status == "closed"
    # The name is free again.
    assert not actions._name_taken(county_org.name)
    # The case page reads the status by its labels, not its codes.
    from django.utils import translation

    app.refresh_from_db()
    with translation.override("en"):
        assert app.changes_described == [("status", "Active", "Deregistered")]


def test_an_establishment_shows_the_new_name_and_code_on_its_case(world, org_user):
    from django.utils import translation

    org = register_org(org_user, world.approver)
    app = OrgApplication.objects.get(organization=org, kind="establish")
    with translation.override("en"):
        described = app.changes_described
    assert ("name", "", org.name) in described
    assert ("unified social credit code", "", org.uscc) in described

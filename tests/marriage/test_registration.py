"""Marriage registration at the counter: every legal rule refuses with its reason, a
registration writes the record, the certificate number and both persons' marital status in one
transaction, and the adapter decides where the records come from."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings

from civilaffairs.casework.actions import do_transition
from civilaffairs.casework.models import Case
from civilaffairs.people.models import Membership, Person, Region
from marriage import actions
from marriage.models import Appointment, Certificate, MarriageApplication, MarriageRecord
from tests.factories import make_household
from tests.marriage.conftest import (
    SH,
    at_counter,
    book,
    citizen,
    clear_review,
    on_the_day,
    refuse,
    register,
    register_marriage,
)

pytestmark = pytest.mark.django_db


def refused_with(app, reg, refusal):
    app = refuse(app, acting_user=reg.registrar)
    case = Case.objects.get(pk=app.case_id)
    assert case.state == "refused" and case.outcome == "refused"
    assert app.refusal == refusal
    return case


def test_a_couple_is_registered_with_a_certificate_and_both_become_married(reg, couple):
    a, b = couple
    record = register(reg, a, b)
    assert re.fullmatch(r"J640104-2026-\d{6}", record.certificate_number)
    assert (record.man, record.woman) == (a.person, b.person)
    assert record.man_age == 28 and record.woman_age == 25
    for user in (a, b):
        person = Person.objects.get(pk=user.person_id)
        assert person.marital_status == Person.MaritalStatus.MARRIED
        # The master record's history says who changed it and why.
        last = person.history.first()
        assert last.history_user == reg.registrar
        assert record.certificate_number in last.history_change_reason
    certs = Certificate.objects.filter(record=record)
    assert {c.holder_id for c in certs} == {a.person_id, b.person_id}
    assert {c.number for c in certs} == {record.certificate_number}
    case = Case.objects.get(marriage__record=record)
    assert case.state == "registered" and case.outcome == "approved"
    # Marriage records are kept permanently: no archive date.
    assert case.closed_at is not None and case.archive_on is None
    assert case.submitted_at is not None  # the platform's clock ran from the counter


def test_certificate_numbers_run_per_registry_and_year(reg, couple):
    first = register(reg, *couple)
    c, d = citizen("王强", "M", dt.date(1990, 2, 2)), citizen("赵敏", "F", dt.date(1992, 3, 3))
    second = register(reg, c, d)
    n1 = int(first.certificate_number.rsplit("-", 1)[1])
    n2 = int(second.certificate_number.rsplit("-", 1)[1])
    assert n2 == n1 + 1


def test_the_checks_run_at_check_in_and_are_shown_with_their_reasons(reg, couple):
    app = at_counter(reg, *couple)
    assert app.case.state == "checking"
    codes = [c["code"] for c in app.checks]
    assert codes[:2] == [f"identity-{couple[0].person_id}", f"identity-{couple[1].person_id}"]
    assert {"sexes", "relation"} <= set(codes)
    assert all(c["outcome"] == "pass" and c["reason"] for c in app.checks)


def test_an_under_age_man_is_refused_with_article_1047(reg):
    # 21 on the registration day: men may marry from 22.
    a = citizen("刘洋", "M", dt.date(2004, 12, 1))
    b = citizen("陈静", "F", dt.date(2003, 1, 1))
    app = at_counter(reg, a, b)
    failed = [c for c in app.checks if c["outcome"] == "fail"]
    assert [c["code"] for c in failed] == [f"age-{a.person_id}"]
    assert "21" in failed[0]["reason"] and "1047" in failed[0]["reason"]
    with pytest.raises(ValidationError, match="1047"):
        register_marriage(
            app, acting_user=reg.registrar, photos_checked=True, declarations_signed=True
        )
    case = refused_with(app, reg, MarriageApplication.Refusal.UNDER_AGE)
    assert "1047" in case.outcome_reason
    assert not MarriageRecord.objects.exists()
    assert Person.objects.get(pk=a.person_id).marital_status == Person.MaritalStatus.UNMARRIED


def test_a_woman_of_twenty_may_marry(reg):
    a = citizen("周杰", "M", dt.date(2000, 1, 1))
    b = citizen("吴敏", "F", dt.date(2006, 3, 1))  # 20 on 2 March 2026
    record = register(reg, a, b)
    assert record.woman_age == 20


def test_someone_already_married_in_the_records_is_refused(reg, couple):
    a, b = couple
    register(reg, a, b)
    c = citizen("孙丽", "F", dt.date(1996, 5, 5))
    # Booking is possible (the first case is closed); the counter's check refuses.
    app = at_counter(reg, a, c)
    failed = [c for c in app.checks if c["outcome"] == "fail"]
    assert [f["code"] for f in failed] == [f"married-{a.person_id}"]
    assert "李娜" in failed[0]["reason"] and "1051" in failed[0]["reason"]
    case = refused_with(app, reg, MarriageApplication.Refusal.MARRIED)
    assert "1051" in case.outcome_reason


def test_someone_the_master_record_shows_as_married_is_refused(reg):
    a = citizen("马军", "M", dt.date(1985, 1, 1), marital_status=Person.MaritalStatus.MARRIED)
    b = citizen("杨雪", "F", dt.date(1990, 1, 1))
    app = at_counter(reg, a, b)
    failed = [c for c in app.checks if c["outcome"] == "fail"]
    assert [f["code"] for f in failed] == [f"married-{a.person_id}"]
    assert "master record" in failed[0]["reason"]
    refused_with(app, reg, MarriageApplication.Refusal.MARRIED)


def test_siblings_in_the_household_records_are_stopped_for_review_then_refused(reg):
    a = citizen("王刚", "M", dt.date(1990, 1, 1))
    b = citizen("王芳", "F", dt.date(1992, 1, 1))
    head = citizen("王建国", "M", dt.date(1960, 1, 1)).person
    make_household(
        head, (a.person, Membership.Relation.SON), (b.person, Membership.Relation.DAUGHTER)
    )
    app = at_counter(reg, a, b)
    assert app.case.state == "review"
    relation = next(c for c in app.checks if c["code"] == "relation")
    assert relation["outcome"] == "refer"
    assert "1048" in relation["reason"] and "王建国" in relation["reason"]
    with pytest.raises(ValidationError):
        register_marriage(
            app, acting_user=reg.registrar, photos_checked=True, declarations_signed=True
        )
    case = refused_with(app, reg, MarriageApplication.Refusal.RELATION)
    assert "1048" in case.outcome_reason


def test_a_review_may_clear_step_siblings_and_registration_goes_on(reg):
    a = citizen("李强", "M", dt.date(1990, 1, 1))
    b = citizen("张丽", "F", dt.date(1992, 1, 1))
    head = citizen("李父", "M", dt.date(1960, 1, 1)).person
    make_household(
        head, (a.person, Membership.Relation.SON), (b.person, Membership.Relation.DAUGHTER)
    )
    app = at_counter(reg, a, b)
    clear_review(
        app,
        acting_user=reg.registrar,
        finding="张丽是继女，与李强无血缘关系（户口簿与出生证明核实）",
    )
    app.refresh_from_db()
    assert app.case.state == "checking"
    relation = next(c for c in app.checks if c["code"] == "relation")
    assert relation["outcome"] == "pass" and "继女" in relation["reason"]
    record = register_marriage(
        app, acting_user=reg.registrar, photos_checked=True, declarations_signed=True
    )
    assert record.status == MarriageRecord.Status.IN_FORCE


def test_two_men_are_refused(reg):
    a = citizen("赵磊", "M", dt.date(1990, 1, 1))
    b = citizen("钱明", "M", dt.date(1991, 1, 1))
    app = at_counter(reg, a, b)
    assert [c["code"] for c in app.checks if c["outcome"] == "fail"] == ["sexes"]
    refused_with(app, reg, MarriageApplication.Refusal.SAME_SEX)


def test_a_deceased_partner_fails_the_identity_check(reg, couple):
    from civilaffairs.people.actions import do_record_death

    a, b = couple
    ap = book(reg, a, b)
    do_record_death(b.person, acting_user=None, date_of_death=dt.date(2026, 3, 1))
    on_the_day(ap)
    app = actions.do_check_in(ap.application, acting_user=reg.registrar)
    failed = [c for c in app.checks if c["outcome"] == "fail"]
    assert [c["code"] for c in failed] == [f"identity-{b.person_id}"]
    refused_with(app, reg, MarriageApplication.Refusal.IDENTITY)


def test_registration_needs_the_photos_and_declarations_confirmed(reg, couple):
    app = at_counter(reg, *couple)
    with pytest.raises(ValidationError) as exc:
        register_marriage(
            app, acting_user=reg.registrar, photos_checked=False, declarations_signed=False
        )
    assert set(exc.value.error_dict) == {"photos_checked", "declarations_signed"}


def test_a_couple_from_another_county_registers_here(reg, couple):
    """No hukou restriction since 2025-05-10: 李娜's hukou is in 西夏区, they register in 兴庆区."""
    a, b = couple
    assert not b.person.hukou_region_id.startswith("640104")
    record = register(reg, a, b)
    assert record.registry == reg.home


def test_another_registry_registrar_cannot_act_on_the_case(reg, couple):
    app = at_counter(reg, *couple)
    with pytest.raises(PermissionDenied):
        register_marriage(
            app, acting_user=reg.other_registrar, photos_checked=True, declarations_signed=True
        )
    # Nor can a caseworker of the same county, who is no registrar.
    with pytest.raises(PermissionDenied):
        refuse(app, acting_user=reg.personas.approver, reason="x", refusal="other")


def test_the_registration_transition_cannot_be_fired_without_the_counter(reg, couple):
    """The generic case page cannot register without the certificate step."""
    from civilaffairs.casework.actions import do_transition

    app = at_counter(reg, *couple)
    with pytest.raises(ValidationError):
        do_transition(app.case, "register", acting_user=reg.registrar)


def test_the_database_refuses_a_second_marriage_in_force(reg, couple):
    a, b = couple
    record = register(reg, a, b)
    c = citizen("孙丽", "F", dt.date(1996, 5, 5))
    with pytest.raises(IntegrityError), transaction.atomic():
        MarriageRecord.objects.create(
            man=a.person,
            woman=c.person,
            registry=record.registry,
            registered_on=record.registered_on,
            man_age=28,
            woman_age=29,
            certificate_number="J640104-2026-999999",
        )


class NationalDatabaseSaysMarried:
    """A stand-in for a real national-database client: it knows a marriage we do not."""

    name = "national"

    def __new__(cls):
        from marriage.adapters import LocalRecords, MarriageInfo

        class Adapter(LocalRecords):
            def current_marriage_of(self, person):
                if person.name == "张伟":
                    return MarriageInfo(
                        spouse_name="某某",
                        registered_on=dt.date(2019, 5, 20),
                        certificate_number="J110105-2019-000321",
                        source="全国婚姻登记信息系统",
                    )
                return super().current_marriage_of(person)

        return Adapter()


def test_the_records_adapter_is_chosen_by_settings(reg, couple):
    with override_settings(
        MARRIAGE_RECORDS_ADAPTER="tests.marriage.test_registration.NationalDatabaseSaysMarried"
    ):
        app = at_counter(reg, *couple)
    failed = [c for c in app.checks if c["outcome"] == "fail"]
    assert len(failed) == 1 and "全国婚姻登记信息系统" in failed[0]["reason"]


def test_the_default_adapter_reads_the_master_record_and_the_marriage_records(settings):
    from marriage.adapters import LocalRecords, get_adapter

    assert settings.MARRIAGE_RECORDS_ADAPTER == "marriage.adapters.LocalRecords"
    assert isinstance(get_adapter(), LocalRecords)


def test_prohibited_relations_from_the_household_codes():
    from marriage.checks import relation_between

    R = Membership.Relation
    prohibited = [
        (R.HEAD, R.DAUGHTER),
        (R.HEAD, R.SIBLING),
        (R.SON, R.DAUGHTER),
        (R.GRANDCHILD, R.GRANDCHILD),  # siblings or first cousins
        (R.SON, R.GRANDCHILD),
        (R.DAUGHTER, R.SIBLING),  # niece and uncle
        (R.PARENT, R.SON),  # grandparent and grandchild
    ]
    for ra, rb in prohibited:
        assert relation_between(ra, rb)[0] == "prohibited", (ra, rb)
        assert relation_between(rb, ra)[0] == "prohibited", (rb, ra)
    for ra, rb in [(R.SPOUSE, R.SON), (R.OTHER_RELATIVE, R.SON)]:
        assert relation_between(ra, rb)[0] == "unclear"
    for ra, rb in [
        (R.HEAD, R.SPOUSE),
        (R.NON_RELATIVE, R.SON),
        (R.GRANDCHILD, R.SIBLING),
        (R.PARENT, R.PARENT),
    ]:
        assert relation_between(ra, rb) is None


def test_marriage_services_keep_records_permanently():
    from civilaffairs.casework.registry import get_service

    for code in ("marriage.registration", "marriage.divorce", "marriage.replacement"):
        assert get_service(code).retention_years is None


def test_a_registry_handles_the_marriage_services(reg):
    assert {"marriage.registration", "marriage.divorce"} <= set(reg.home.office.services)
    assert Region.objects.get(code=reg.home.office.region_id).level == Region.Level.COUNTY


def test_a_couple_is_checked_in_on_their_appointment_day_not_before(reg, couple, fixed_clock):
    """Days before the appointment, even the evening before, the registrar cannot check the
    couple in (nor take the step on the case page); on the day, at any hour, they can."""
    from civilaffairs.casework.actions import do_submit_case

    ap = book(reg, *couple)
    app = MarriageApplication.objects.get(pk=ap.application_id)
    day = ap.slot.date
    fixed_clock.move_to(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(20, 0), SH))
    with pytest.raises(ValidationError) as exc:
        actions.do_check_in(app, acting_user=reg.registrar)
    assert exc.value.messages == [
        f"The appointment is on {day:%Y-%m-%d}: the couple can be checked in on that day, not "
        "before. If they want an earlier day, they change the appointment."
    ]
    app = MarriageApplication.objects.get(pk=app.pk)
    assert app.case.state == "booked" and app.checks == []
    assert app.appointments.get().status == Appointment.Status.CONFIRMED
    # The step itself waits for the day too (a case left submitted by a crash).
    with pytest.raises(ValidationError, match="not before"), transaction.atomic():
        do_submit_case(app.case, acting_user=None)
        do_transition(app.case, "check_in", acting_user=reg.registrar)
    # Nor can the registrar submit the booked application on its own: the screening would
    # then take it on to the checks, past the day rule (found walking the counter the evening
    # before). Submitting is the check-in's, and the pages offer no bare "Submit".
    with pytest.raises(PermissionDenied):
        do_submit_case(app.case, acting_user=reg.registrar)
    app = MarriageApplication.objects.get(pk=app.pk)
    assert app.case.state == "booked"
    from civilaffairs.casework.actions import can_fire

    assert not can_fire(app.case, app.case.workflow.transitions["submit"], reg.registrar)
    fixed_clock.move_to(dt.datetime.combine(day, dt.time(8, 0), SH))  # before the slot's hour
    app = actions.do_check_in(app, acting_user=reg.registrar)
    assert app.case.state == "checking"
    assert app.appointments.get().status == Appointment.Status.ATTENDED

"""Divorce by agreement (Civil Code Art. 1076-1077) with the clock moved: receipt starts 30
calendar days of cooling-off (either party may withdraw), then 30 days to collect the
certificate together, else deemed withdrawn by the daily task. Marital status in the master
record follows the marriage records through marriage, divorce and remarriage."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civilaffairs.casework.models import Case, Notification
from civilaffairs.people.models import Person
from marriage import actions
from marriage.models import (
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
    expected_marital_status,
)
from tests.auth import sign_in
from tests.marriage.conftest import (
    SH,
    book_divorce,
    citizen,
    on_the_day,
    receive_divorce,
    receive_step,
    refuse,
    register,
    register_divorce,
    withdraw,
)

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour=10):
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SH)


@pytest.fixture
def married(reg, couple, fixed_clock):
    a, b = couple
    register(reg, a, b, fixed_clock)
    return a, b


@pytest.fixture
def received(reg, married, fixed_clock):
    """Married on Tuesday 3 March 2026, divorce application received Wednesday 4 March."""
    app = receive_divorce(reg, *married, fixed_clock)
    assert app.received_on == dt.date(2026, 3, 4)
    return app


def refresh(app):
    return MarriageApplication.objects.select_related("case").get(pk=app.pk)


def status(user):
    return Person.objects.get(pk=user.person_id).marital_status


def test_receipt_starts_the_cooling_off_period_with_calendar_days(received):
    app = received
    assert app.case.state == "cooling_off"
    assert app.cooling_off_ends == dt.date(2026, 4, 3)  # day 30, a Friday
    assert app.collection_starts == dt.date(2026, 4, 4)  # day 31
    # Day 60 is Sunday 3 May, inside the May Day holiday (1-5 May): the period ends on the
    # next working day (Civil Code Art. 203).
    assert app.collection_ends == dt.date(2026, 5, 6)
    assert app.case.submitted_at is not None
    assert app.agreement_children and app.agreement_property


def test_the_certificate_is_refused_during_the_cooling_off_period(reg, received, fixed_clock):
    fixed_clock.move_to(at(dt.date(2026, 3, 19)))  # day 15
    with pytest.raises(ValidationError, match="cooling-off period runs until 2026-04-03"):
        register_divorce(received, acting_user=reg.registrar, both_present=True)
    fixed_clock.move_to(at(dt.date(2026, 4, 3)))  # day 30: still cooling off
    with pytest.raises(ValidationError, match="1077"):
        register_divorce(received, acting_user=reg.registrar, both_present=True)
    assert refresh(received).case.state == "cooling_off"


def test_day_31_the_task_opens_collection_and_the_divorce_is_registered(
    reg, married, received, fixed_clock
):
    a, b = married
    assert actions.do_divorce_deadlines(today=dt.date(2026, 4, 3))["opened"] == 0
    fixed_clock.move_to(at(dt.date(2026, 4, 4)))  # day 31
    assert actions.do_divorce_deadlines()["opened"] == 1
    assert actions.do_divorce_deadlines()["opened"] == 0  # idempotent
    app = refresh(received)
    assert app.case.state == "collection"
    record = register_divorce(app, acting_user=reg.registrar, both_present=True)
    assert record.status == MarriageRecord.Status.DIVORCED
    assert record.dissolved_on == dt.date(2026, 4, 4)
    certs = Certificate.objects.filter(record=record, kind=Certificate.Kind.DIVORCE)
    assert certs.count() == 2 and certs.first().number.startswith("L640104-2026-")
    assert status(a) == status(b) == Person.MaritalStatus.DIVORCED
    case = Case.objects.get(pk=app.case_id)
    assert case.state == "registered" and case.archive_on is None


def test_day_60_still_succeeds_even_if_the_task_has_not_run(reg, received, fixed_clock):
    fixed_clock.move_to(at(dt.date(2026, 5, 6)))  # the last day (day 60 moved past the holiday)
    app = refresh(received)
    assert app.case.state == "cooling_off"  # the daily task never ran
    record = register_divorce(app, acting_user=reg.registrar, both_present=True)
    assert record.status == MarriageRecord.Status.DIVORCED


def test_after_the_collection_period_it_is_deemed_withdrawn(reg, married, received, fixed_clock):
    a, b = married
    fixed_clock.move_to(at(dt.date(2026, 4, 4)))
    actions.do_divorce_deadlines()
    fixed_clock.move_to(at(dt.date(2026, 5, 6)))
    assert actions.do_divorce_deadlines()["deemed_withdrawn"] == 0  # the last day is still open
    fixed_clock.move_to(at(dt.date(2026, 5, 7), hour=0))  # day 61 (after the extension)
    with pytest.raises(ValidationError, match="deemed withdrawn"):
        register_divorce(refresh(received), acting_user=reg.registrar, both_present=True)
    done = actions.do_divorce_deadlines()
    assert done["deemed_withdrawn"] == 1
    assert actions.do_divorce_deadlines()["deemed_withdrawn"] == 0  # idempotent
    case = Case.objects.get(pk=received.case_id)
    assert case.state == "deemed_withdrawn" and case.outcome == "withdrawn"
    # The reason is kept on the case in the site's language, and on the timeline in each.
    assert "第一千零七十七条" in case.outcome_reason
    event = case.events.get(transition="deem_withdrawn")
    assert "Civil Code Art. 1077" in event.translations["en"]
    assert "第一千零七十七条" in event.translations["zh-hans"]
    with pytest.raises(ValidationError, match="withdrawn"):
        register_divorce(refresh(received), acting_user=reg.registrar, both_present=True)
    # Still married: the record and the master record agree.
    assert MarriageRecord.objects.get().status == MarriageRecord.Status.IN_FORCE
    assert status(a) == status(b) == Person.MaritalStatus.MARRIED


def test_either_party_may_withdraw_during_the_cooling_off_period(
    reg, married, received, fixed_clock
):
    a, b = married
    fixed_clock.move_to(at(dt.date(2026, 3, 20)))
    withdraw(received, acting_user=b, reason="我们和好了")
    case = Case.objects.get(pk=received.case_id)
    assert case.state == "withdrawn"
    assert case.events.filter(transition="withdraw", actor=b).exists()
    fixed_clock.move_to(at(dt.date(2026, 4, 4)))
    with pytest.raises(ValidationError, match="Withdrawn"):
        register_divorce(refresh(received), acting_user=reg.registrar, both_present=True)
    assert status(a) == Person.MaritalStatus.MARRIED


@pytest.mark.parametrize("who", ["applicant", "partner"])
def test_the_citizen_withdraws_on_the_platforms_withdraw_page(
    client, reg, married, received, fixed_clock, django_capture_on_commit_callbacks, who
):
    """The portal's own "withdraw my application" page works for either party, and the
    other one is told."""
    from django.test import override_settings

    a, b = married
    actor, other = (a, b) if who == "applicant" else (b, a)
    sign_in(client, actor)
    told = Notification.objects.filter(person=other.person, case_id=received.case_id)
    before = told.count()
    with override_settings(ROOT_URLCONF="tests.marriage.urls_for_tests"):
        url = reverse("cases:case-withdraw", args=[received.case_id])
        assert client.get(url).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, {"reason": ""}).status_code == 302
    case = Case.objects.get(pk=received.case_id)
    assert case.state == "withdrawn"
    assert case.events.filter(transition="withdraw", actor=actor).exists()
    assert told.count() == before + 1


def test_withdrawal_at_the_counter_names_the_party(reg, married, received):
    a, b = married
    with pytest.raises(ValidationError):
        withdraw(received, acting_user=reg.registrar, party_id=None)
    withdraw(received, acting_user=reg.registrar, party_id=a.person_id, reason="")
    case = Case.objects.get(pk=received.case_id)
    assert case.state == "withdrawn" and a.person.name in case.outcome_reason
    with pytest.raises(PermissionDenied):
        withdraw(received, acting_user=reg.other_registrar, party_id=a.person_id)


def test_no_withdrawal_after_the_cooling_off_period(reg, married, received, fixed_clock):
    a, b = married
    fixed_clock.move_to(at(dt.date(2026, 4, 4)))  # the task has not run yet
    with pytest.raises(ValidationError, match="can no longer be withdrawn"):
        withdraw(received, acting_user=a)


def test_a_divorce_needs_a_marriage_between_the_two_in_the_records(reg, fixed_clock):
    a = citizen("单身", "M", dt.date(1990, 1, 1))
    with pytest.raises(ValidationError, match="no record of your marriage"):
        book_divorce(reg, a, citizen("某人", "F", dt.date(1990, 1, 1)))


def test_receipt_needs_the_written_agreement(reg, married, fixed_clock):
    ap = book_divorce(reg, *married)
    on_the_day(ap)
    app = actions.do_check_in(ap.application, acting_user=reg.registrar)
    with pytest.raises(ValidationError) as exc:
        receive_step(
            app,
            acting_user=reg.registrar,
            both_present=True,
            agreement_signed=False,
            agreement_children="",
            agreement_property="x",
        )
    assert {"agreement_signed", "agreement_children"} <= set(exc.value.error_dict)
    refuse(
        app,
        acting_user=reg.registrar,
        refusal=MarriageApplication.Refusal.AGREEMENT,
        reason="未提交书面离婚协议",
    )
    assert "1076" in Case.objects.get(pk=app.case_id).outcome_reason


def test_both_are_told_when_collection_opens_and_reminded_before_it_ends(
    reg, married, received, fixed_clock, django_capture_on_commit_callbacks
):
    a, b = married
    fixed_clock.move_to(at(dt.date(2026, 4, 4)))
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_divorce_deadlines()
    for user in (a, b):
        assert Notification.objects.filter(person=user.person, body__contains="2026-05-06").exists()
    fixed_clock.move_to(at(dt.date(2026, 4, 30)))
    assert actions.do_divorce_deadlines()["reminded"] == 1
    assert actions.do_divorce_deadlines()["reminded"] == 0


def test_the_couple_books_the_collection_visit_within_the_period(
    reg, married, received, fixed_clock
):
    from marriage.models import Slot

    a, b = married
    actions.do_generate_slots(reg.home, today=dt.date(2026, 4, 1))
    early = Slot.objects.filter(registry=reg.home, date=dt.date(2026, 4, 2)).first()
    with pytest.raises(ValidationError, match="Choose a day"):
        actions.do_book_collection(received, acting_user=a, slot=early)
    slot = Slot.objects.filter(registry=reg.home, date=dt.date(2026, 4, 7)).first()
    ap = actions.do_book_collection(received, acting_user=a, slot=slot)
    assert ap.purpose == Appointment.Purpose.COLLECT and ap.status == Appointment.Status.PENDING
    actions.do_confirm_appointment(ap, acting_user=b)
    fixed_clock.move_to(at(dt.date(2026, 4, 7), 9))
    actions.do_check_in(refresh(received), acting_user=reg.registrar)
    ap.refresh_from_db()
    assert ap.status == Appointment.Status.ATTENDED
    register_divorce(refresh(received), acting_user=reg.registrar, both_present=True)


def test_marital_status_follows_the_records_through_marriage_divorce_and_remarriage(
    reg, couple, fixed_clock
):
    a, b = couple
    c = citizen("孙丽", "F", dt.date(1996, 5, 5))

    def in_sync(*users):
        for user in users:
            person = Person.objects.get(pk=user.person_id)
            # No record at all: the records know nothing, the master record says unmarried.
            expected = expected_marital_status(person) or Person.MaritalStatus.UNMARRIED
            assert person.marital_status == expected, person.name

    assert expected_marital_status(a.person) is None
    in_sync(a, b, c)
    register(reg, a, b, fixed_clock)
    in_sync(a, b)
    assert status(a) == Person.MaritalStatus.MARRIED

    app = receive_divorce(reg, a, b, fixed_clock)
    in_sync(a, b)  # still married while cooling off
    fixed_clock.move_to(at(app.collection_starts))
    actions.do_divorce_deadlines()
    register_divorce(refresh(app), acting_user=reg.registrar, both_present=True)
    in_sync(a, b)
    assert status(a) == status(b) == Person.MaritalStatus.DIVORCED

    record = register(reg, a, c, fixed_clock)  # remarriage of the husband
    in_sync(a, b, c)
    assert status(a) == status(c) == Person.MaritalStatus.MARRIED
    assert status(b) == Person.MaritalStatus.DIVORCED
    assert record.man == a.person and record.woman == c.person
    history = [
        h.marital_status
        for h in Person.objects.get(pk=a.person_id).history.order_by("history_date", "history_id")
    ]
    assert history[-3:] == ["married", "divorced", "married"]


def test_both_parties_hear_of_a_withdrawal_in_its_own_transaction_and_by_email(
    reg, married, received, django_capture_on_commit_callbacks
):
    """The partner's copy used to be written after the commit (lost if that callback never
    ran) and never e-mailed: now the engine tells both parties with the event."""
    from django.core import mail

    a, b = married
    b.email = "partner@example.cn"
    b.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        withdraw(received, acting_user=reg.registrar, party_id=a.person_id, reason="")
        event = Case.objects.get(pk=received.case_id).events.get(transition="withdraw")
        told = set(Notification.objects.filter(event=event).values_list("person_id", flat=True))
        assert told == {a.person_id, b.person_id}  # before any commit callback ran
    for callback in callbacks:
        callback()
    assert Notification.objects.get(event=event, person=b.person).emailed_at is not None
    assert ["partner@example.cn"] in [m.to for m in mail.outbox]


def test_the_couple_is_not_checked_in_days_before_their_collection_visit(
    reg, married, received, fixed_clock
):
    from marriage.models import Slot

    a, b = married
    actions.do_generate_slots(reg.home, today=dt.date(2026, 4, 1))
    slot = Slot.objects.filter(registry=reg.home, date=dt.date(2026, 4, 9)).first()
    ap = actions.do_book_collection(received, acting_user=a, slot=slot)
    actions.do_confirm_appointment(ap, acting_user=b)
    fixed_clock.move_to(at(dt.date(2026, 4, 7), 9))  # in the period, two days early
    with pytest.raises(ValidationError, match="2026-04-09"):
        actions.do_check_in(refresh(received), acting_user=reg.registrar)
    ap.refresh_from_db()
    assert ap.status == Appointment.Status.CONFIRMED
    fixed_clock.move_to(at(dt.date(2026, 4, 9), 16))
    actions.do_check_in(refresh(received), acting_user=reg.registrar)
    ap.refresh_from_db()
    assert ap.status == Appointment.Status.ATTENDED


MARRIAGE_ONLY = {"under_age", "married", "relation", "same_sex"}
DIVORCE_ONLY = {"agreement", "capacity", "not_mainland", "no_marriage"}


def refusal_options(client, app) -> set[str]:
    html = client.get(reverse("marriage:counter", args=[app.pk])).content.decode()
    select = re.search(r'<select name="t-refuse-refusal".*?</select>', html, re.S).group(0)
    return set(re.findall(r'<option value="([^"]+)"', select))


def test_a_divorce_is_refused_for_divorce_reasons_only(client, reg, married, fixed_clock):
    """The divorce's refusal offers what the law asks of a divorce by agreement (both in
    person and willing, a written agreement, full civil capacity, a marriage registered in the
    mainland and on record), never the grounds that stop a marriage."""
    ap = book_divorce(reg, *married)
    on_the_day(ap)
    app = actions.do_check_in(ap.application, acting_user=reg.registrar)
    sign_in(client, reg.registrar)
    offered = refusal_options(client, app)
    assert DIVORCE_ONLY | {"not_in_person", "not_voluntary", "identity", "other"} == offered
    assert not offered & MARRIAGE_ONLY
    # A marriage reason posted anyway is refused on the form; nothing changes.
    with pytest.raises(ValidationError) as exc:
        refuse(app, acting_user=reg.registrar, refusal="under_age", reason="未满法定婚龄")
    assert "refusal" in exc.value.error_dict
    assert Case.objects.get(pk=app.case_id).state == "checking"
    app = refuse(
        app,
        acting_user=reg.registrar,
        refusal=MarriageApplication.Refusal.CAPACITY,
        reason="一方为限制民事行为能力人，须经诉讼离婚",
    )
    assert app.refusal == "capacity" and app.case.state == "refused"


def test_a_marriage_is_refused_for_marriage_reasons_only(client, reg, couple):
    from tests.marriage.conftest import at_counter

    app = at_counter(reg, *couple)
    sign_in(client, reg.registrar)
    offered = refusal_options(client, app)
    assert MARRIAGE_ONLY | {"not_in_person", "not_voluntary", "identity", "other"} == offered
    assert not offered & DIVORCE_ONLY


def test_after_a_divorce_the_marriage_certificate_is_not_replaced_by_either_path(
    reg, couple, fixed_clock
):
    """A divorce leaves the marriage certificates as they were: the counter refuses to replace
    one, and so does the replacement's "issue" step taken on a submitted case (the step's
    handler checks the record's status itself, not only the counter before it)."""
    from civilaffairs.casework.actions import (
        do_create_case,
        do_route_case,
        do_submit_case,
        do_transition,
    )
    from civilaffairs.lib.history import save_with_history

    a, b = couple
    record = register(reg, a, b, fixed_clock)
    lost = Certificate.objects.filter(record=record, kind=Certificate.Kind.MARRIAGE).first()
    app = receive_divorce(reg, a, b, fixed_clock)
    fixed_clock.move_to(at(dt.date(2026, 4, 4)))
    actions.do_divorce_deadlines()
    app = MarriageApplication.objects.select_related("case").get(pk=app.pk)
    record = register_divorce(app, acting_user=reg.registrar, both_present=True)
    assert record.status == MarriageRecord.Status.DIVORCED
    with pytest.raises(ValidationError, match="current status"):
        actions.do_replace_certificate(lost, acting_user=reg.registrar, registry=reg.home)
    case = do_create_case(
        acting_user=reg.registrar,
        service="marriage.replacement",
        region=reg.home.office.region,
        applicant=lost.holder,
        channel=Case.Channel.COUNTER,
    )
    case = do_route_case(case)
    save_with_history(
        MarriageApplication(
            case=case,
            kind=MarriageApplication.Kind.REPLACEMENT,
            registry=reg.home,
            record=record,
            holder=lost.holder,
        ),
        reg.registrar,
    )
    do_submit_case(case, acting_user=reg.registrar)
    with pytest.raises(ValidationError, match="current status"):
        do_transition(case, "issue", acting_user=reg.registrar, values={"certificate": lost.pk})
    lost.refresh_from_db()
    assert lost.voided_on is None and not Certificate.objects.filter(replaces=lost).exists()
    assert Case.objects.get(pk=case.pk).state == "submitted"

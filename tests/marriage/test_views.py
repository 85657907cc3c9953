"""The marriage pages: the citizen books, confirms and follows; the registrar works the counter.
Every staff URL answers 404 to another registry's registrar and 403 to non-registrars; lists
keep a fixed number of queries; ID numbers are masked."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.models import Case
from civilaffairs.people.models import Person
from marriage import actions
from marriage.models import Appointment, Certificate, MarriageApplication, MarriageRecord, Slot
from tests.auth import sign_in
from tests.marriage.conftest import (
    at_counter,
    book,
    citizen,
    next_slot,
    on_the_day,
    refuse,
    register,
    register_marriage,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.marriage.urls_for_tests")]


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def lookup_on(html: str) -> str:
    """The replacement page's proof that the person was looked up by ID number."""
    return re.search(r'name="lookup" value="([^"]+)"', html).group(1)


# ----------------------------------------------------------------------------- citizens


def test_a_citizen_books_step_by_step_and_the_partner_confirms(client, reg, couple):
    a, b = couple
    sign_in(client, a)
    url = reverse("marriage:book-registration")
    html = page(client.get(url))
    assert reg.home.name in html and reg.other.name in html  # any registry in the country
    html = page(client.get(url, {"registry": reg.home.pk}))
    slot = next_slot(reg.home)
    day_link = f"date={slot.date:%Y-%m-%d}"
    assert day_link in html
    query = {"registry": reg.home.pk, "date": f"{slot.date:%Y-%m-%d}"}
    html = page(client.get(url, query))
    assert "09:00" in html
    response = client.post(
        f"{url}?registry={reg.home.pk}&date={slot.date:%Y-%m-%d}",
        {
            "slot": slot.pk,
            "partner_name": b.person.name,
            "partner_id_number": b.person.id_number,
            "declaration": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("marriage:my")
    ap = Appointment.objects.get()
    assert ap.status == "pending"

    sign_in(client, b)
    html = page(client.get(reverse("marriage:my")))
    confirm = reverse("marriage:appointment-confirm", args=[ap.pk])
    assert confirm in html
    assert page(client.get(confirm))
    assert client.post(confirm, {}).status_code == 400  # the declaration must be ticked
    assert client.post(confirm, {"declaration": "on"}).status_code == 302
    ap.refresh_from_db()
    assert ap.status == "confirmed"
    html = page(client.get(reverse("marriage:my")))
    assert confirm not in html and slot.label() in html


def test_a_booking_with_a_wrong_partner_is_shown_next_to_the_form(client, reg, couple):
    a, b = couple
    sign_in(client, a)
    slot = next_slot(reg.home)
    response = client.post(
        reverse("marriage:book-registration")
        + f"?registry={reg.home.pk}&date={slot.date:%Y-%m-%d}",
        {
            "slot": slot.pk,
            "partner_name": "王五",
            "partner_id_number": b.person.id_number,
            "declaration": "on",
        },
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_the_citizen_changes_and_cancels_the_appointment(client, reg, couple):
    a, b = couple
    ap = book(reg, a, b)
    sign_in(client, b)
    new_slot = next_slot(reg.home, skip=4)
    url = reverse("marriage:appointment-change", args=[ap.pk])
    response = client.post(url + f"?date={new_slot.date:%Y-%m-%d}", {"slot": new_slot.pk})
    assert response.status_code == 302
    new = Appointment.objects.get(status="pending")
    assert new.slot == new_slot
    cancel = reverse("marriage:appointment-cancel", args=[new.pk])
    assert page(client.get(cancel))
    assert client.post(cancel, {"reason": ""}).status_code == 302
    assert Case.objects.get(pk=ap.application.case_id).state == "withdrawn"


def test_another_citizen_cannot_open_my_appointment_or_letter(client, reg, couple):
    ap = book(reg, *couple)
    sign_in(client, citizen("路人", "M", dt.date(1980, 1, 1)))
    for name in (
        "marriage:appointment-confirm",
        "marriage:appointment-change",
        "marriage:appointment-cancel",
    ):
        assert client.get(reverse(name, args=[ap.pk])).status_code == 404
    for name in ("marriage:refusal-letter", "marriage:book-collection"):
        assert client.get(reverse(name, args=[ap.application_id])).status_code == 404


def test_my_page_shows_status_records_and_the_cooling_off_countdown(
    client, reg, couple, fixed_clock
):
    from tests.marriage.conftest import receive_divorce

    a, b = couple
    record = register(reg, a, b, fixed_clock)
    app = receive_divorce(reg, a, b, fixed_clock)
    sign_in(client, b)
    html = page(client.get(reverse("marriage:my")))
    assert record.certificate_number in html
    assert "张伟" in html
    assert app.cooling_off_ends.isoformat() in html and app.collection_ends.isoformat() in html
    assert reverse("cases:case-withdraw", args=[app.case_id]) in html
    # The platform's case page shows the countdown too (the domain's partial).
    html = page(client.get(reverse("cases:case-detail", args=[app.case_id])))
    assert app.cooling_off_ends.isoformat() in html


def test_the_refused_couple_reads_the_refusal_letter(client, reg):
    a = citizen("刘洋", "M", dt.date(2004, 12, 1))
    b = citizen("陈静", "F", dt.date(2003, 1, 1))
    app = refuse(at_counter(reg, a, b), acting_user=reg.registrar)
    sign_in(client, b)
    html = page(client.get(reverse("marriage:refusal-letter", args=[app.pk])))
    assert "1047" in html and reg.home.name in html and "60" in html


def test_my_page_keeps_a_fixed_number_of_queries(client, reg, couple):
    a, b = couple
    on_the_day(book(reg, a, b))  # (the clock first: a move ends the session)
    sign_in(client, a)
    with CaptureQueriesContext(connection) as one:
        page(client.get(reverse("marriage:my")))
    register_app = MarriageApplication.objects.get()
    actions.do_check_in(register_app, acting_user=reg.registrar)
    register_marriage(
        register_app, acting_user=reg.registrar, photos_checked=True, declarations_signed=True
    )
    c = citizen("孙丽", "F", dt.date(1996, 5, 5))
    for i in range(3):
        other = citizen(f"女{i}", "F", dt.date(1995, 1, 1 + i))
        ap = book(
            reg,
            c if i == 0 else other,
            citizen(f"男{i}", "M", dt.date(1990, 1, 1 + i)),
            slot=next_slot(reg.home, skip=i + 1),
        )
    with CaptureQueriesContext(connection) as more:
        page(client.get(reverse("marriage:my")))
    assert len(more) <= len(one) + 1, [q["sql"] for q in more.captured_queries]
    assert ap  # made


# ----------------------------------------------------------------------------- staff


@pytest.fixture
def registered(reg, couple):
    record = register(reg, *couple)
    app = MarriageApplication.objects.get(record=record)
    return app, Certificate.objects.filter(record=record).first()


STAFF_PK_URLS = [
    ("marriage:counter", "get", "app"),
    ("marriage:counter-check-in", "post", "app"),
    ("marriage:staff-refusal-letter", "get", "app"),
    ("marriage:certificate", "get", "cert"),
]


@pytest.mark.parametrize("name,method,target", STAFF_PK_URLS)
def test_another_registrys_registrar_gets_404_on_every_staff_url(
    client, reg, registered, name, method, target
):
    app, cert = registered
    pk = app.pk if target == "app" else cert.pk
    url = reverse(name, args=[pk])
    sign_in(client, reg.other_registrar)
    assert getattr(client, method)(url).status_code == 404
    # Not a registrar: 403. A citizen: 403.
    for user in (reg.personas.approver, reg.personas.caseworker, reg.personas.citizen):
        sign_in(client, user)
        assert getattr(client, method)(url).status_code == 403
    # The home registrar is let in: the page, or the action's answer (done, or refused for
    # the case's state); the refusal letter exists only for a refused case.
    sign_in(client, reg.registrar)
    expected = {404} if name == "marriage:staff-refusal-letter" else {200, 302, 400}
    assert getattr(client, method)(url).status_code in expected


@pytest.mark.parametrize("step", ["register", "refuse", "clear", "withdraw", "receive"])
def test_the_counter_steps_are_closed_to_everyone_but_the_registry(client, reg, couple, step):
    """The steps are posted to the platform's one transition URL; only the application's
    registry sees the case there, so everyone else is answered as if it did not exist."""
    app = at_counter(reg, *couple)
    url = reverse("casework:case-transition", args=[app.case_id, step])
    for user in (reg.other_registrar, reg.personas.approver, reg.personas.caseworker):
        sign_in(client, user)
        assert client.post(url).status_code == 404, user
    sign_in(client, reg.personas.citizen)
    assert client.post(url).status_code == 403
    assert Case.objects.get(pk=app.case_id).state == "checking"


def test_another_registrar_cannot_open_the_case_on_the_platforms_pages(client, reg, registered):
    app, _cert = registered
    sign_in(client, reg.other_registrar)
    assert client.get(reverse("casework:case-detail", args=[app.case_id])).status_code == 404
    sign_in(client, reg.registrar)
    html = page(client.get(reverse("casework:case-detail", args=[app.case_id])))
    assert reverse("marriage:counter", args=[app.pk]) in html  # the domain's block


def test_other_staff_of_the_county_do_not_read_a_couples_case(client, reg, registered):
    """Region and level alone let the county's assistance approver open a marriage case;
    the marriage services narrow it to registrars and supervisors (Service.staff_scope)."""
    app, _cert = registered
    url = reverse("casework:case-detail", args=[app.case_id])
    for user in (reg.personas.approver, reg.personas.caseworker):
        sign_in(client, user)
        assert client.get(url).status_code == 404
        assert not Case.objects.visible_to(user).filter(pk=app.case_id).exists()
    for user in (reg.registrar, reg.personas.supervisor):
        sign_in(client, user)
        assert client.get(url).status_code == 200, user


def test_staff_lists_show_only_the_registrars_own_registry(client, reg, couple):
    ap = book(reg, *couple)
    day = {"date": f"{ap.slot.date:%Y-%m-%d}"}
    sign_in(client, reg.other_registrar)
    html = page(client.get(reverse("marriage:staff-appointments"), day))
    assert ap.application.case.reference not in html
    sign_in(client, reg.registrar)
    html = page(client.get(reverse("marriage:staff-appointments"), day))
    assert ap.application.case.reference in html
    for user in (reg.personas.approver, reg.personas.citizen):
        sign_in(client, user)
        assert client.get(reverse("marriage:staff-appointments")).status_code == 403
        assert client.get(reverse("marriage:replacement")).status_code == 403


def test_the_day_list_masks_id_numbers_and_keeps_a_fixed_number_of_queries(client, reg, couple):
    a, b = couple
    slot = next_slot(reg.home)
    book(reg, a, b, slot=slot)
    sign_in(client, reg.registrar)
    url = reverse("marriage:staff-appointments")
    with CaptureQueriesContext(connection) as one:
        html = page(client.get(url, {"date": f"{slot.date:%Y-%m-%d}"}))
    assert a.person.id_number not in html and a.person.masked_id_number in html
    for i in range(4):
        book(
            reg,
            citizen(f"男{i}", "M", dt.date(1990, 1, 1 + i)),
            citizen(f"女{i}", "F", dt.date(1991, 1, 1 + i)),
            slot=next_slot(reg.home, skip=1 + i),
        )
    with CaptureQueriesContext(connection) as five:
        page(client.get(url, {"date": f"{slot.date:%Y-%m-%d}"}))
    assert len(five) == len(one)


def test_the_registrar_checks_in_registers_and_prints_through_the_pages(client, reg, couple):
    a, b = couple
    ap = book(reg, a, b)
    sign_in(client, reg.registrar)
    counter = reverse("marriage:counter", args=[ap.application_id])
    check_in = reverse("marriage:counter-check-in", args=[ap.application_id])
    # Days before the appointment the counter says from when, and a check-in is refused.
    html = page(client.get(counter))
    assert check_in not in html
    assert f"预约日期为{ap.slot.date:%Y-%m-%d}" in html
    response = client.post(check_in, follow=True)
    assert f"预约日期为{ap.slot.date:%Y-%m-%d}" in page(response)
    assert Case.objects.get(pk=ap.application.case_id).state == "booked"
    on_the_day(ap)
    sign_in(client, reg.registrar)  # a new day, a new session
    html = page(client.get(counter))
    assert check_in in html
    # The parties' ages are what the counter checks; their birth dates are not shown.
    assert f"{a.person.birth_date:%Y-%m-%d}" not in html and f"{a.person.age}岁" in html
    assert (
        client.post(reverse("marriage:counter-check-in", args=[ap.application_id])).status_code
        == 302
    )
    html = page(client.get(counter))
    assert "text-bg-danger" not in html and "张伟" in html  # no failed check
    case_id = Appointment.objects.get(pk=ap.pk).application.case_id
    register = reverse("casework:case-transition", args=[case_id, "register"])
    assert register in html  # the step's form is on the counter page
    response = client.post(register, {"next": counter})
    assert response.status_code == 400  # the confirmations are required
    assert "请核对双方本人与身份证照片是否一致。" in response.content.decode()
    response = client.post(
        register,
        {
            "t-register-photos_checked": "on",
            "t-register-declarations_signed": "on",
            "next": counter,
        },
    )
    assert response.status_code == 302 and response["Location"] == counter
    cert = Certificate.objects.filter(holder=a.person).get()
    html = page(client.get(counter))
    assert reverse("marriage:certificate", args=[cert.pk]) in html
    html = page(client.get(reverse("marriage:certificate", args=[cert.pk])))
    assert cert.number in html and "marriage/print.css" in html


def test_the_printed_certificate_carries_both_full_id_numbers_and_each_print_is_one_reveal(
    client, reg, registered
):
    """A certificate is a legal document: the registrar of the registry that issued it prints
    it with both parties' full ID numbers and birth dates (no extra permission: printing is the
    registrar's work), and each print is one entry of the access log naming the registrar, the
    case and why."""
    app, cert = registered
    url = reverse("marriage:certificate", args=[cert.pk])
    assert not reg.registrar.has_perm("accounts.reveal_id_number")
    sign_in(client, reg.registrar)
    for prints in (1, 2):
        html = page(client.get(url))
        for person in (cert.record.man, cert.record.woman):
            assert person.id_number in html
            assert f"{person.birth_date:%Y-%m-%d}" in html
            assert person.masked_id_number not in html
        logged = AccessLog.objects.filter(action=AccessLog.Action.REVEAL_ID)
        assert logged.count() == prints
    entry = logged.first()
    assert entry.user == reg.registrar
    assert (entry.content_type.model, entry.object_id) == ("case", str(app.case_id))
    assert cert.number in entry.detail and "printed" in entry.detail


def test_nobody_else_gets_the_certificate_masked_or_whole_and_nothing_is_logged(
    client, reg, registered
):
    """Another registry's registrar is answered as if the certificate did not exist (404, as
    every row outside one's registries), every other role 403 (as every registrar page), even
    one who may reveal ID numbers elsewhere: never a masked copy of a legal document."""
    _app, cert = registered
    url = reverse("marriage:certificate", args=[cert.pk])
    revealer = reg.personas.caseworker
    revealer.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    answers = {
        reg.other_registrar: 404,
        revealer: 403,
        reg.personas.approver: 403,
        reg.personas.citizen: 403,
    }
    for user, status in answers.items():
        sign_in(client, user)
        response = client.get(url)
        assert response.status_code == status, user
        assert cert.record.man.id_number not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_a_refusal_through_the_counter_page_and_its_letter(client, reg):
    a = citizen("刘洋", "M", dt.date(2004, 12, 1))
    b = citizen("陈静", "F", dt.date(2003, 1, 1))
    app = at_counter(reg, a, b)
    sign_in(client, reg.registrar)
    html = page(client.get(reverse("marriage:counter", args=[app.pk])))
    assert "第一千零四十七条" in html  # the failed check and its reason, in the reader's language
    response = client.post(
        reverse("casework:case-transition", args=[app.case_id, "refuse"]),
        {"t-refuse-refusal": "under_age", "t-refuse-reason": ""},
    )
    assert response.status_code == 302
    html = page(client.get(reverse("marriage:staff-refusal-letter", args=[app.pk])))
    assert "第一千零四十七条" in html and "21" in html


def test_divorce_at_the_counter_pages(client, reg, couple, fixed_clock):
    from tests.marriage.conftest import book_divorce

    a, b = couple
    register(reg, a, b, fixed_clock)
    ap = book_divorce(reg, a, b)
    on_the_day(ap)
    sign_in(client, reg.registrar)
    pk = ap.application_id
    client.post(reverse("marriage:counter-check-in", args=[pk]))
    case_id = MarriageApplication.objects.get(pk=pk).case_id
    counter = reverse("marriage:counter", args=[pk])

    def step(name, data):
        url = reverse("casework:case-transition", args=[case_id, name])
        return client.post(url, {"next": counter, **{f"t-{name}-{k}": v for k, v in data.items()}})

    response = step(
        "receive",
        {
            "both_present": "on",
            "agreement_signed": "on",
            "agreement_children": "无子女",
            "agreement_property": "房产归女方",
        },
    )
    assert response.status_code == 302 and response["Location"] == counter
    app = MarriageApplication.objects.get(pk=pk)
    assert app.case.state == "cooling_off"
    html = page(client.get(reverse("marriage:counter", args=[pk])))
    assert app.cooling_off_ends.isoformat() in html
    # Too early: refused with the reason, back on the counter page; nothing changes.
    response = step("register", {"both_present": "on"})
    assert response.status_code == 302 and response["Location"] == counter
    assert app.collection_starts.isoformat() in page(client.get(counter))  # from when
    assert Case.objects.get(pk=app.case_id).state == "cooling_off"
    response = step("withdraw", {"party": b.person_id, "reason": "反悔"})
    assert response.status_code == 302
    assert Case.objects.get(pk=app.case_id).state == "withdrawn"


def test_a_lost_certificate_is_replaced_at_the_counter(client, reg, registered):
    app, _ = registered
    person = app.party_b
    cert = Certificate.objects.get(holder=person)
    sign_in(client, reg.registrar)
    html = page(client.get(reverse("marriage:replacement"), {"id_number": person.id_number}))
    assert cert.number in html
    response = client.post(
        reverse("marriage:replacement"),
        {
            "lookup": lookup_on(html),
            "certificate": cert.pk,
            "registry": reg.home.pk,
            "reason": "搬家遗失",
        },
    )
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.voided_on is not None
    new = cert.replaced_by
    assert new.kind == Certificate.Kind.MARRIAGE_REPLACEMENT and new.number.startswith(
        "BJ640104-2026-"
    )
    case = Case.objects.get(marriage__holder=person)
    assert case.service == "marriage.replacement" and case.state == "issued"
    assert case.archive_on is None
    # The step's handler wrote the timeline entry, in each language of the site.
    event = case.events.get(transition="issue")
    assert event.data["certificate"] == new.number and event.data["replaces"] == cert.number
    assert event.translations["en"] == (
        f"A replacement certificate {new.number} was issued; "
        f"the lost certificate {cert.number} is void."
    )
    assert new.number in event.translations["zh-hans"]
    assert "replacement" not in event.translations["zh-hans"]
    assert cert.history.first().history_change_reason == "lost; replaced. 搬家遗失"
    html = page(client.get(reverse("marriage:certificate", args=[new.pk])))
    assert cert.number in html  # "replacement for ..."


def test_the_other_registrar_replaces_at_their_own_registry(client, reg, registered):
    """Replacement may be asked at any registry (the person is at the counter with their ID
    card); it is issued by the registrar's own registry, never by another one."""
    app, _ = registered
    cert = Certificate.objects.get(holder=app.party_a)
    sign_in(client, reg.other_registrar)
    html = page(client.get(reverse("marriage:replacement"), {"id_number": app.party_a.id_number}))
    response = client.post(
        reverse("marriage:replacement"),
        {"lookup": lookup_on(html), "certificate": cert.pk, "registry": reg.home.pk},
    )
    assert response.status_code == 302
    new = Certificate.objects.get(replaces=cert)
    assert new.registry == reg.other and new.number.startswith("BJ640105-")


def test_statistics_per_registry_month_and_age_band(client, reg, couple, fixed_clock):
    a, b = couple  # 28 and 25
    register(reg, a, b, fixed_clock)
    c, d = citizen("王强", "M", dt.date(1980, 2, 2)), citizen("赵敏", "F", dt.date(1992, 3, 3))
    register(reg, c, d, fixed_clock)  # 46 and 33
    rows = list(MarriageRecord.objects.statistics())
    assert len(rows) == 1
    row = rows[0]
    assert row["registry_id"] == reg.home.pk and row["month"] == dt.date(2026, 3, 1)
    assert row["marriages"] == 2
    assert row["men_25-29"] == 1 and row["men_40-49"] == 1
    assert row["women_25-29"] == 1 and row["women_30-34"] == 1
    sign_in(client, reg.registrar)
    url = reverse("marriage:statistics")
    with CaptureQueriesContext(connection) as queries:
        html = page(client.get(url))
    assert "2026-03" in html and reg.home.name in html
    assert len(queries) <= 12
    sign_in(client, reg.other_registrar)
    assert reg.home.name not in page(client.get(url))
    # A city supervisor sees every registry of the city.
    sign_in(client, reg.personas.supervisor)
    assert reg.home.name in page(client.get(url))
    sign_in(client, reg.personas.citizen)
    assert client.get(url).status_code == 403


def test_the_catalogue_offers_marriage_booking(client, reg):
    html = page(client.get(reverse("portal:home")))
    assert reverse("marriage:book-registration") in html
    assert reverse("marriage:book-divorce") in html


def test_the_booking_page_lists_only_days_with_free_places(client, reg, couple):
    slot = next_slot(reg.home)
    Slot.objects.filter(registry=reg.home, date=slot.date).update(capacity=0)
    sign_in(client, couple[0])
    html = page(client.get(reverse("marriage:book-registration"), {"registry": reg.home.pk}))
    assert f"date={slot.date:%Y-%m-%d}" not in html


def test_master_record_marital_status_shows_on_the_counter(client, reg, couple):
    app = at_counter(reg, *couple)
    sign_in(client, reg.registrar)
    html = page(client.get(reverse("marriage:counter", args=[app.pk])))
    assert str(Person.MaritalStatus.UNMARRIED.label) in html or "未婚" in html


def test_the_admin_lists_registries_and_read_only_records(client, reg, registered):
    sign_in(client, reg.personas.admin)
    for model in (
        "registrationoffice",
        "slot",
        "marriagerecord",
        "certificate",
        "marriageapplication",
        "appointment",
    ):
        assert client.get(reverse(f"admin:marriage_{model}_changelist")).status_code == 200
    app, cert = registered
    assert (
        client.get(
            reverse("admin:marriage_marriagerecord_change", args=[app.record_id])
        ).status_code
        == 200
    )
    assert (
        client.get(
            reverse("admin:marriage_registrationoffice_change", args=[reg.home.pk])
        ).status_code
        == 200
    )


def test_the_legal_checks_and_the_partners_message_are_read_in_the_readers_language(
    client, reg, couple
):
    """The checks run in the registrar's language of the moment; the counter shows them in
    the reader's (issue #16, item 13); the partner's request to confirm is kept in both."""
    from django.conf import settings

    from civilaffairs.casework.models import Notification

    a, b = couple
    app = at_counter(reg, a, b)  # the checks ran in English (the module's language)
    identity = next(c for c in app.checks if c["code"] == f"identity-{a.person.pk}")
    assert identity["texts"]["zh-hans"]["label"] == "张伟身份核验"
    assert identity["texts"]["en"]["label"] == "Identity of 张伟"
    sign_in(client, reg.registrar)
    counter = reverse("marriage:counter", args=[app.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = page(client.get(counter))
    assert "张伟身份核验" in html and "Identity of" not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page(client.get(counter))
    assert "Identity of 张伟" in html and "张伟身份核验" not in html
    ask = Notification.objects.get(person=b.person, case=app.case, event__isnull=True)
    assert ask.translations["zh-hans"]["title"].startswith("张伟")
    assert "please confirm" in ask.translations["en"]["title"]

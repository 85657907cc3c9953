"""Marriage registration in a real browser (Debian's Chromium): a couple books a time, the
partner confirms, the registrar checks them in and registers them, and the certificate page
renders (on screen and for print). The citizen pages pass axe-core with no serious or
critical violation.

The clock moves only forward here (to an appointment's day, for the couple is checked in on
that day and not before): the live server sets session cookies the browser must accept.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from civilaffairs.accounts.forms import LoginForm
from civilaffairs.accounts.models import StaffRole
from civilaffairs.people.models import Region
from marriage import actions
from marriage.forms import RegistrationBookingForm
from marriage.models import Appointment, Certificate, MarriageRecord
from tests.auth import pass_second_factor
from tests.conftest import ensure_holidays, ensure_regions
from tests.factories import PASSWORD, PersonFactory, UserFactory, office_for, staff
from tests.marriage.conftest import SH, receive_step, refuse, register_marriage

from .conftest import label_of, label_pattern, t
from .test_portal import describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.marriage.urls_for_tests")]

HOURS = [(d, dt.time(9, 0), dt.time(12, 0)) for d in range(5)]


@pytest.fixture
def world(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_regions()
    ensure_holidays()
    registry = actions.do_setup_registry(
        office_for("640104"), acting_user=None, name="兴庆区婚姻登记处", periods=HOURS
    )
    actions.do_generate_slots(registry)
    man = UserFactory(
        username="13900000011",
        person=PersonFactory(name="张伟", sex="M", birth_date=dt.date(1996, 1, 15)),
    )
    woman = UserFactory(
        username="13900000012",
        person=PersonFactory(
            name="李娜",
            sex="F",
            birth_date=dt.date(1998, 6, 1),
            hukou_region=Region.objects.get(code="640105001002"),
        ),
    )
    registrar = staff("registrar", "640104", StaffRole.Role.REGISTRAR)
    return {"registry": registry, "man": man, "woman": woman, "registrar": registrar}


def log_in(browser, live_server, username):
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    ctx.set_default_timeout(15_000)
    pg = ctx.new_page()
    pg.goto(reverse("accounts:login"))
    pg.get_by_label(label_pattern(label_of(LoginForm, "username"))).fill(username)
    pg.get_by_label(label_pattern(label_of(LoginForm, "password"))).fill(PASSWORD)
    with pg.expect_navigation():
        pg.locator("main").get_by_role("button", name=t("Log in"), exact=True).click()
    pass_second_factor(pg, username)
    return pg


def assert_accessible(pg, where):
    violations = run_axe(pg)
    assert not violations, f"axe on {where} ({pg.url}):\n{describe(violations)}"


def test_a_couple_books_the_registrar_registers_them_and_the_certificate_renders(
    world, browser, live_server, request
):
    man, woman = world["man"], world["woman"]

    # 1. 张伟 books a time at 兴庆区 and names 李娜.
    pg = log_in(browser, live_server, man.username)
    pg.goto(reverse("marriage:my"))
    expect(pg.locator("h1")).to_have_text(t("My marriage registration"))
    assert_accessible(pg, "my marriage page")
    pg.get_by_role("link", name=t("Book a marriage registration")).click()
    assert_accessible(pg, "booking: registries")
    pg.locator("main table a.btn").first.click()
    assert_accessible(pg, "booking: days")
    pg.locator("main .day-list a").first.click()
    assert_accessible(pg, "booking: times")
    pg.locator("main input[type=radio][name=slot]").first.check()
    pg.get_by_label(label_pattern(label_of(RegistrationBookingForm, "partner_name"))).fill("李娜")
    pg.get_by_label(label_pattern(label_of(RegistrationBookingForm, "partner_id_number"))).fill(
        woman.person.id_number
    )
    pg.locator("main input[name=declaration]").check()
    with pg.expect_navigation():
        pg.locator("main").get_by_role("button", name=t("Book this time")).click()
    expect(pg.locator("main .alert-success")).to_be_visible()
    appointment = Appointment.objects.get()
    expect(pg.locator("main")).to_contain_text(appointment.slot.label())
    pg.context.close()

    # 2. 李娜 confirms and signs the declaration.
    pg = log_in(browser, live_server, woman.username)
    pg.goto(reverse("marriage:my"))
    pg.get_by_role("link", name=t("Confirm"), exact=True).click()
    assert_accessible(pg, "confirm page")
    pg.locator("main input[name=declaration]").check()
    with pg.expect_navigation():
        pg.locator("main").get_by_role("button", name=t("Confirm the appointment")).click()
    expect(pg.locator("main .alert-success")).to_be_visible()
    assert_accessible(pg, "my marriage page after confirming")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    pg.context.close()

    # 3. Days before, the registrar's counter says when the couple can be checked in; on the
    # day the registrar opens the day's list, checks them in and registers them.
    reference = appointment.application.case.reference
    counter = reverse("marriage:counter", args=[appointment.application_id])
    pg = log_in(browser, live_server, "registrar")
    pg.goto(counter)
    expect(pg.locator("main .check-in-later")).to_contain_text(f"{appointment.slot.date:%Y-%m-%d}")
    expect(pg.get_by_role("button", name=t("Check in and run the checks"))).to_have_count(0)
    pg.context.close()
    clock = time_machine.travel(
        dt.datetime.combine(appointment.slot.date, appointment.slot.start, tzinfo=SH), tick=True
    )
    clock.start()
    request.addfinalizer(clock.stop)
    pg = log_in(browser, live_server, "registrar")
    pg.goto(reverse("marriage:staff-appointments") + f"?date={appointment.slot.date:%Y-%m-%d}")
    pg.get_by_role("link", name=reference).click()
    with pg.expect_navigation():
        pg.get_by_role("button", name=t("Check in and run the checks")).click()
    checks = pg.locator("main table.checks-table tbody tr")
    expect(checks).to_have_count(8)
    expect(pg.locator("main .checks-table .text-bg-danger")).to_have_count(0)
    # The step's form is on the counter page; it is posted to the case's transition URL and
    # comes back here.
    pg.locator("main input[name=t-register-photos_checked]").check()
    pg.locator("main input[name=t-register-declarations_signed]").check()
    with pg.expect_navigation():
        pg.get_by_role("button", name=t("Register the marriage"), exact=True).click()
    expect(pg).to_have_url(
        re.compile(reverse("marriage:counter", args=[appointment.application_id]) + "$")
    )
    expect(pg.locator("main .alert-success")).to_be_visible()
    record = MarriageRecord.objects.get()
    cert = Certificate.objects.get(holder=woman.person)
    pg.locator(f"a[href='{reverse('marriage:certificate', args=[cert.pk])}']").click()

    # 4. The certificate page renders, and prints without the site around it.
    expect(pg.locator("main h1")).to_have_text(t("Marriage certificate"))
    expect(pg.locator(".certificate__number")).to_have_text(record.certificate_number)
    expect(pg.locator(".certificate")).to_contain_text("张伟")
    expect(pg.locator(".certificate")).to_contain_text("李娜")
    # A legal document: both full ID numbers, for the registrar who prints it.
    expect(pg.locator(".certificate")).to_contain_text(woman.person.id_number)
    expect(pg.locator(".certificate")).to_contain_text(man.person.id_number)
    pg.emulate_media(media="print")
    expect(pg.locator(".site-header")).to_be_hidden()
    expect(pg.locator(".certificate")).to_be_visible()
    pg.context.close()

    # The master record changed with the registration.
    man.person.refresh_from_db()
    woman.person.refresh_from_db()
    assert man.person.marital_status == woman.person.marital_status == "married"


def test_the_refusal_letter_and_the_divorce_countdown_pass_axe(
    world, browser, live_server, request
):
    """The citizen pages of a refused registration and of a divorce in its cooling-off."""
    man, woman = world["man"], world["woman"]
    registry, registrar = world["registry"], world["registrar"]
    from marriage.models import MarriageApplication, Slot

    slots = list(Slot.objects.filter(registry=registry).order_by("date", "start")[:2])
    # The couples are checked in on their appointments' day: the clock goes there (forward).
    clock = time_machine.travel(
        dt.datetime.combine(slots[1].date, slots[1].start, tzinfo=SH), tick=True
    )
    # A young man refused for his age, to read the letter.
    young = UserFactory(
        username="13900000013",
        # 19 or 20 whatever the day (the clock moves a few days on): under the men's 22.
        person=PersonFactory(
            name="刘洋", sex="M", birth_date=dt.date(dt.date.today().year - 20, 6, 1)
        ),
    )
    other = UserFactory(
        username="13900000014",
        person=PersonFactory(name="陈静", sex="F", birth_date=dt.date(1999, 1, 1)),
    )
    ap = actions.do_book_registration(
        acting_user=young,
        registry=registry,
        slot=slots[0],
        partner_name="陈静",
        partner_id_number=other.person.id_number,
        declaration=True,
    )
    young_app = ap.application
    # 张伟 and 李娜 married, then filed a divorce.
    ap = actions.do_book_registration(
        acting_user=man,
        registry=registry,
        slot=slots[1],
        partner_name="李娜",
        partner_id_number=woman.person.id_number,
        declaration=True,
    )
    traveller = clock.start()
    request.addfinalizer(clock.stop)
    app = actions.do_check_in(young_app, acting_user=registrar)
    refuse(app, acting_user=registrar)
    app = actions.do_check_in(ap.application, acting_user=registrar)
    register_marriage(app, acting_user=registrar, photos_checked=True, declarations_signed=True)
    actions.do_generate_slots(registry)  # the daily task, on the new day
    later = Slot.objects.filter(registry=registry, date__gt=slots[1].date).order_by("date").first()
    ap = actions.do_book_divorce(acting_user=woman, registry=registry, slot=later)
    traveller.move_to(dt.datetime.combine(later.date, later.start, tzinfo=SH))
    app = actions.do_check_in(ap.application, acting_user=registrar)
    receive_step(
        app,
        acting_user=registrar,
        both_present=True,
        agreement_signed=True,
        agreement_children="无子女",
        agreement_property="各自所有",
    )
    refused = MarriageApplication.objects.get(case__state="refused")

    pg = log_in(browser, live_server, young.username)
    pg.goto(reverse("marriage:refusal-letter", args=[refused.pk]))
    expect(pg.locator("main .letter")).to_contain_text("刘洋")
    expect(pg.locator("main .letter__reason")).to_be_visible()  # the legal reason
    assert_accessible(pg, "refusal letter")
    pg.goto(reverse("cases:case-detail", args=[refused.case_id]))
    assert_accessible(pg, "refused case page")
    pg.context.close()

    pg = log_in(browser, live_server, man.username)
    pg.goto(reverse("marriage:my"))
    expect(pg.locator("main .countdown").first).to_be_visible()
    assert_accessible(pg, "my page in cooling-off")
    pg.goto(reverse("cases:case-detail", args=[app.case_id]))
    expect(pg.locator("main .countdown").first).to_be_visible()
    assert_accessible(pg, "divorce case page")
    pg.goto(reverse("marriage:book-divorce"))
    assert_accessible(pg, "divorce booking page")
    pg.context.close()

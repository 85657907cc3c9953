"""Marriage registration in a real browser (Debian's Chromium): a couple books a time, the
partner confirms, the registrar checks them in and registers them, and the certificate page
renders (on screen and for print). The citizen pages pass axe-core with no serious or
critical violation.

The clock is not moved here: the live server sets session cookies the browser must accept.
"""

import datetime as dt
import re

import pytest
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
from tests.marriage.conftest import receive_step, refuse, register_marriage

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
    world, browser, live_server
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

    # 3. The registrar opens the day's list, checks them in and registers them.
    pg = log_in(browser, live_server, "registrar")
    pg.goto(reverse("marriage:staff-appointments") + f"?date={appointment.slot.date:%Y-%m-%d}")
    reference = appointment.application.case.reference
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
    pg.emulate_media(media="print")
    expect(pg.locator(".site-header")).to_be_hidden()
    expect(pg.locator(".certificate")).to_be_visible()
    pg.context.close()

    # The master record changed with the registration.
    man.person.refresh_from_db()
    woman.person.refresh_from_db()
    assert man.person.marital_status == woman.person.marital_status == "married"


def test_the_refusal_letter_and_the_divorce_countdown_pass_axe(world, browser, live_server):
    """The citizen pages of a refused registration and of a divorce in its cooling-off."""
    man, woman = world["man"], world["woman"]
    registry, registrar = world["registry"], world["registrar"]
    from marriage.models import MarriageApplication, Slot

    slots = list(Slot.objects.filter(registry=registry).order_by("date", "start")[:2])
    # A young man refused for his age, to read the letter.
    young = UserFactory(
        username="13900000013",
        # 20 or 21 whatever the day: under the men's minimum of 22.
        person=PersonFactory(
            name="刘洋", sex="M", birth_date=dt.date(dt.date.today().year - 21, 1, 1)
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
    app = actions.do_check_in(ap.application, acting_user=registrar)
    refuse(app, acting_user=registrar)
    # 张伟 and 李娜 married, then filed a divorce.
    ap = actions.do_book_registration(
        acting_user=man,
        registry=registry,
        slot=slots[1],
        partner_name="李娜",
        partner_id_number=woman.person.id_number,
        declaration=True,
    )
    app = actions.do_check_in(ap.application, acting_user=registrar)
    register_marriage(app, acting_user=registrar, photos_checked=True, declarations_signed=True)
    ap = actions.do_book_divorce(acting_user=woman, registry=registry, slot=slots[1])
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

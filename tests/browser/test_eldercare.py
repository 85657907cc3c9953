"""Elder care in a real browser, in large-type mode: a family member books a meal for her
mother one question per page, the provider accepts, assigns a worker, cannot check in a day
early, checks in and out on the day, the mother rates the visit, and the daughter, the provider
and the township office read the rating. axe-core finds no serious or critical violation on any page of
the journey, and every page has guidance for the voice guide."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from civilaffairs.accounts.forms import LoginForm
from eldercare.models import Booking
from tests.auth import pass_second_factor
from tests.conftest import ensure_holidays, ensure_regions
from tests.eldercare.conftest import URLS, setup_eldercare
from tests.factories import PASSWORD, make_personas

from .conftest import label_of, label_pattern, t
from .test_portal import assert_target_at_least, describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.urls(URLS)]


@pytest.fixture
def world(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_regions()
    ensure_holidays()
    return setup_eldercare(make_personas())


def large_type(page, live_server):
    page.context.add_cookies([{"name": "elder", "value": "1", "url": live_server.url}])


def check_page(page, where: str, checked: list):
    """Large type is on, the voice guide has something to read, axe is content."""
    expect(page.locator("html")).to_have_class(re.compile(r"\belder-mode\b"))
    expect(page.locator("main h1")).to_have_count(1)
    assert page.locator("main .instructions").count() >= 1, f"{where}: no .instructions"
    violations = run_axe(page)
    assert not violations, f"axe on {where} ({page.url}):\n{describe(violations)}"
    checked.append(where)


def log_in(page, live_server, user):
    page.context.clear_cookies()
    large_type(page, live_server)
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label(label_pattern(label_of(LoginForm, "username"))).fill(user.username)
    page.get_by_label(label_pattern(label_of(LoginForm, "password"))).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t("Log in"), exact=True).click()
    pass_second_factor(page, user)


def choose(page, text: str | None = None):
    """Click the answer tile whose label starts with `text` (the first one without)."""
    tiles = page.locator(".choice-tile label")
    if text:
        tiles = tiles.filter(has_text=re.compile(rf"^\s*{re.escape(text)}"))
        expect(tiles).to_have_count(1)
    tiles.first.click()


def press(page, name: str, language: str = "zh-hans"):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t(name, language), exact=True).click()


def test_family_books_a_meal_provider_completes_it_and_the_elder_rates_it(world, page, live_server):
    checked: list[str] = []
    # 1. The daughter books a meal for her mother, one question per page.
    log_in(page, live_server, world.family)
    page.goto(live_server.url + reverse("eldercare:home"))
    check_page(page, "elder-care home", checked)
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=t("Book a service"), exact=True).click()

    expect(page.locator("h1")).to_have_text(t("Who is the service for?"))
    check_page(page, "booking: who", checked)
    for index, tile in enumerate(page.locator(".choice-tile").all()):
        assert_target_at_least(tile, 60, f"answer tile #{index}")
    assert_target_at_least(
        page.locator("main").get_by_role("button", name=t("Next"), exact=True), 60, "Next"
    )
    choose(page, world.elder.name)
    press(page, "Next")

    expect(page.locator("h1")).to_have_text(t("Which service do you need?"))
    check_page(page, "booking: service", checked)
    choose(page, world.meal.name)
    press(page, "Next")

    expect(page.locator("h1")).to_have_text(t("Which day?"))
    check_page(page, "booking: day", checked)
    choose(page)
    press(page, "Next")

    expect(page.locator("h1")).to_have_text(t("At what time?"))
    check_page(page, "booking: time", checked)
    choose(page, "11:00")
    press(page, "Next")

    expect(page.locator("h1")).to_have_text(t("Which provider?"))
    check_page(page, "booking: provider", checked)
    choose(page, world.provider.name)
    press(page, "Next")

    expect(page.locator("h1")).to_have_text(t("Check and book"))
    check_page(page, "booking: confirm", checked)
    page.get_by_label(label_pattern(t("Address of the visit"))).fill("崇安社区 3 号楼 2 单元 101")
    press(page, "Book now")

    booking = Booking.objects.get()
    assert booking.elder == world.elder and booking.booked_by == world.family
    assert timezone.localtime(booking.starts_at).time() == dt.time(11, 0)
    assert booking.service_type == world.meal and booking.provider == world.provider
    expect(page.locator("main")).to_contain_text(booking.reference)
    check_page(page, "booking detail (family)", checked)

    # 2. The provider accepts, assigns a worker, checks in and out.
    log_in(page, live_server, world.provider_user)
    page.goto(live_server.url + reverse("eldercare:provider-bookings"))
    check_page(page, "provider bookings", checked)
    with page.expect_navigation():
        page.get_by_role("link", name=booking.reference).click()
    check_page(page, "provider booking (new)", checked)
    press(page, "Accept")
    page.get_by_label(label_pattern(t("Worker"))).select_option(label=world.workers[0].name)
    press(page, "Assign")
    check_page(page, "provider booking (assigned)", checked)
    # Tomorrow's visit cannot start today: refused, with the time it can.
    press(page, "Check in: the worker has arrived")
    expect(page.locator(".messages")).to_contain_text("11:00")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ASSIGNED and booking.checked_in_at is None
    # The day comes (the visit is moved to the slot that has just begun).
    now = timezone.localtime()
    start = now.replace(minute=now.minute // 30 * 30, second=0, microsecond=0)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(minutes=60)
    )
    page.reload()
    press(page, "Check in: the worker has arrived")
    press(page, "Check out: the visit is finished")
    expect(page.locator("main")).to_contain_text(t("Time on site"))
    check_page(page, "provider booking (completed)", checked)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.checked_in_at and booking.checked_out_at
    assert booking.minutes_on_site == int(
        (booking.checked_out_at - booking.checked_in_at).total_seconds() // 60
    )

    # 3. The mother rates the visit.
    log_in(page, live_server, world.p.citizen)
    page.goto(live_server.url + reverse("eldercare:booking-detail", args=[booking.pk]))
    expect(page.locator("main")).to_contain_text(str(booking.get_status_display()))
    check_page(page, "booking detail (elder, completed)", checked)
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=t("Rate this visit"), exact=True).click()
    expect(page.locator("h1")).to_have_text(t("How was the visit?"))
    check_page(page, "rating", checked)
    choose(page, "5")
    page.locator("main textarea").fill("送餐准时，饭菜可口。")
    press(page, "Send my rating")
    check_page(page, "booking detail (rated)", checked)

    booking.refresh_from_db()
    assert booking.rating.score == 5 and booking.rating.rated_by == world.p.citizen

    # 4. The daughter reads her mother's rating, on the list and on the visit's page.
    five = t("%(score)s out of 5") % {"score": 5}
    log_in(page, live_server, world.family)
    page.goto(live_server.url + reverse("eldercare:booking-list"))
    row = page.locator("main tbody tr").filter(has_text=world.meal.name)
    expect(row).to_contain_text(five)
    expect(row).to_contain_text("送餐准时")
    check_page(page, "bookings (family, rated)", checked)
    page.goto(live_server.url + reverse("eldercare:booking-detail", args=[booking.pk]))
    expect(page.locator("main .booking-rating")).to_contain_text(five)
    expect(page.locator("main")).to_contain_text(world.p.citizen.display_name)

    # 5. The provider reads its summary with the comment.
    log_in(page, live_server, world.provider_user)
    page.goto(live_server.url + reverse("eldercare:provider-bookings"))
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=t("Ratings"), exact=True).click()
    expect(page.locator("main .rating-summary")).to_contain_text("5.0")
    expect(page.locator("main")).to_contain_text("送餐准时，饭菜可口。")
    check_page(page, "provider ratings", checked)

    # 6. The township caseworker reads the provider's ratings of the area.
    log_in(page, live_server, world.p.caseworker)
    page.goto(live_server.url + reverse("eldercare:staff-providers"))
    row = page.locator("main tbody tr").filter(has_text=world.provider.name)
    expect(row).to_contain_text("5.0")
    with page.expect_navigation():
        row.get_by_role("link", name=world.provider.name).click()
    expect(page.locator("main")).to_contain_text("送餐准时，饭菜可口。")
    check_page(page, "staff: provider ratings", checked)
    assert len(checked) == 18


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_care_plan_is_assessed_drafted_sent_and_approved_on_the_case_page(
    world, page, live_server, language
):
    """The township caseworker records the ability assessment on the case page (the step's own
    form), drafts the plan on the plan page and sends it; the county approver approves it on
    the case page with the start day; the visits are booked. In Chinese and in English."""
    from eldercare import actions
    from eldercare.models import ADL_ITEMS, CarePlan

    def text(message):
        return t(message, language)

    def sign_in(user):
        log_in(page, live_server, user)
        page.context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])

    plan = actions.do_request_care_plan(acting_user=world.family, elder=world.elder)
    case_url = live_server.url + reverse("casework:case-detail", args=[plan.case_id])

    sign_in(world.p.caseworker)
    page.goto(case_url)
    step = page.get_by_role("heading", level=3, name=text("Record the ability assessment"))
    expect(step).to_be_visible()
    violations = run_axe(page)
    assert not violations, describe(violations)
    for key, _label, scores in ADL_ITEMS:
        page.locator(f"select[name=t-record_assessment-adl_{key}]").select_option(str(scores[1]))
    page.get_by_label(label_pattern(text("Cognition"))).select_option("normal")
    page.get_by_label(label_pattern(text("Living situation"))).select_option("alone")
    press(page, "Record the ability assessment", language)
    done = text("Done: %(action)s.") % {"action": text("Record the ability assessment")}
    expect(page.locator(".messages")).to_contain_text(done)

    # The plan's contents are drafted on its own page; the step is sent from there.
    with page.expect_navigation():
        page.get_by_role("link", name=text("Draft the plan")).click()
    page.get_by_label(label_pattern(text("Provider"))).select_option(str(world.provider.pk))
    press(page, "Save", language)
    page.get_by_label(label_pattern(text("Service"))).select_option(str(world.meal.pk))
    page.get_by_label(label_pattern(text("Day of the week"))).select_option("2")
    page.get_by_label(label_pattern(text("Time"))).select_option("11:00")
    press(page, "Add", language)
    press(page, "Send the plan for approval", language)
    plan.case.refresh_from_db()
    assert plan.case.state == "proposed" and plan.case.office == world.p.county

    # The county approves on the case page, from tomorrow.
    sign_in(world.p.approver)
    page.goto(case_url)
    start = page.get_by_label(label_pattern(text("The plan starts on")))
    start.fill((timezone.localdate() + dt.timedelta(days=1)).isoformat())
    violations = run_axe(page)
    assert not violations, describe(violations)
    press(page, "Approve the plan", language)
    plan = CarePlan.objects.select_related("case").get(pk=plan.pk)
    assert plan.case.state == "active"
    assert plan.starts_on == timezone.localdate() + dt.timedelta(days=1)
    assert Booking.objects.filter(plan_item__plan=plan).exists()  # booked after the commit

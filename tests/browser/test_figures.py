"""The benefit figures walked in a real browser, in Chinese and in English: a city supervisor
opens them from the staff menu, sees the charts drawn (ECharts on a canvas, under the strict
CSP) with their tables, drills down to a township and back up by the breadcrumbs, and
downloads a table. axe finds nothing serious or critical."""

import pytest
from playwright.sync_api import expect

from civilaffairs.insight.actions import do_count_month
from tests.casework.conftest import no_broker, test_service  # noqa: F401
from tests.insight.conftest import THIS_MONTH, on_benefit

from .conftest import log_in, t
from .test_childwelfare import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def figures_world(personas_tx):
    from civilaffairs.benefits.registry import Program, register_program
    from tests.casework.conftest import give_offices_the_service

    give_offices_the_service(personas_tx)
    register_program(Program("test.figures", "Test program"))
    for age in (8, 35, 67, 72, 81, 90):
        on_benefit("640104001002", age=age, sex="F" if age % 2 else "M")
    do_count_month(THIS_MONTH)
    return personas_tx


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervisor_reads_the_figures_and_drills_down(figures_world, contexts, language):
    page = contexts(language)
    log_in(page, figures_world.supervisor.username, language)
    # Whatever the figures page asks for (the charts' scripts above all) is there, and its
    # scripts run without an error (the CSP refusing a style would be one).
    errors, missing = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto("/staff/")
    page.get_by_role("link", name=t("Figures: benefits", language)).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(t("Figures: benefits", language))
    # Each chart is drawn on a canvas, and its table is there for a screen reader.
    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    assert page.locator("[data-chart]").count() == page.locator("section table").count()
    assert (errors, missing) == ([], [])
    assert axe_violations(page) == []
    # Down: the county, then its township (each a link in the region table).
    page.get_by_role("link", name="兴庆区").click()
    page.get_by_role("link", name="凤凰北街街道").click()
    expect(heading).to_contain_text("凤凰北街街道")
    people = page.locator(".figure-totals dd").first
    expect(people).to_have_text("6")
    assert axe_violations(page) == []
    # Back up by the breadcrumbs.
    page.get_by_role("navigation", name=t("Region", language)).get_by_role(
        "link", name="银川市"
    ).click()
    expect(heading).to_contain_text("银川市")
    with page.expect_download() as download:
        page.locator("section").filter(has_text=t("By age band", language)).get_by_role(
            "link", name="CSV"
        ).click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert t("Age band", language) in text.splitlines()[0]
    assert "<5" in text  # six people in five bands: every band is a small cell


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_caseworker_reads_the_application_figures(figures_world, contexts, language):
    """The township's caseworker opens the application figures from the staff menu: the
    month's applications by service, region, channel and month, and the work waiting by
    state, office and caseworker, each drawn and tabled; a table downloads as XLSX."""
    page = contexts(language)
    log_in(page, figures_world.caseworker.username, language)
    errors, missing = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto("/staff/")
    page.get_by_role("link", name=t("Figures: applications", language)).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(t("Figures: applications", language))
    expect(heading).to_contain_text("凤凰北街街道")
    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    assert page.locator("[data-chart]").count() == page.locator("section table").count()
    # Six cases came in this month (each benefit was granted on a case of the township).
    expect(page.locator(".figure-totals dd").first).to_have_text("6")
    assert (errors, missing) == ([], [])
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.locator("section").filter(has_text=t("By channel", language)).get_by_role(
            "link", name="XLSX"
        ).click()
    assert download.value.suggested_filename.endswith("-channel.xlsx")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervisor_reads_each_domains_figures(figures_world, contexts, language):
    """Each domain's own figures page (insight.registry) opens from the staff menu for a
    supervisor of the casework roles, draws its charts with their tables, and axe finds
    nothing serious; a county's page drills down to a township."""
    page = contexts(language)
    log_in(page, figures_world.supervisor.username, language)
    errors, missing = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    for title in (
        "Figures: social assistance",
        "Figures: elder care",
        "Figures: social organizations",
    ):
        page.goto("/staff/")
        page.get_by_role("link", name=t(title, language)).click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text(t(title, language))
        # Every table of the page is there (a chart above each that has figures).
        assert page.locator("section h2").count() >= 3
        assert page.locator("[data-chart]").count() == page.locator("section table").count()
        assert axe_violations(page) == []
    page.get_by_role("link", name="兴庆区").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("兴庆区")
    assert (errors, missing) == ([], [])

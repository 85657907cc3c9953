"""The office queue at a desk's 1280-pixel screen (issue #16, items 7 and 8): each row reads
on a line or two (no name broken one character per line, the page no wider than the screen),
says the days left, and offers its own "Take"; in Chinese and in English."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from assistance import actions
from civilaffairs.casework.actions import do_screen_and_route
from civilaffairs.casework.models import Case
from civilaffairs.people.models import Region
from tests.assistance.conftest import fill_dibao, setup_assistance
from tests.factories import PersonFactory, UserFactory, make_household

from .conftest import log_in, t

pytestmark = pytest.mark.browser

NAMES = ["欧阳建国", "李霞兰", "王斌", "司马慧敏"]

# Whether an element's text is laid out on one line: its text's boxes all share one top.
ONE_LINE = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return tops.size === 1;
}"""


def days_left(n: int, language: str) -> str:
    with translation.override(language):
        return translation.ngettext("%(n)s day left", "%(n)s days left", n) % {"n": n}


def queued_cases(p) -> list[Case]:
    """One 低保 application per household (one open case per household), screened and
    waiting in the township's office queue."""
    cases = []
    for name in NAMES:
        person = PersonFactory(
            name=name,
            birth_date=dt.date(1960, 5, 1),
            hukou_region=Region.objects.get(code="640104001002"),
        )
        user = UserFactory(username=f"citizen-{person.pk}", person=person)
        make_household(person)
        app = actions.do_start_application("dibao", acting_user=user, person=person)
        fill_dibao(app, user)
        actions.do_submit_application(app, acting_user=user)
        do_screen_and_route(app.case_id)
        cases.append(Case.objects.get(pk=app.case_id))
    return cases


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_office_queue_reads_at_1280_pixels_and_a_row_is_taken(contexts, personas_tx, language):
    p = setup_assistance(personas_tx)
    cases = queued_cases(p)
    page = contexts(language)
    queue = reverse("casework:queue-office")
    log_in(page, p.caseworker.username, language, landing=queue)
    expect(page).to_have_url(queue)

    # Nothing wider than the screen: no sideways scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for case in cases:
        row = page.locator("tbody tr", has=page.get_by_role("link", name=case.reference))
        name = row.locator("td.text-nowrap").first
        expect(name).to_have_text(case.applicant.name)
        assert name.evaluate(ONE_LINE), f"{case.applicant.name} is broken over lines"
        assert row.get_by_role("link", name=case.reference).evaluate(ONE_LINE)
        expect(row.locator(".badge")).to_have_text(days_left(case.days_left, language))

    # A particular case, taken from its row (not the next one): it opens, assigned to me.
    chosen = cases[2]
    row = page.locator("tbody tr", has=page.get_by_role("link", name=chosen.reference))
    with page.expect_navigation():
        row.get_by_role("button", name=f"{t('Take', language)} {chosen.reference}").click()
    expect(page).to_have_url(reverse("casework:case-detail", args=[chosen.pk]))
    expect(page.locator(".alert-success")).to_contain_text(t("The case is yours now.", language))
    chosen.refresh_from_db()
    assert chosen.assignee == p.caseworker
    assert Case.objects.filter(pk__in=[c.pk for c in cases], assignee__isnull=False).count() == 1
    page.goto(queue)
    expect(page.get_by_role("link", name=chosen.reference)).to_have_count(0)
    expect(page.get_by_role("link", name=cases[0].reference)).to_have_count(1)

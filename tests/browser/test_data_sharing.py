"""Data sharing in a real browser: a citizen finds on the home page who looked their record
up, in Chinese and in English; the data standard reads well (axe); the API's documentation
page renders its operations under the portal's Content-Security-Policy."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.exchange.conftest import make_department

from .conftest import log_in, t
from .test_childwelfare import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_sees_who_looked_their_record_up_in_both_languages(personas_tx, contexts):
    citizen = personas_tx.citizen
    dept = make_department(Client(), "银川市公安局")
    looked = dept.post("/api/v1/persons/lookup/", {"id_number": citizen.person.id_number})
    assert looked.status_code == 200

    for language in ("zh-hans", "en"):
        page = contexts(language)
        log_in(page, citizen.username, language)
        page.goto("/")
        page.get_by_role("link", name=t("Who used my data", language)).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Who used my data", language))
        entry = page.locator("main li").filter(has_text="银川市公安局")
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text("核查救助对象身份")  # the purpose, as the grant words it
        expect(entry).to_contain_text(re.compile(r"姓名" if language == "zh-hans" else r"name"))
        assert axe_violations(page) == []


def test_the_data_standard_page_reads_in_both_languages(contexts, transactional_db):
    for language in ("zh-hans", "en"):
        page = contexts(language)
        page.goto("/standards/")
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Data standard", language))
        expect(page.get_by_role("rowheader", name="person.id_number", exact=True)).to_have_count(1)
        expect(page.locator("h3#list-gbt-4761")).to_contain_text("GB/T 4761")
        assert axe_violations(page) == []


def test_the_api_documentation_renders_under_the_content_security_policy(
    contexts, transactional_db
):
    page = contexts("zh-hans")
    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.goto("/api/v1/docs/")
    expect(page.get_by_text("/api/v1/persons/lookup/").first).to_be_visible()
    expect(page.get_by_text("/api/v1/notices/deaths/").first).to_be_visible()
    assert violations == []

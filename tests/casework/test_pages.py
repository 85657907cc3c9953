"""Structure every case page shares: one h1, tables with a caption and scoped headers, every
form control labelled, no page needing JavaScript to submit a change."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from civilaffairs.casework.actions import do_assign_case, notify_event
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import CaseEvent
from tests.auth import sign_in

from .conftest import make_case, pdf_upload

pytestmark = pytest.mark.django_db


class Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.tables = 0
        self.captions = 0
        self.unscoped_th = 0
        self.labels_for: set[str] = set()
        self.controls: list[dict] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and "scope" not in a:
            self.unscoped_th += 1
        elif tag == "label" and a.get("for"):
            self.labels_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button"):
                self.controls.append(a)
        elif tag == "form":
            self.forms.append(a)


def check(html: str):
    s = Structure()
    s.feed(html)
    assert s.h1 == 1, "exactly one h1"
    assert s.tables == s.captions, "every table has a caption"
    assert s.unscoped_th == 0, "every th has a scope"
    for c in s.controls:
        assert c.get("id") in s.labels_for or c.get("aria-label"), f"unlabelled control {c}"
    for f in s.forms:
        if f.get("method", "get").lower() == "post":
            assert f.get("action"), "a POST form names where it goes"


@pytest.fixture
def case(world, private_media):
    case = make_case(world.citizen.person)
    do_assign_case(case, world.caseworker, acting_user=world.supervisor)
    do_add_document(case, pdf_upload(), "other", acting_user=world.caseworker)
    for event in CaseEvent.objects.filter(case=case, public=True):
        notify_event(event.pk)
    return case


def test_staff_pages_are_well_formed(client, world, case):
    make_case()
    for who in ("caseworker", "supervisor"):
        sign_in(client, getattr(world, who))
        for url in (
            reverse("casework:queue-mine"),
            reverse("casework:queue-office"),
            reverse("casework:queue-office") + "?region=640104&overdue=no",
            reverse("casework:case-detail", args=[case.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            check(response.content.decode())


def test_citizen_pages_are_well_formed_and_elder_friendly(client, world, case):
    sign_in(client, world.citizen)
    for url in (
        reverse("cases:my-cases"),
        reverse("cases:case-detail", args=[case.pk]),
        reverse("cases:case-withdraw", args=[case.pk]),
        reverse("cases:inbox"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        check(html)
        assert 'class="instructions"' in html or "instructions" in html
        assert "btn-lg" in html or url == reverse("cases:my-cases")

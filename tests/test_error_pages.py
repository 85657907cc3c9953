"""Error pages in the reader's language (issue #16, item 13): a 403 is the portal's page with
its frame, not Django's bare English "403 Forbidden"; a 404 never lists the URL patterns;
`make run` serves with DEBUG off unless a developer asks for it."""

import importlib.util
from pathlib import Path

import pytest
from django.urls import reverse

from tests.auth import sign_in
from tests.pages import page_text

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


def test_a_forbidden_page_is_the_portals_own_in_the_readers_language(client, personas):
    sign_in(client, personas.citizen)
    response = client.get(reverse("staff:workspace"))
    assert response.status_code == 403
    page = page_text(response, 403)
    assert "您无权打开此页面" in page and "Forbidden" not in page
    client.cookies["lang"] = "en"
    page = page_text(client.get(reverse("staff:workspace")), 403)
    assert "You may not open this page" in page and "您无权" not in page


def test_a_missing_page_lists_no_url_patterns(client, personas, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = page_text(response, 404)
    assert "此页面不存在" in page and "URLconf" not in page and "admin/" not in page


def test_make_run_serves_with_debug_off_unless_a_developer_asks(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("devserver", ROOT / "scripts" / "devserver.py")
    devserver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(devserver)
    monkeypatch.setattr(devserver, "ROOT", tmp_path)
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    served = devserver.portal_settings()
    assert served["DEBUG"] == "0" and len(served["SECRET_KEY"]) > 40
    assert served["SESSION_COOKIE_SECURE"] == "0"  # plain HTTP on this machine
    assert devserver.portal_settings()["SECRET_KEY"] == served["SECRET_KEY"]  # kept
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("DEBUG", "1")
    assert devserver.portal_settings() == {"DEBUG": "1"}


def test_the_staff_menu_offers_only_what_its_reader_may_open(client, personas):
    from civilaffairs.accounts.models import StaffRole
    from tests.factories import staff

    registrar = staff("registrar", "640104", StaffRole.Role.REGISTRAR)
    sign_in(client, registrar)
    menu = page_text(client.get(reverse("staff:workspace")))
    assert "资金发放" not in menu
    assert client.get(reverse("benefits:batches")).status_code == 403
    sign_in(client, personas.approver)
    menu = page_text(client.get(reverse("staff:workspace")))
    assert "资金发放" in menu and "婚姻登记" not in menu


@pytest.mark.parametrize("role", ["registrar", "child_welfare", "children_director", "approver"])
def test_every_link_of_the_staff_menu_opens_for_its_reader(client, personas, role):
    """Elder care's and the social organizations' links were offered to a registrar and a
    child-welfare worker, whose every click answered 403 (found walking as them)."""
    import re

    from tests.factories import staff

    user = staff(f"menu_{role}", "640104", role)
    sign_in(client, user)
    page = page_text(client.get(reverse("staff:workspace")))
    menu = re.search(r'<nav class="workspace-nav.*?</nav>', page, re.S).group(0)
    hrefs = re.findall(r'href="([^"]+)"', menu)
    assert reverse("casework:queue-office") in hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, href

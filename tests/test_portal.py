import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from civilaffairs.people.models import Person
from tests.auth import sign_in
from tests.factories import UserFactory
from tests.pages import page_text

pytestmark = pytest.mark.django_db

ZH_PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_chinese_is_the_default_whatever_the_browser_says(client, regions):
    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert '<html lang="zh-Hans"' in page
    assert "智慧民政" in page


def test_english_renders_after_the_switch(client, regions):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="en"' in page
    assert "Civil Affairs Portal" in page


def test_the_chinese_catalogue_is_complete():
    """Every interface string has its Chinese text: an untranslated one would show English to
    a Chinese citizen."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(ZH_PO)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_large_type_is_kept_in_a_cookie_for_visitors(client, regions):
    response = client.post(
        reverse("portal:preferences"), {"elder_mode": "1", "next": "/accessibility/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accessibility/"
    assert response.cookies["elder"].value == "1"
    assert 'class="elder-mode"' in client.get(reverse("portal:home")).content.decode()
    client.post(reverse("portal:preferences"), {"elder_mode": "0"})
    assert 'class="elder-mode"' not in page_text(client.get(reverse("portal:home")))


def test_large_type_is_kept_on_the_account_when_logged_in(client, regions):
    user = UserFactory()
    sign_in(client, user)
    client.post(reverse("portal:preferences"), {"elder_mode": "1"})
    user.refresh_from_db()
    assert user.elder_mode
    other_browser = type(client)()
    sign_in(other_browser, user)
    assert 'class="elder-mode"' in other_browser.get(reverse("portal:home")).content.decode()


def test_preferences_never_redirect_to_another_site(client, regions):
    response = client.post(
        reverse("portal:preferences"), {"elder_mode": "1", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"


def test_preferences_only_accept_post(client, regions):
    assert client.get(reverse("portal:preferences")).status_code == 405


def test_every_page_has_a_skip_link_and_one_main(client, regions):
    for name in ("portal:home", "accounts:login", "accounts:signup", "portal:accessibility"):
        page = client.get(reverse(name)).content.decode()
        assert 'href="#main"' in page
        assert page.count("<main") == 1
        assert page.count("<h1") == 1


def test_demo_data_loads_twice_without_change(regions):
    from django.core.management import call_command

    from civilaffairs.accounts.models import Office, StaffRole, User
    from civilaffairs.lib import idnumber

    call_command("load_demo", verbosity=0)
    counts = (
        Person.objects.count(),
        Office.objects.count(),
        StaffRole.objects.count(),
        User.objects.count(),
        Person.history.count(),
    )
    call_command("load_demo", verbosity=0)
    assert counts == (
        Person.objects.count(),
        Office.objects.count(),
        StaffRole.objects.count(),
        User.objects.count(),
        Person.history.count(),
    )
    assert Person.objects.count() > 2000
    # Every resident ID number the demo writes is a valid one. The demo import brings in two
    # people without a document (a legacy file's rows with no number), so the numbers are read
    # by document type: reading "the first 500" in no order sometimes met one of them.
    numbers = Person.objects.filter(id_type=Person.IdType.RESIDENT_ID).values_list(
        "id_number", flat=True
    )
    assert len(numbers) > 2000
    for number in numbers:
        idnumber.parse(number)
    for username in ("citizen", "caseworker", "approver", "supervisor", "admin"):
        assert User.objects.get(username=username).check_password("Minzheng#2026")
    assert User.objects.get(username="citizen").person.name == "王秀英"
    # The demo has money to pay and an objection to answer (issue #16).
    from civilaffairs.benefits.models import DisbursementBatch
    from civilaffairs.casework.models import Case

    batch = DisbursementBatch.objects.get()
    assert batch.status == "draft" and batch.county_id == "640104" and batch.line_count == 2
    assert Case.objects.filter(service="assistance.dibao", state="approved").count() == 2
    assert Case.objects.filter(service="assistance.dibao", state="objection").count() == 1


def test_admin_pages_render_in_chinese_with_masked_id_numbers(client, regions):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    admin = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, admin)
    person = Person.objects.filter(id_number__isnull=False).first()
    pages = {
        "admin:index": [],
        "admin:people_person_changelist": [],
        "admin:people_household_changelist": [],
        "admin:people_region_changelist": [],
        "admin:accounts_office_changelist": [],
        "admin:accounts_staffrole_changelist": [],
        "admin:accounts_user_changelist": [],
        "admin:accounts_accesslog_changelist": [],
        "admin:people_person_change": [person.pk],
        "admin:people_person_history": [person.pk],
    }
    for name, args in pages.items():
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert person.id_number not in response.content.decode(), name
    assert "欢迎" in client.get(reverse("admin:index")).content.decode()
    search = client.get(
        reverse("admin:people_person_changelist"), {"q": person.id_number}
    ).content.decode()
    assert person.name in search


def test_the_language_choice_is_kept_on_the_account(client, regions):
    user = UserFactory()
    sign_in(client, user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_the_frames_links_are_worked_out_once_and_follow_the_mount_prefix(client, personas):
    """The header, staff menu and footer take their links from layout_urls (reversed once per
    URL configuration and mount prefix), and the staff page marks where the user is."""
    from django.urls import set_script_prefix

    from civilaffairs.portal.context_processors import LAYOUT_URLS, layout_urls

    urls = layout_urls()
    assert urls == {name: reverse(route) for name, route in LAYOUT_URLS.items()}
    sign_in(client, personas.caseworker)
    page = client.get(reverse("casework:queue-office")).content.decode()
    for name in ("home_url", "logout_url", "set_language_url", "my_queue_url", "workspace_url"):
        assert f'href="{urls[name]}"' in page or f'action="{urls[name]}"' in page
    assert f'href="{urls["office_queue_url"]}" aria-current="page"' in page
    try:
        set_script_prefix("/minzheng/")  # mounted under a path: new links, not the old ones
        assert layout_urls()["home_url"] == "/minzheng/"
    finally:
        set_script_prefix("/")
    assert layout_urls()["home_url"] == "/"


def test_every_page_names_its_icon_and_the_icon_is_served(client):
    """The browser's tab shows the portal's icon, and asks no /favicon.ico that would 404."""
    from django.contrib.staticfiles import finders

    page = client.get("/").content.decode()
    assert '<link rel="icon" type="image/svg+xml" href="/static/img/favicon.svg' in page
    found = finders.find("img/favicon.svg")
    assert found and Path(found).read_text().startswith("<svg")

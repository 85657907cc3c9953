"""Parts of pages kept in Django's fragment cache ({% cache %}, the `template_fragments`
cache), each keyed by all it varies with, and the page frame (jinja2/frame/, written by
Jinja2 on every page, not cached), which marks each visitor's own place and speaks their
language."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from civilaffairs.portal.context_processors import where_in_frame
from tests.auth import sign_in


def test_fragments_are_kept_in_memory_per_process_not_in_redis():
    """No network round trip per fragment; a new release (new processes) starts empty."""
    from django.core.cache.backends.locmem import LocMemCache

    assert isinstance(caches["template_fragments"], LocMemCache)


def test_where_a_page_lies_in_the_frame():
    urls = {"/", "/staff/", "/staff/people/", "/staff/cases/office/"}
    assert where_in_frame("/staff/cases/office/", urls) == (
        "/staff/cases/office/",
        "/staff/cases/office/",
    )
    assert where_in_frame("/staff/people/12/", urls) == ("", "/staff/people/")
    assert where_in_frame("/", urls) == ("/", "")
    assert where_in_frame("/orgs/", urls) == ("", "")


@pytest.mark.django_db
def test_the_frame_marks_the_current_page_and_section_for_each_visitor(client, personas):
    """Each page marks its own link in the header and staff menu, and a citizen's frame never
    shows staff links (or the reverse)."""
    sign_in(client, personas.caseworker)
    queue = reverse("casework:queue-office")
    mine = reverse("casework:queue-mine")
    page = client.get(queue).content.decode()
    assert f'href="{queue}" aria-current="page"' in page
    assert f'href="{mine}" aria-current="page"' not in page
    page = client.get(mine).content.decode()
    assert f'href="{mine}" aria-current="page"' in page
    assert f'href="{queue}" aria-current="page"' not in page
    people = reverse("staff:person-list")
    person = reverse("staff:person-detail", args=[personas.citizen.person_id])
    page = client.get(person).content.decode()
    assert f'href="{people}" class="is-active"' in page
    workspace = reverse("staff:workspace")
    assert f'href="{workspace}"' in page
    sign_in(client, personas.citizen)
    page = client.get(reverse("cases:my-cases")).content.decode()
    assert f'href="{workspace}"' not in page
    assert f'href="{reverse("cases:my-cases")}" aria-current="page"' in page
    # The same page for one kind of visitor, then another, then the first again.
    home = reverse("portal:home")
    for who, staff_link in (
        (personas.caseworker, True),
        (personas.citizen, False),
        (personas.caseworker, True),
    ):
        sign_in(client, who)
        page = client.get(home).content.decode()
        assert (f'href="{workspace}"' in page) is staff_link
        assert (f'href="{reverse("cases:inbox")}"' in page) is not staff_link
        assert f'href="{home}" aria-current="page"' in page


@pytest.mark.django_db
def test_the_frame_follows_the_language(client, personas, settings):
    """The frame follows the language from one request to the next: English, then Chinese,
    then English again, for the same page and visitor."""
    sign_in(client, personas.caseworker)
    queue = reverse("casework:queue-office")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(queue).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(queue).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    again = client.get(queue).content.decode()
    assert "Workspace home" in english and "Read aloud" in english
    assert "Workspace home" not in chinese and "Read aloud" not in chinese
    assert "Workspace home" in again and "Read aloud" in again
    assert 'value="zh-hans" lang="zh-Hans" class="btn btn-tool" aria-pressed="true"' in chinese
    assert 'value="en" lang="en" class="btn btn-tool" aria-pressed="true"' in again


@pytest.mark.django_db
def test_no_security_token_or_personal_data_is_kept_in_a_fragment(client, personas):
    """Every token on a page is this visitor's own: the forms' tokens stay outside the
    cached fragments, and a second visitor never sees the first one's name."""
    sign_in(client, personas.caseworker)
    first = client.get(reverse("casework:queue-office"))
    token = first.cookies.get("csrftoken")
    sign_in(client, personas.supervisor)
    second = client.get(reverse("casework:queue-office")).content.decode()
    assert personas.caseworker.username not in second
    if token is not None:
        assert token.value not in second

"""Parts of pages rendered once per process: the `{% once %}` tag and the frame around it."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse
from django.utils import translation

from civilaffairs.portal.context_processors import where_in_frame
from tests.auth import sign_in

COUNTER = {"n": 0}


class Counted:
    """A value whose rendering is counted: shows whether a fragment was rendered again."""

    def __str__(self):
        COUNTER["n"] += 1
        return f"rendered {COUNTER['n']}"


def _render(source, **context):
    return Template("{% load i18n fragments %}" + source).render(Context(context))


def test_a_fragment_is_rendered_once_per_value_it_names():
    template = Template(
        "{% load fragments %}{% once which n=counted %}{{ which }}:{{ n }}{% endonce %}"
    )
    counted = Counted()
    first = template.render(Context({"which": "mine", "counted": counted}))
    again = template.render(Context({"which": "mine", "counted": counted}))
    other = template.render(Context({"which": "office", "counted": counted}))
    assert first == again == f"mine:rendered {COUNTER['n'] - 1}"
    assert other == f"office:rendered {COUNTER['n']}"


def test_nothing_the_tag_does_not_name_reaches_what_is_kept():
    """The body sees only the values named: a page's user, request or security token cannot
    be kept and shown to the next visitor."""
    source = (
        "{% once shown %}[{{ shown }}|{{ secret }}|{{ request.path }}|"
        "{% csrf_token %}]{% endonce %}"
    )
    out = _render(source, shown="yes", secret="王秀英 640104198005170011", csrf_token="tok")
    assert out == "[yes|||]"


def test_a_fragment_follows_the_language():
    template = Template("{% load i18n fragments %}{% once %}{% translate 'Home' %}{% endonce %}")
    with translation.override("en"):
        english = template.render(Context())
    with translation.override("zh-hans"):
        chinese = template.render(Context())
    with translation.override("en"):
        again = template.render(Context())
    assert (english, chinese, again) == ("Home", "首页", "Home")


def test_two_tags_in_one_template_are_two_fragments():
    out = _render("{% once %}a{% endonce %}{% once %}b{% endonce %}")
    assert out == "ab"


def test_the_tag_refuses_what_is_not_a_name():
    with pytest.raises(TemplateSyntaxError):
        Template("{% load fragments %}{% once 'text' %}x{% endonce %}")


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
    """The header and staff menu are rendered once per place and kind of visitor: each page
    still marks its own link, and a citizen's frame never shows staff links (or the reverse)."""
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

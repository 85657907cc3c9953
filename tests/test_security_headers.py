"""Headers every page sends: Content-Security-Policy everywhere, no-store on everything personal,
HSTS and the HTTPS redirect when configured; and the idle timeout of a staff session."""

import datetime as dt
from html.parser import HTMLParser

import pytest
import time_machine
from csp.decorators import csp_update
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from civilaffairs.portal.security import ContentSecurityPolicyMiddleware, idle_notice
from tests.auth import sign_in

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def _is_the_policy(response) -> bool:
    """The header holds the site's policy (django-csp writes the directives in any order)."""
    return _directives(response.get("Content-Security-Policy", "")) == _directives(POLICY)


def _names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def pages_without_parameters() -> list[str]:
    """Every named URL of the site that takes no parameter, from the URL configuration (so a
    new page is covered without being listed here)."""
    urls = set()
    for name in _names(get_resolver().url_patterns):
        try:
            urls.add(reverse(name))
        except NoReverseMatch:
            continue
    return sorted(urls)


class InlineCode(HTMLParser):
    """Finds what a policy without 'unsafe-inline' blocks: <script> without src, <style>,
    style="…" and on…="…" attributes, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("an inline <script>")
        if tag == "style":
            self.found.append("a <style> block")
        for name, value in names.items():
            if name == "style":
                self.found.append(f'style="…" on <{tag}>')
            elif name.startswith("on"):
                self.found.append(f"{name}=… on <{tag}>")
            elif name in ("href", "src", "action") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"a javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def signed_in(personas):
    def client_for(role):
        client = Client()
        if role != "anonymous":
            sign_in(client, getattr(personas, role))
        return client

    return client_for


@pytest.mark.parametrize("role", ["anonymous", "citizen", "caseworker", "admin"])
def test_every_page_sends_the_policy_and_holds_no_inline_script_or_style(signed_in, role):
    client = signed_in(role)
    problems = []
    for url in pages_without_parameters():
        if url.startswith("/admin/") and role not in ("anonymous", "admin"):
            continue  # the admin sends them to its login page: covered by the anonymous run
        response = client.get(url)
        if not _is_the_policy(response):
            problems.append(f"{url} ({response.status_code}): no or another policy")
        if "html" in response.get("Content-Type", ""):
            problems += [f"{url}: {what}" for what in inline_code(response.content.decode())]
    assert not problems, "\n".join(problems)


def test_the_admin_change_pages_hold_no_inline_script_or_style(signed_in, personas, rf):
    from django.contrib import admin

    client = signed_in("admin")
    request = rf.get("/admin/")
    request.user = personas.admin
    problems = []
    for model, model_admin in admin.site._registry.items():
        row = model_admin.get_queryset(request).first()
        if row is None:
            continue
        opts = model._meta
        for view in ("change", "history"):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[row.pk])
            response = client.get(url)
            if not _is_the_policy(response):
                problems.append(f"{url}: no policy")
            problems += [f"{url}: {what}" for what in inline_code(response.content.decode())]
    assert not problems, "\n".join(problems)


def test_the_policy_allows_no_inline_code_no_eval_and_no_other_site(client):
    directives = _directives(client.get(reverse("portal:home"))["Content-Security-Policy"])
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert not any("unsafe" in value or "*" in value for value in directives.values())


def test_error_pages_send_the_policy_too(client, personas):
    assert _is_the_policy(client.get("/no-such-page/"))
    sign_in(client, personas.citizen)
    refused = client.get(reverse("staff:workspace"))
    assert refused.status_code == 403
    assert _is_the_policy(refused)


def test_a_view_may_still_widen_the_policy_with_django_csps_decorators(rf):
    """The policy is built once per process; a view's own additions still reach its answer."""

    @csp_update({"img-src": "https://tiles.example.gov.cn"})
    def map_view(request):
        return HttpResponse("map")

    def plain_view(request):
        return HttpResponse("plain")

    widened = ContentSecurityPolicyMiddleware(map_view)(rf.get("/map/"))
    plain = ContentSecurityPolicyMiddleware(plain_view)(rf.get("/"))
    assert _directives(widened["Content-Security-Policy"])["img-src"] == (
        "'self' data: https://tiles.example.gov.cn"
    )
    assert _is_the_policy(plain)


def test_the_inline_code_finder_finds_each_kind():
    html = (
        '<script>alert(1)</script><script src="/static/x.js"></script><style>p{}</style>'
        '<p style="color:red" onclick="go()"><a href="javascript:go()">x</a></p>'
    )
    assert inline_code(html) == [
        "an inline <script>",
        "a <style> block",
        'style="…" on <p>',
        "onclick=… on <p>",
        "a javascript: URL on <a>",
    ]


# ----------------------------------------------------------------------------- no-store


def _kept_by_nobody(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.parametrize("role", ["citizen", "caseworker", "admin"])
def test_no_page_shown_to_a_signed_in_user_may_be_stored(signed_in, role):
    client = signed_in(role)
    urls = [u for u in pages_without_parameters() if role == "admin" or "/admin/" not in u]
    stored = [u for u in urls if not _kept_by_nobody(client.get(u))]
    assert not stored, f"pages a browser or proxy may keep: {stored}"


def test_staff_and_account_pages_may_not_be_stored_even_when_nobody_is_signed_in(client):
    for url in (
        reverse("staff:person-list"),
        reverse("casework:queue-mine"),
        reverse("accounts:login"),
        reverse("cases:my-cases"),
        "/admin/",
    ):
        assert _kept_by_nobody(client.get(url)), url


def test_public_pages_for_visitors_stay_cacheable(client, regions):
    response = client.get(reverse("orgs:ledger"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# ----------------------------------------------------------------------------- idle staff session

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _session_data(client) -> str:
    return Session.objects.get(session_key=client.session.session_key).session_data


def test_an_idle_staff_session_ends_and_the_login_page_says_why(client, personas, settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 30
    queue = reverse("casework:queue-mine")
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, personas.caseworker)
        assert client.get(queue).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(queue).status_code == 200  # 29 minutes: still there, and renewed
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(queue + "?state=submitted")
    login = reverse("accounts:login")
    assert response.status_code == 302
    assert response["Location"] == f"{login}?next=%2Fstaff%2Fcases%2F%3Fstate%3Dsubmitted"
    page = client.get(response["Location"]).content.decode()
    with translation.override("zh-hans"):
        expected = idle_notice(30)
    assert "30 分钟" in expected
    assert expected in page
    assert client.get(queue).status_code == 302  # signed out for good


def test_the_idle_timeout_notice_is_in_english_for_english_readers(client, personas):
    client.cookies["lang"] = "en"
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, personas.approver)
        client.get(reverse("staff:workspace"))
        clock.shift(dt.timedelta(hours=2))
        response = client.get(reverse("staff:workspace"), follow=True)
    assert "You were signed out after 30 minutes without activity" in response.content.decode()


def test_an_htmx_request_of_an_idle_session_loads_the_login_page_whole(client, personas):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, personas.caseworker)
        client.get(reverse("staff:workspace"))
        clock.shift(dt.timedelta(minutes=45))
        response = client.post(reverse("casework:claim-next"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("accounts:login")


def test_a_working_staff_session_is_written_at_most_once_a_minute(client, personas):
    queue = reverse("casework:queue-mine")
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, personas.caseworker)
        client.get(queue)
        written = _session_data(client)
        for _ in range(5):
            clock.shift(dt.timedelta(seconds=10))
            client.get(queue)
            assert _session_data(client) == written
        clock.shift(dt.timedelta(seconds=15))  # 65 s after the last write
        client.get(queue)
        assert _session_data(client) != written


def test_the_first_staff_page_after_signing_in_writes_nothing_to_the_session(client, personas):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, personas.caseworker)  # the idle clock starts here
        signed_in = _session_data(client)
        clock.shift(dt.timedelta(seconds=5))
        assert client.get(reverse("casework:queue-mine")).status_code == 200
        assert _session_data(client) == signed_in


def test_a_citizen_is_not_signed_out_for_being_idle(client, personas):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, personas.citizen)
        client.get(reverse("cases:my-cases"))
        clock.shift(dt.timedelta(hours=2))
        assert client.get(reverse("cases:my-cases")).status_code == 200


# ----------------------------------------------------------------------------- TLS


def test_behind_tls_every_answer_carries_hsts_and_plain_http_is_redirected(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = True
    plain = client.get("/accessibility/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accessibility/"
    secure = client.get("/accessibility/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_behind_a_tls_proxy_the_forwarded_scheme_is_trusted(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/accessibility/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=3600"


def test_without_tls_settings_no_hsts_is_sent_and_plain_http_is_served(client):
    assert client.get("/accessibility/").status_code == 200
    assert "Strict-Transport-Security" not in client.get("/accessibility/", secure=True)

"""No bad input answers 5xx: every form and filter each role reaches, driven with hostile values.

For every role of the demo world (conftest.ROLES) the pages that role can reach are crawled:
every URL pattern without parameters, then the links on those pages, each kind of page (its
URL name and query keys) at most PAGES_PER_KIND times. Every <form> found there (GET filters
and POST forms: inputs, selects, textareas, named buttons) and every link with a query string
is then sent:

- unchanged (the path a user takes, which reaches deepest into the view),
- with every field set to each SWEEP value in turn (digits int() refuses, huge and negative
  numbers, impossible and last dates, 10,000 characters, empty), then each field alone set
  to each ONE_AT_A_TIME value, the others as the page has them,
- without any field, and with every field twice,
- then EXAMPLES times as hypothesis mixes it: each field keeps its value, takes another of
  its options, a hostile value (NUL, path-like, SQL- or HTML-looking, odd unicode, ...) or
  random text, disappears, or is sent twice; files get hostile names and contents.

The path segments of every URL pattern are fuzzed too (huge, negative, non-numeric ids), and
the device API's JSON body. Nothing may answer 5xx, and no view may raise.

Bounded: a form already driven for one role (same method, URL name and field names) is not
driven again for the next; the admin's forms get a shorter sweep and fewer mixes (see
SWEEP); EXAMPLES examples per form (FUZZ_EXAMPLES in the environment for a deeper run); hypothesis is derandomized (the same examples on every run, so CI is repeatable)
and does not shrink (a failure is reported with the exception it raised, and the report lists
every failing form at once). Each request runs in a savepoint that is rolled back, so what one
example saved cannot hide the next one's bug.
"""

import json
import os
import re
import traceback
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.auth import sign_in
from tests.security.conftest import ROLES
from tests.security.htmlforms import Field, Form, parse

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
PAGES_PER_KIND = 2
ADMIN_PAGES_PER_KIND = 1
PAGES_PER_ROLE = 300

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# Every field of a form set to each of these at once: each class of bad value reaches every
# field of every form at least once. The admin's forms are Django's own machinery around our
# model forms and actions, and there are a hundred and fifty of them: they get the first four
# (and a quarter of the mixes), which keeps the module to a few minutes.
SWEEP = [
    "²",
    "99999999999999999999",
    "2026-02-30",
    "x" * 10_000,
    "-99999999999999999999",
    "9999-12-31",
    "",
]
ADMIN_SWEEP = SWEEP[:4]
# Set in one field at a time, the others as the page has them: a value that passes a form's
# own checks fails only where it is used (a column, a date's next day), and a form whose other
# fields are all wrong never gets there.
ONE_AT_A_TIME = ["99999999999999999999", "9999-12-31", "x" * 10_000, "²"]

# What hypothesis draws from, besides random text.
HOSTILE = [
    " ",
    "\x00",
    "a\x00b",
    "²",
    "١٢",
    "１２",
    "1_000",
    "0",
    "-1",
    "3000000000",
    "9223372036854775808",
    "1e400",
    "NaN",
    "-Infinity",
    "0.000000000000000000001",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "2026-02-30T25:61:00+99:00",
    "名" * 3000,
    "../../etc/passwd",
    "..\\..\\boot.ini",
    "C:\\x.pdf",
    "a/b.pdf",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "queue",
    "' OR '1'='1' --",
    "1; DROP TABLE people_person; --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}{% debug %}",
    "%(name)s %s {0}",
    "\u202e\ufeff\u200b",
    "\U0001f600\U0001f469\u200d\U0001f469",
    "e\u0301\u0308\u0327",
    "\uffff\ufffe",
    "\r\n\t",
    "6401 0419 8005 1712 34",
    "64010419800517123X",
    *SWEEP,
]
UPLOAD_NAMES = ["x" * 300 + ".pdf", "名.pdf", ".pdf", "x", "a b.pdf"]
UPLOAD_BODIES = [b"", b"%PDF-1.4\n%%EOF\n", b"\x89PNG\r\n\x1a\n", b"\x00" * 64, b"GIF89a"]

# Pages that end the session (the rest of the crawl would be anonymous).
SKIP_PATHS = ("/accounts/logout/", "/admin/logout/", "/static/")

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")

# Forms driven so far, by (method, URL name, field names): the next role skips them.
DRIVEN: set = set()


# --------------------------------------------------------------------------- sending


def client_for(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        sign_in(client, world.user(role))
    return client


def send(client, method, url, data=None, **extra):
    """One request in a savepoint that is rolled back: (the answer, None) or (None, the
    exception the view raised)."""
    try:
        with transaction.atomic():
            response = getattr(client, method)(url, data or {}, **extra)
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 (whatever it is, it is the finding)
        return None, exc
    return response, None


def failed(response, exc) -> bool:
    return exc is not None or response.status_code >= 500


def describe(method, url, data, response, exc) -> str:
    shown = {k: (v if len(repr(v)) < 80 else repr(v)[:77] + "...") for k, v in data.items()}
    if exc is not None:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        why = f"{type(exc).__name__}: {str(exc)[:200]} at {where.filename}:{where.lineno}"
    else:
        why = f"answered {response.status_code}"
    return f"{method.upper()} {url} {shown} -> {why}"


# --------------------------------------------------------------------------- crawling


def route_of(url):
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def followable(url) -> bool:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return False
    return not parts.path.startswith(SKIP_PATHS) and route_of(url) is not None


def all_patterns(resolver=None, prefix="") -> list[str]:
    """Every URL pattern of the site as text, e.g. 'staff/cases/<id:pk>/'."""
    resolver = resolver or get_resolver()
    out = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            out.extend(all_patterns(p, prefix + str(p.pattern)))
        elif isinstance(p, URLPattern):
            out.append(prefix + str(p.pattern))
    return out


def crawl(client) -> tuple[list[Form], list[str]]:
    """(the forms on the pages the client reaches, the requests that failed on the way). The
    GET forms and links with a query string of one URL become one GET form with every key
    seen; POST forms are told apart by URL name and field names."""
    start = ["/" + p for p in all_patterns() if not PARAM.search(p) and "(" not in p]
    queue = [u for u in start if followable(u)]
    seen, per_kind, posts, gets, failures = set(queue), {}, {}, {}, []
    pages = 0

    def add_get(path, fields, found_on):
        form = gets.setdefault(route_of(path), Form("get", path, found_on=found_on))
        for f in fields:
            known = form.fields.get(f.name)
            if known is None or (f.options and not known.options):
                form.fields[f.name] = f

    def collect(page, url):
        for form in page.forms:
            target = urljoin(url, form.url) if form.url else url
            if not followable(target):
                continue
            if form.method == "get":
                add_get(urlsplit(target).path, form.fields.values(), url)
            else:
                form.url, form.found_on = target, url
                posts.setdefault((route_of(target), tuple(sorted(form.fields))), form)

    while queue and pages < PAGES_PER_ROLE:
        url = queue.pop(0)
        response, exc = send(client, "get", url)
        if failed(response, exc):
            failures.append(describe("get", url, {}, response, exc))
            continue
        if response.status_code in (301, 302):
            # A step that sends on to the next one (a booking's first question, ...).
            links = [response["Location"]]
        elif response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        else:
            pages += 1
            page = parse(response.content.decode("utf-8", "replace"))
            links = page.links
            collect(page, url)
        for href in links:
            target = urljoin(url, href.split("#")[0])
            if not followable(target) or target in seen:
                continue
            seen.add(target)
            parts = urlsplit(target)
            query = parse_qsl(parts.query, keep_blank_values=True)
            if query:
                add_get(parts.path, [Field(k, "text", default=[v]) for k, v in query], url)
            route = route_of(target)
            if route.startswith("admin:"):
                # One page of each: the admin's lists look alike whatever their filters are.
                kind, limit = (route,), ADMIN_PAGES_PER_KIND
            else:
                kind, limit = (route, tuple(sorted({k for k, _v in query}))), PAGES_PER_KIND
            if per_kind.get(kind, 0) < limit:
                per_kind[kind] = per_kind.get(kind, 0) + 1
                queue.append(target)
    return list(gets.values()) + list(posts.values()), failures


# --------------------------------------------------------------------------- values


hostile_text = st.sampled_from(HOSTILE) | st.text(
    alphabet=st.characters(exclude_categories=("Cs",)), max_size=40
)


def field_values(f: Field):
    """What hypothesis may put in one field: its own value, others of its options, a hostile
    value or random text, nothing, or the field two or three times."""
    if f.kind == "file":
        upload = st.builds(
            lambda name, body: [SimpleUploadedFile(name, body)],
            st.sampled_from(UPLOAD_NAMES),
            st.sampled_from(UPLOAD_BODIES),
        )
        return st.just([]) | upload
    choices = [st.just(list(f.default))]
    if f.options:
        choices.append(st.lists(st.sampled_from(f.options), max_size=2))
    choices += [
        hostile_text.map(lambda v: [v]),
        st.just([]),
        st.lists(hostile_text, min_size=2, max_size=3),
    ]
    return st.one_of(*choices)


def drive(client, form: Form, failures: list) -> None:
    """Send `form` unchanged, swept, one field at a time, emptied, doubled, then EXAMPLES
    hypothesis mixes; stop at its first failure (recorded in `failures`)."""

    def submit(values):
        data = {name: v for name, v in values.items() if v}
        if form.method == "post":
            data = {k: v if len(v) > 1 else v[0] for k, v in data.items()}
        response, exc = send(client, form.method, form.url, data)
        if failed(response, exc):
            failures.append(describe(form.method, form.url, data, response, exc))
            raise AssertionError(failures[-1])

    def every(value):
        return {
            name: [] if f.kind == "file" else [value]
            for name, f in form.fields.items()
            if name != "csrfmiddlewaretoken"
        }

    unchanged = {name: list(f.default) for name, f in form.fields.items()}
    doubled = {name: [*v, "²", "2026-02-30"] for name, v in unchanged.items()}
    if form.url.startswith("/admin/"):
        explicit, examples = [unchanged, *(every(v) for v in ADMIN_SWEEP)], max(EXAMPLES // 4, 1)
    else:
        alone = [
            {**unchanged, name: [value]}
            for value in ONE_AT_A_TIME
            for name, f in form.fields.items()
            if f.kind not in ("submit", "file") and name != "csrfmiddlewaretoken"
        ]
        explicit = [unchanged, *(every(v) for v in SWEEP), *alone, {}, doubled]
        examples = EXAMPLES

    @settings(FUZZ, max_examples=examples)
    @given(st.fixed_dictionaries({name: field_values(f) for name, f in form.fields.items()}))
    def mixes(values):
        submit(values)

    try:
        for values in explicit:
            submit(values)
        mixes()
    except AssertionError:
        pass


@pytest.mark.parametrize("role", list(ROLES))
def test_no_form_or_filter_answers_5xx_to_hostile_values(world, db, role):
    client = client_for(world, role)
    forms, failures = crawl(client)
    assert forms, f"{role} found no form"
    for form in forms:
        key = (form.method, route_of(form.url), tuple(sorted(form.fields)))
        if key in DRIVEN:
            continue
        DRIVEN.add(key)
        drive(client, form, failures)
    assert not failures, f"{len(failures)} failing request(s):\n" + "\n".join(failures)


# --------------------------------------------------------------------------- paths

# Refused by an id converter (a 404 whoever asks); for a slug, a string or the admin's paths,
# refused or not by the view; an id that fits its column but names no row.
REFUSED_IDS = ["99999999999999999999", "-1", "²"]
TEXT_SEGMENTS = [*REFUSED_IDS, "..", "%00", "x" * 300, "名"]
NO_ROW = "9223372036854775807"


def pattern_urls(pattern: str, values_for) -> list[str]:
    """The pattern with each parameter in turn set to each of `values_for(converter)`, the
    others to 1 (or "x" for a slug or a string)."""
    params = list(PARAM.finditer(pattern))
    urls = []
    for i, param in enumerate(params):
        for value in values_for(param.group("converter")):
            parts, end = [], 0
            for j, m in enumerate(params):
                if j == i:
                    filler = quote(value, safe="")
                else:
                    filler = "1" if m.group("converter") in ("id", "int") else "x"
                parts += [pattern[end : m.start()], filler]
                end = m.end()
            urls.append("/" + "".join(parts) + pattern[end:])
    return urls


def parametrised_patterns():
    return [p for p in all_patterns() if PARAM.search(p) and "(?P" not in p]


def test_no_url_answers_5xx_to_a_segment_its_converter_or_view_refuses(world, db):
    client = client_for(world, "admin")
    failures = []
    for pattern in parametrised_patterns():
        values = pattern_urls(pattern, lambda c: REFUSED_IDS if c == "id" else TEXT_SEGMENTS)
        for url in values:
            response, exc = send(client, "get", url)
            if failed(response, exc):
                failures.append(describe("get", url, {}, response, exc))
    assert not failures, f"{len(failures)} failing request(s):\n" + "\n".join(failures)


@pytest.mark.parametrize("role", ["anonymous", "citizen", "caseworker", "registrar", "admin"])
def test_no_url_answers_5xx_to_an_id_of_no_row(world, db, role):
    client = client_for(world, role)
    failures = []
    for pattern in parametrised_patterns():
        for url in pattern_urls(pattern, lambda c: [NO_ROW] if c == "id" else []):
            for method in ("get", "post"):
                response, exc = send(client, method, url)
                if failed(response, exc):
                    failures.append(describe(method, url, {}, response, exc))
    assert not failures, f"{len(failures)} failing request(s):\n" + "\n".join(failures)


# --------------------------------------------------------------------------- the device API

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)
reading_fields = st.fixed_dictionaries(
    {},
    optional={
        "event_id": json_values,
        "device_id": st.just("WATCH-0001") | json_values,
        "type": st.sampled_from(["heart_rate", "fall", "sos", "inactivity"]) | json_values,
        "value": st.integers() | st.floats() | json_values,
        "recorded_at": st.sampled_from(
            ["2026-02-30T08:00:00+08:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
        )
        | json_values,
    },
)
bodies = (
    reading_fields
    | st.fixed_dictionaries({"readings": st.lists(reading_fields, max_size=4) | json_values})
    | json_values
)


def test_the_device_api_answers_4xx_never_5xx_to_hostile_bodies(world, db):
    from eldercare import actions
    from eldercare.models import Device, DeviceReading

    device = Device.objects.select_related("platform").get(external_id="WATCH-0001")
    platform, token = actions.do_register_platform(acting_user=None, name="fuzz")
    actions.do_register_device(
        platform, acting_user=None, external_id="WATCH-0001", person=device.person
    )
    client = Client()

    def post(raw: bytes, content_type="application/json"):
        """Post `raw`; no 5xx, and a refused post (4xx, with its reasons) stores nothing."""
        with transaction.atomic():
            before = DeviceReading.objects.count()
            try:
                response = client.post(
                    "/eldercare/api/readings/",
                    raw,
                    content_type=content_type,
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                )
            except Exception as exc:  # noqa: BLE001
                raise AssertionError(describe("post", "api", {"body": raw}, None, exc)) from exc
            assert response.status_code < 500, describe(
                "post", "api", {"body": raw}, response, None
            )
            if response.status_code >= 400:
                assert response.json()["error"], response.content
                assert DeviceReading.objects.count() == before, raw
            transaction.set_rollback(True)
        return response

    for raw in [
        b"{not json",
        b"[" * 100_000,
        b'{"value": ' + b"9" * 5000 + b"}",
        b'{"event_id": "\\u0000", "device_id": "\\ud800"}',
        b"\x00",
        b"\xff\xfe",
    ]:
        assert post(raw).status_code == 400
    assert post(b"event_id=1", "application/x-www-form-urlencoded").status_code == 415

    @FUZZ
    @given(bodies)
    def hostile(body):
        post(json.dumps(body).encode())

    hostile()

"""The inter-agency API: who may call it, what it answers, and that every call is logged."""

import datetime as dt

import pytest
from django.utils import timezone

from civilaffairs.exchange.models import ApiCall

from .conftest import make_department

pytestmark = pytest.mark.django_db


def test_a_department_reads_a_person_by_id_number_with_the_standards_codes(dept, family):
    head = family["head"]
    r = dept.post("/api/v1/persons/lookup/", {"id_number": head.id_number})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["name"] == "王晓明"
    assert body["sex"] == "1"  # GB/T 2261.1
    assert body["marital_status"] == "20"  # GB/T 2261.2
    assert body["birth_date"] == "1970-03-08"
    assert body["living"] is True
    # Masked to the address code: the date of birth beside it must not complete it.
    assert body["id_number"] == head.id_number[:6] + "*" * 12
    # Health data is above this grant's level: left out, not sent empty.
    assert "disability_grade" not in body
    call = ApiCall.objects.get()
    assert call.department == "公安局" and call.endpoint == "persons:read"
    assert call.purpose == "check" and call.subjects == [head.pk]
    assert "person.name" in call.fields and "person.disability_grade" not in call.fields


def test_a_grant_that_shows_full_numbers_shows_them(client, regions, family):
    dept = make_department(client, "卫健委", ids=True)
    r = dept.post("/api/v1/persons/lookup/", {"id_number": family["head"].id_number})
    assert r.json()["id_number"] == family["head"].id_number


def test_the_id_number_may_be_typed_with_spaces_and_a_small_x(dept, family):
    raw = family["head"].id_number
    spaced = f"{raw[:6]} {raw[6:14]} {raw[14:].lower()}"
    assert dept.post("/api/v1/persons/lookup/", {"id_number": spaced}).status_code == 200


def test_the_household_and_its_members(dept, family):
    r = dept.post("/api/v1/persons/household/", {"id_number": family["wife"].id_number})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["region"] == family["head"].residence_region_id
    relations = {m["name"]: m["relation"] for m in body["members"]}
    assert relations == {"王晓明": "02", "李芳": "10"}  # GB/T 4761
    assert all("*" in m["id_number_masked"] for m in body["members"])
    assert sorted(ApiCall.objects.get().subjects) == sorted([family["head"].pk, family["wife"].pk])


def test_benefit_status_says_since_when_and_how_much(dept, family):
    r = dept.post("/api/v1/persons/benefits/", {"id_number": family["head"].id_number})
    assert r.status_code == 200, r.content
    [benefit] = r.json()["benefits"]
    month = timezone.localdate().replace(day=1)
    assert benefit["program"] == "assistance.dibao"
    assert benefit["program_name"]["zh-hans"] and benefit["program_name"]["en"]
    assert benefit["receiving"] is True
    assert benefit["since"] == f"{month:%Y-%m}"
    assert benefit["monthly_amount"] == "720.00"
    wife = dept.post("/api/v1/persons/benefits/", {"id_number": family["wife"].id_number})
    assert wife.json()["benefits"] == []


def test_marital_status_uses_the_registrys_check(dept, family):
    r = dept.post("/api/v1/persons/marital-status/", {"id_number": family["head"].id_number})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["marital_status"] == "20"
    # No marriage registered through this portal's registry: the check says so.
    assert body["married_now"] is False


def test_case_status_by_reference(dept, family):
    case = family["case"]
    r = dept.get(f"/api/v1/cases/{case.reference}/")
    assert r.status_code == 200, r.content
    assert r.json()["reference"] == case.reference
    assert r.json()["state"] == case.state
    assert set(r.json()["state_name"]) == {"zh-hans", "en"}
    assert dept.get("/api/v1/cases/NO-SUCH-REF/").status_code == 404


def test_the_recipient_list_is_keyset_paged(dept, family, regions):
    from decimal import Decimal

    from civilaffairs.benefits.actions.ledger import do_grant
    from civilaffairs.casework.actions import do_create_case
    from civilaffairs.people.models import Region
    from tests.factories import PersonFactory

    region = Region.objects.get(code="640104001")
    month = timezone.localdate().replace(day=1)
    for _ in range(4):
        person = PersonFactory()
        case = do_create_case(
            acting_user=None, service="assistance.dibao", region=region, applicant=person
        )
        do_grant(
            case,
            acting_user=None,
            person=person,
            program="assistance.dibao",
            monthly_amount=Decimal("500"),
            start_month=month,
        )
    params = {"program": "assistance.dibao", "region": "640104", "month": f"{month:%Y-%m}"}
    seen, after = [], None
    while True:
        page = dept.get(
            "/api/v1/recipients/", {**params, "limit": "2", **({"after": after} if after else {})}
        )
        assert page.status_code == 200, page.content
        seen += [row["person_id"] for row in page.json()["results"]]
        after = page.json()["next_after"]
        if after is None:
            break
    assert len(seen) == 5 and len(set(seen)) == 5
    assert family["head"].pk in seen


@pytest.mark.parametrize(
    "query,field,problem",
    [
        (
            {"program": "assistance.dibao", "region": "640104", "month": "2026-12", "name": "王"},
            "name",
            "unknown_filter",
        ),
        ({"program": "nope", "region": "640104", "month": "2026-12"}, "program", "invalid"),
        (
            {"program": "assistance.dibao", "region": "999999", "month": "2026-12"},
            "region",
            "invalid",
        ),
        (
            {"program": "assistance.dibao", "region": "640104", "month": "12/2026"},
            "month",
            "invalid",
        ),
        (
            {"program": "assistance.dibao", "region": "640104", "month": "2026-12", "limit": "0"},
            "limit",
            "invalid",
        ),
        (
            {"program": "assistance.dibao", "region": "640104", "month": "2026-12", "after": "-1"},
            "after",
            "invalid",
        ),
        # A digit to str.isdigit, not to int(): answered 500 (found by fuzzing).
        (
            {"program": "assistance.dibao", "region": "640104", "month": "2026-12", "after": "²"},
            "after",
            "invalid",
        ),
        (
            {"program": "assistance.dibao", "region": "640104", "month": "2026-12", "limit": "²"},
            "limit",
            "invalid",
        ),
        ({}, "program", "invalid"),
    ],
)
def test_filters_fail_closed(dept, query, field, problem):
    r = dept.get("/api/v1/recipients/", query)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid"
    assert {"field": field, "code": problem} in [
        {"field": e["field"], "code": e["code"]} for e in body["errors"]
    ]
    assert all(e["message"]["zh-hans"] and e["message"]["en"] for e in body["errors"])
    assert body["message"]["zh-hans"] != body["message"]["en"]


def test_every_problem_of_a_body_is_listed(dept):
    r = dept.post("/api/v1/persons/lookup/", {"id_number": "123", "name": "x"})
    assert r.status_code == 400
    assert sorted((e["field"], e["code"]) for e in r.json()["errors"]) == [
        ("body", "unknown_field"),
        ("id_number", "invalid"),
    ]


def test_a_body_that_is_not_json_is_a_400_in_both_languages(dept):
    r = dept.http.post(
        "/api/v1/persons/lookup/", "{not json", content_type="application/json", **dept.headers()
    )
    assert r.status_code == 400
    assert r.json()["code"] == "parse_error"
    assert set(r.json()["message"]) == {"zh-hans", "en"}


def test_outside_its_region_a_client_finds_nothing(client, regions, family, elsewhere):
    xixia = make_department(client, "西夏区公安分局", region="640105")
    r = xixia.post("/api/v1/persons/lookup/", {"id_number": family["head"].id_number})
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert xixia.get(f"/api/v1/cases/{family['case'].reference}/").status_code == 404
    assert (
        xixia.post("/api/v1/persons/lookup/", {"id_number": elsewhere.id_number}).status_code == 200
    )
    month = timezone.localdate().replace(day=1)
    r = xixia.get(
        "/api/v1/recipients/",
        {"program": "assistance.dibao", "region": "640104", "month": f"{month:%Y-%m}"},
    )
    assert r.status_code == 200 and r.json()["results"] == []


def test_a_case_above_the_grants_level_is_not_found(client, regions, family):
    low = make_department(client, "统计局", level=0)
    assert family["case"].confidentiality > 0
    assert low.get(f"/api/v1/cases/{family['case'].reference}/").status_code == 404


ENDPOINT_CALLS = [
    ("persons:read", "post", "/api/v1/persons/lookup/"),
    ("households:read", "post", "/api/v1/persons/household/"),
    ("benefits:read", "post", "/api/v1/persons/benefits/"),
    ("marriage:read", "post", "/api/v1/persons/marital-status/"),
    ("cases:read", "get", "/api/v1/cases/{ref}/"),
    ("recipients:read", "get", "/api/v1/recipients/"),
    ("deaths:write", "post", "/api/v1/notices/deaths/"),
    ("incomes:write", "post", "/api/v1/notices/incomes/"),
    ("disabilities:write", "post", "/api/v1/notices/disabilities/"),
    ("premarital:write", "post", "/api/v1/notices/premarital-checks/"),
    ("economic-checks:answer", "get", "/api/v1/economic-checks/"),
]


def _send(dept, method, path, family, **kw):
    path = path.format(ref=family["case"].reference)
    if method == "post":
        return dept.post(path, {"id_number": family["head"].id_number}, **kw)
    month = timezone.localdate().replace(day=1)
    query = (
        {"program": "assistance.dibao", "region": "640104", "month": f"{month:%Y-%m}"}
        if "recipients" in path
        else {}
    )
    return dept.get(path, query, **kw)


@pytest.mark.parametrize("endpoint,method,path", ENDPOINT_CALLS)
def test_every_endpoint_refuses_a_client_whose_grant_lacks_it(
    client, regions, family, endpoint, method, path
):
    from .conftest import ALL

    others = [e for e in ALL if e != endpoint]
    dept = make_department(client, "民政以外", endpoints=others)
    r = _send(dept, method, path, family)
    assert r.status_code == 403
    assert r.json()["code"] == "endpoint_not_granted"
    assert ApiCall.objects.filter(status=403, endpoint=endpoint).count() == 1
    assert ApiCall.objects.get(status=403).subjects == []


@pytest.mark.parametrize("endpoint,method,path", ENDPOINT_CALLS)
def test_every_endpoint_refuses_no_token_and_an_expired_one(dept, family, endpoint, method, path):
    from oauth2_provider.models import AccessToken

    path_ = path.format(ref=family["case"].reference)
    bare = getattr(dept.http, method)(path_, HTTP_X_PURPOSE="check")
    assert bare.status_code == 401
    assert bare.json()["code"] == "not_authenticated"
    token = dept.token()
    AccessToken.objects.filter(token_checksum__isnull=False).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = _send(dept, method, path, family, token=token)
    assert expired.status_code == 401
    assert expired.json()["code"] == "authentication_failed"


def test_a_staff_session_does_not_open_the_api(client, personas, family):
    from tests.auth import sign_in

    sign_in(client, personas.caseworker)
    r = client.post(
        "/api/v1/persons/lookup/",
        {"id_number": family["head"].id_number},
        content_type="application/json",
        HTTP_X_PURPOSE="check",
    )
    assert r.status_code == 401


def test_a_purpose_is_required_and_must_be_granted(dept, family):
    body = {"id_number": family["head"].id_number}
    r = dept.post("/api/v1/persons/lookup/", body, purpose=None)
    assert r.status_code == 400 and r.json()["code"] == "purpose_required"
    r = dept.post("/api/v1/persons/lookup/", body, purpose="curiosity")
    assert r.status_code == 403 and r.json()["code"] == "purpose_not_granted"
    r = dept.post("/api/v1/persons/lookup/", body, purpose="case")
    assert r.status_code == 400 and r.json()["code"] == "reference_required"
    r = dept.post("/api/v1/persons/lookup/", body, purpose="case", reference="XQ-2026-001")
    assert r.status_code == 200
    assert ApiCall.objects.filter(status=200).get().reference == "XQ-2026-001"


def test_an_expired_or_withdrawn_grant_lets_nothing_through(dept, family):
    dept.token()
    dept.grant.expires_at = timezone.now() - dt.timedelta(minutes=1)
    dept.grant.save()
    r = dept.post("/api/v1/persons/lookup/", {"id_number": family["head"].id_number})
    assert r.status_code == 403 and r.json()["code"] == "no_grant"


def test_the_rate_per_minute_and_the_daily_quota_answer_429(client, regions, family):
    from django.core.cache import cache

    cache.clear()
    fast = make_department(client, "限速", per_minute=2, per_day=1000)
    body = {"id_number": family["head"].id_number}
    codes = [fast.post("/api/v1/persons/lookup/", body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    last = fast.post("/api/v1/persons/lookup/", body)
    assert last.json()["code"] == "rate_limited" and int(last["Retry-After"]) <= 60
    daily = make_department(client, "限额", per_minute=100, per_day=2)
    codes = [daily.post("/api/v1/persons/lookup/", body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert daily.post("/api/v1/persons/lookup/", body).json()["code"] == "quota_exceeded"


def test_the_schema_and_its_documentation_are_served_offline(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    assert "swagger-ui" in html


def test_a_nul_anywhere_is_refused_in_json_before_any_view(dept):
    r = dept.get("/api/v1/recipients/", {"program": "a\x00b"})
    assert r.status_code == 400
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "bad_input" and set(r.json()["message"]) == {"zh-hans", "en"}


def test_an_address_that_names_no_endpoint_is_a_json_404(dept):
    for path in ("/api/v1/economic-checks/-3/answers/", "/api/v1/nothing/"):
        r = dept.get(path)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    r = strict.post("/api/v1/economic-checks/-3/answers/", {}, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"

"""Bad input gets a clear answer in the user's language, never a 500: one test for each example
the fuzzer found (issue #14), and for the classes behind them.

The fuzzer (test_fuzz.py) proves no 5xx over every form; these say what the answer is."""

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from civilaffairs.casework.models import Case, Document
from civilaffairs.lib import idnumber
from tests.auth import sign_in
from tests.security.htmlforms import parse


@pytest.fixture
def en():
    """A client that reads the site in English (the language switch's cookie)."""

    def make(user=None):
        client = Client()
        client.cookies["lang"] = "en"
        if user is not None:
            sign_in(client, user)
        return client

    return make


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --------------------------------------------------------------------------- NUL characters


def test_a_nul_in_the_staff_person_search_is_a_400_in_both_languages(world, db, en):
    response = en(world.user("caseworker")).get("/staff/people/", {"q": "王\x00"})
    assert response.status_code == 400
    assert "The request could not be read" in text(response)
    assert "无法读取" in text(response)


def test_a_nul_in_a_posted_field_is_a_400_and_nothing_is_saved(world, db, en):
    citizen = world.user("citizen")
    before = citizen.person.address
    response = en(citizen).post(
        "/accounts/profile/", {"phone": "13800000001", "address": "银川\x00"}
    )
    assert response.status_code == 400
    citizen.person.refresh_from_db()
    assert citizen.person.address == before


def test_a_nul_in_a_cookie_is_no_session_and_no_lock_out(world, db):
    """A browser sends a bad cookie with every request until it is cleared: it is read as no
    value (no session, the default language), never a 400 that would lock its owner out."""
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    client.cookies["lang"] = "en\x00"
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert not response.wsgi_request.user.is_authenticated


def test_a_nul_in_the_address_is_a_400(world, db):
    assert Client().get("/orgs/register/%00/").status_code == 400


# --------------------------------------------------------------------------- query strings


def test_the_marriage_booking_ignores_a_registry_in_digits_int_refuses(world, db, en):
    response = en(world.user("citizen")).get("/marriage/book/registration/", {"registry": "²"})
    assert response.status_code == 200
    assert response.context["registry"] is None
    assert any("“registry”" in m and "ignored" in m for m in messages_of(response))


def test_the_marriage_booking_ignores_an_impossible_date(world, db, en):
    from marriage.models import RegistrationOffice

    registry = RegistrationOffice.objects.bookable().order_by("code").first()
    response = en(world.user("citizen")).get(
        "/marriage/book/registration/", {"registry": registry.pk, "date": "2026-02-30"}
    )
    assert response.status_code == 200
    assert response.context["registry"] == registry and response.context["day"] is None
    assert any("“date”" in m for m in messages_of(response))


def test_the_marriage_booking_answers_a_nul_in_its_search_with_a_400(world, db):
    response = Client()
    sign_in(response, world.user("citizen"))
    assert response.get("/marriage/book/registration/", {"q": "\x00"}).status_code == 400


@pytest.mark.parametrize("date", ["2026-02-30", "9999-12-31", "0000-01-01", "²⁰²⁶-01-01"])
def test_the_registrar_day_list_shows_today_for_a_date_that_cannot_be_used(world, db, en, date):
    from django.utils import timezone

    response = en(world.user("registrar")).get("/marriage/staff/", {"date": date})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()
    assert any("“date”" in m for m in messages_of(response))


def test_the_registrar_day_list_ignores_a_registry_in_digits_int_refuses(world, db, en):
    response = en(world.user("registrar")).get("/marriage/staff/", {"registry": "²"})
    assert response.status_code == 200 and response.context["registry_id"] is None


@pytest.mark.parametrize("values", [["a\x00b", 1], ["\ud800", 1], ["x", float("inf")]])
def test_a_cursor_with_text_no_column_can_hold_starts_at_the_first_page(world, db, values):
    """The register of organizations is paged by name: a NUL or a lone surrogate in the
    cursor's name, or an infinite id, answered 500 (found by fuzzing)."""
    from civilaffairs.lib.paging import _encode

    response = Client().get("/orgs/register/", {"after": _encode(values)})
    assert response.status_code == 200


def test_a_malformed_page_cursor_starts_at_the_first_page(world, db, en):
    response = en(world.user("caseworker")).get("/staff/people/", {"after": "!!not a cursor"})
    assert response.status_code == 200
    assert any("“after”" in m for m in messages_of(response))


# --------------------------------------------------------------------------- next, ids


@pytest.mark.parametrize("target", ["queue", "//evil.example/", "https://evil.example/", "/\\x"])
def test_bulk_assignment_sends_an_unsafe_next_back_to_the_office_queue(world, db, target):
    client = sign_in(Client(), world.user("supervisor"))
    response = client.post("/staff/cases/bulk-assign/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:queue-office")


def test_bulk_assignment_goes_back_to_the_page_it_came_from(world, db):
    client = sign_in(Client(), world.user("supervisor"))
    response = client.post("/staff/cases/bulk-assign/", {"next": "/staff/cases/office/?state=x"})
    assert response["Location"] == "/staff/cases/office/?state=x"


@pytest.mark.parametrize("pk", ["99999999999999999999", "9223372036854775808", "-1", "١٢"])
def test_an_id_no_column_can_hold_is_a_404(world, db, pk):
    client = sign_in(Client(), world.user("admin"))
    assert client.get(f"/staff/people/{pk}/").status_code == 404
    assert client.get(f"/staff/cases/{pk}/").status_code == 404


def test_the_largest_id_a_column_holds_is_a_404_when_there_is_no_such_row(world, db):
    client = sign_in(Client(), world.user("admin"))
    assert client.get("/staff/people/9223372036854775807/").status_code == 404


# --------------------------------------------------------------------------- numbers


def test_the_occupancy_form_refuses_three_billion_beds(world, db, en):
    from eldercare.models import Institution

    client = en(world.user("supervisor"))
    inst = next(
        i
        for i in Institution.objects.order_by("pk")
        if client.get(f"/eldercare/institutions/{i.pk}/occupancy/").status_code == 200
    )
    response = client.post(
        f"/eldercare/institutions/{inst.pk}/occupancy/",
        {"beds_total": "3000000000", "beds_occupied": "0"},
    )
    assert response.status_code in (200, 400)
    assert "less than or equal to 50000" in text(response)
    assert Institution.objects.get(pk=inst.pk).beds_total == inst.beds_total


# --------------------------------------------------------------------------- the admin


def test_saving_an_active_rule_set_unchanged_in_the_admin_keeps_it_as_it_was(world, db, en):
    from civilaffairs.rules.models import RuleSet

    ruleset = RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).order_by("pk").first()
    rules = list(ruleset.rules.values_list("pk", "condition"))
    client = en(world.user("admin"))
    url = reverse("admin:rules_ruleset_change", args=[ruleset.pk])
    form = next(f for f in parse(text(client.get(url))).forms if "rules-TOTAL_FORMS" in f.fields)
    response = client.post(url, form.data())
    assert response.status_code == 302
    ruleset.refresh_from_db()
    assert ruleset.status == RuleSet.Status.ACTIVE
    assert list(ruleset.rules.values_list("pk", "condition")) == rules


@pytest.mark.parametrize("year", ["99999999999999999999", "9999", "0"])
def test_the_admin_date_drill_down_refuses_a_year_with_no_next_year(world, db, year):
    client = sign_in(Client(), world.user("admin"))
    response = client.get("/admin/casework/case/", {"submitted_at__year": year})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert client.get(response["Location"]).status_code == 200


def test_the_admin_login_refuses_a_ten_thousand_character_user_name(world, db):
    response = Client().post("/admin/login/", {"username": "x" * 10_000, "password": "y" * 20})
    assert response.status_code == 200
    assert response.context["form"].errors


# --------------------------------------------------------------------------- ID numbers


def grouped(number: str) -> str:
    """An ID number as people often type it: in groups of four, with spaces."""
    return " ".join(number[i : i + 4] for i in range(0, 18, 4))


def test_signing_up_with_an_id_number_typed_in_groups_of_four_works(world, db):
    from civilaffairs.accounts.models import User

    number = idnumber.make("640104", dt.date(1990, 5, 17), 123)
    typed = grouped(number)
    assert len(typed) == 22
    response = Client().post(
        "/accounts/signup/",
        {
            "name": "分组号",
            "id_number": typed,
            "phone": "13912345678",
            "password1": "Correct-Horse-Battery-7",
            "password2": "Correct-Horse-Battery-7",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(phone="13912345678").person.id_number == number


def _id_number_fields():
    from childwelfare.forms import GuardianForm, ParentsForm, ReportFindForm
    from civilaffairs.accounts.forms import SignUpForm
    from eldercare.forms import FamilyLinkForm
    from marriage.forms import RegistrationBookingForm, ReplacementSearchForm
    from orgs.forms import NeedForm, RepresentativeMixin

    return [
        (SignUpForm, "id_number"),
        (RegistrationBookingForm, "partner_id_number"),
        (ReplacementSearchForm, "id_number"),
        (RepresentativeMixin, "representative_id_number"),
        (NeedForm, "household_id_number"),
        (FamilyLinkForm, "elder_id_number"),
        (ReportFindForm, "id_number"),
        (GuardianForm, "id_number"),
        (ParentsForm, "father_id_number"),
        (ParentsForm, "mother_id_number"),
    ]


@pytest.mark.parametrize(("form", "name"), _id_number_fields())
def test_every_id_number_field_takes_the_number_in_groups_and_in_wide_digits(form, name):
    number = idnumber.make("640104", dt.date(1990, 5, 17), 124)
    field = form.base_fields[name]
    assert field.clean(grouped(number)) == number
    assert (
        field.clean(number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))) == number
    )
    assert field.clean(number.lower()) == number


def test_an_id_number_of_another_length_is_refused_saying_what_an_id_number_is(db):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from marriage.forms import ReplacementSearchForm

    field = ReplacementSearchForm.base_fields["id_number"]
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            field.clean("6401 0419 9005 1712 3456 78")
        assert refused.value.messages == [
            "An ID number has 18 characters (the last may be X); this has 22."
        ]
    with translation.override("zh-hans"):
        assert refused.value.messages == ["身份证号码应为18位（最后一位可能是X），您输入的是22位。"]


def test_the_registrar_finds_a_person_by_an_id_number_typed_in_groups(world, db):
    from marriage.models import Certificate

    cert = Certificate.objects.select_related("holder").order_by("pk").first()
    client = sign_in(Client(), world.user("registrar"))
    response = client.get(
        "/marriage/staff/replacement/", {"id_number": grouped(cert.holder.id_number)}
    )
    assert response.status_code == 200 and response.context["person"] == cert.holder


# --------------------------------------------------------------------------- replacement


def _replacement_page(client, person):
    html = text(client.get("/marriage/staff/replacement/", {"id_number": person.id_number}))
    return re.search(r'name="lookup" value="([^"]+)"', html).group(1)


def test_a_certificate_is_not_replaced_from_a_bare_id_without_the_look_up(world, db, en):
    from marriage.models import Certificate

    cert = Certificate.objects.filter(voided_on__isnull=True).order_by("pk").first()
    client = en(world.user("registrar"))
    response = client.post("/marriage/staff/replacement/", {"certificate": cert.pk}, follow=True)
    assert any("Find the person by their ID number first" in m for m in messages_of(response))
    cert.refresh_from_db()
    assert cert.voided_on is None


def test_the_look_up_of_one_person_does_not_replace_another_persons_certificate(world, db, en):
    from marriage.models import Certificate

    mine, theirs = Certificate.objects.filter(voided_on__isnull=True).order_by("pk")[:2]
    assert mine.holder_id != theirs.holder_id
    client = en(world.user("registrar"))
    lookup = _replacement_page(client, mine.holder)
    client.post("/marriage/staff/replacement/", {"lookup": lookup, "certificate": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.voided_on is None
    client.post("/marriage/staff/replacement/", {"lookup": lookup, "certificate": mine.pk})
    mine.refresh_from_db()
    assert mine.voided_on is not None


def test_a_look_up_made_by_another_registrar_replaces_nothing(world, db):
    from civilaffairs.accounts.models import User
    from marriage.models import Certificate

    cert = Certificate.objects.filter(voided_on__isnull=True).order_by("pk").first()
    lookup = _replacement_page(sign_in(Client(), world.user("admin")), cert.holder)
    other = User.objects.filter(is_superuser=False, staff_roles__role="registrar").first()
    client = sign_in(Client(), other)
    client.post("/marriage/staff/replacement/", {"lookup": lookup, "certificate": cert.pk})
    cert.refresh_from_db()
    assert cert.voided_on is None


# --------------------------------------------------------------------------- uploads


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


def multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    """A form post with one file, its name exactly as given: the test client would send only
    the name's last part, as most browsers do."""
    boundary = "fuzz-boundary-7f3a"
    out = b""
    for name, value in fields.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    out += content + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _open_case_of(user):
    return Case.objects.visible_to(user).filter(closed_at__isnull=True).order_by("pk").first()


@pytest.mark.parametrize("name", ["../../x.pdf", "a/b.pdf", "C:\\x.pdf", "..\\..\\x.pdf"])
def test_an_upload_named_like_a_path_is_refused_not_renamed(world, db, en, private_media, name):
    caseworker = world.user("caseworker")
    case = _open_case_of(caseworker)
    before = Document.objects.filter(case=case).count()
    body, content_type = multipart({"kind": "income_proof"}, name, PDF)
    response = en(caseworker).post(
        f"/staff/cases/{case.pk}/documents/", body, content_type=content_type
    )
    assert response.status_code == 400
    assert "is not allowed. Please rename the file." in text(response)
    assert Document.objects.filter(case=case).count() == before


def test_an_upload_with_a_plain_name_is_stored_under_it(world, db, en, private_media):
    caseworker = world.user("caseworker")
    case = _open_case_of(caseworker)
    body, content_type = multipart({"kind": "income_proof"}, "收入证明.pdf", PDF)
    response = en(caseworker).post(
        f"/staff/cases/{case.pk}/documents/", body, content_type=content_type
    )
    assert response.status_code == 302
    assert Document.objects.filter(case=case, original_name="收入证明.pdf").exists()


# --------------------------------------------------------------------------- the device API


@pytest.fixture
def platform_token(world, db):
    from eldercare import actions
    from eldercare.models import Device

    elder = Device.objects.get(external_id="WATCH-0001").person
    platform, token = actions.do_register_platform(acting_user=None, name="测试")
    actions.do_register_device(platform, acting_user=None, external_id="W-9", person=elder)
    return token


def post_readings(token, raw, content_type="application/json"):
    return Client().post(
        "/eldercare/api/readings/",
        raw,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_device_api_lists_every_problem_of_a_reading_and_stores_nothing(platform_token):
    from eldercare.models import DeviceReading

    body = {
        "readings": [
            {"event_id": 7, "device_id": ["W-9"], "type": "heart_rate", "value": 10**400},
            {"device_id": "W-9", "type": "fall", "recorded_at": "2026-02-30T08:00:00+08:00"},
        ]
    }
    response = post_readings(platform_token, json.dumps(body))
    assert response.status_code == 400
    problems = {(d["index"], d["field"]) for d in response.json()["details"]}
    assert problems == {
        (0, "event_id"),
        (0, "device_id"),
        (0, "value"),
        (0, "recorded_at"),
        (1, "event_id"),
        (1, "recorded_at"),
    }
    assert not DeviceReading.objects.filter(device__external_id="W-9").exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event_id": "a\\u0000b", "device_id": "W-9", "type": "fall"}',
        b'{"event_id": "\\ud800", "device_id": "W-9", "type": "fall"}',
        b'{"value": ' + b"9" * 5000 + b"}",
        b"[" * 50_000,
    ],
)
def test_the_device_api_answers_400_to_json_postgresql_or_python_cannot_take(platform_token, raw):
    response = post_readings(platform_token, raw)
    assert response.status_code == 400 and response.json()["details"]


def test_the_device_api_refuses_a_form_body_before_reading_it(platform_token):
    response = post_readings(platform_token, "event_id=1", "application/x-www-form-urlencoded")
    assert response.status_code == 415

"""The data standard: every API field has an element, every code sent is in its code list,
and the catalogue is published as a page, JSON and CSV."""

import csv
import io

import pytest
from django.apps import apps

from civilaffairs.exchange import catalogue
from civilaffairs.exchange.serializers import PUBLISHED, CodeField

pytestmark = pytest.mark.django_db


def test_every_api_field_has_a_catalogue_element():
    missing = [
        f"{s.dataset}.{name}"
        for s in PUBLISHED
        for name in s().fields
        if f"{s.dataset}.{name}" not in catalogue.BY_CODE
    ]
    assert missing == []


def test_every_element_names_a_code_list_that_exists_and_a_field_that_exists():
    lists = catalogue.code_lists()
    for e in catalogue.ELEMENTS:
        if e.code_list:
            assert e.code_list in lists, e.code
        if e.model_field:
            app_model, field = e.model_field.rsplit(".", 1)
            apps.get_model(app_model)._meta.get_field(field)
        names = e.names()
        assert names["zh-hans"] and names["en"], e.code


def test_every_stored_value_of_a_coded_field_goes_out_as_a_listed_code():
    """A new choice on a model (a new relation, say) fails here until the catalogue lists it."""
    lists = catalogue.code_lists()
    for s in PUBLISHED:
        for name, f in s().fields.items():
            if not isinstance(f, CodeField):
                continue
            element = catalogue.BY_CODE[f"{s.dataset}.{name}"]
            assert element.code_list == f.code_list, element.code
            app_model, field_name = element.model_field.rsplit(".", 1)
            choices = apps.get_model(app_model)._meta.get_field(field_name).choices
            listed = lists[f.code_list].codes()
            for stored, _label in choices:
                assert lists[f.code_list].to_code(stored) in listed, (element.code, stored)


def test_the_answers_codes_are_listed(dept, family):
    lists = catalogue.code_lists()
    person = dept.post("/api/v1/persons/lookup/", {"id_number": family["head"].id_number}).json()
    assert person["sex"] in lists["GB/T 2261.1"].codes()
    assert person["marital_status"] in lists["GB/T 2261.2"].codes()
    household = dept.post(
        "/api/v1/persons/household/", {"id_number": family["head"].id_number}
    ).json()
    for member in household["members"]:
        assert member["relation"] in lists["GB/T 4761"].codes()
    benefits = dept.post("/api/v1/persons/benefits/", {"id_number": family["head"].id_number})
    for b in benefits.json()["benefits"]:
        assert b["program"] in lists["program"].codes()


def test_the_standard_is_a_public_page_in_both_languages(client):
    client.cookies["lang"] = "zh-hans"
    zh = client.get("/standards/")
    assert zh.status_code == 200
    text = zh.content.decode()
    assert "数据标准" in text and "person.id_number" in text and "GB/T 4761" in text
    client.cookies["lang"] = "en"
    en = client.get("/standards/")
    assert "Data standard" in en.content.decode()


def test_the_standard_downloads_as_json_and_csv(client):
    body = client.get("/standards/catalogue.json").json()
    codes = {e["code"] for e in body["elements"]}
    assert codes == set(catalogue.BY_CODE)
    sex = [v for v in body["code_lists"] if v["code_list"] == "GB/T 2261.1"]
    assert {v["code"] for v in sex} == {"0", "1", "2", "9"}
    assert {v["name_zh"] for v in sex} >= {"男", "女"}
    by_code = {e["code"]: e for e in body["elements"]}
    assert by_code["person.birth_date"]["type"] == "date"
    assert by_code["person.name"]["name_zh"] == "姓名"
    response = client.get("/standards/catalogue.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "code" and any(r and r[0] == "person.sex" for r in rows)

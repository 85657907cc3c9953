import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from civilaffairs.imports import run
from civilaffairs.imports.checks import COLUMNS
from civilaffairs.lib import idnumber
from civilaffairs.people.models import Person
from tests.factories import PersonFactory

HEADER = [aliases[0] for _f, aliases, _l in COLUMNS]


def csv_file(rows, *, header=HEADER, name="legacy.csv", encoding="utf-8-sig"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def row(name, id_number="", sex="", birth="", hukou="", residence="", **kw):
    """A line of the template's columns, by keyword for the rest."""
    values = {
        "name": name,
        "id_number": id_number,
        "sex": sex,
        "birth_date": birth,
        "hukou_region": hukou,
        "residence_region": residence,
        **kw,
    }
    return [values.get(field, "") for field, _a, _l in COLUMNS]


@pytest.fixture
def storage(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"].get("OPTIONS", {}),
                "location": str(tmp_path),
            },
        },
    }
    return tmp_path


@pytest.fixture
def importer(personas, storage):
    """The township caseworker of 凤凰北街街道 (640104001), given the import permission."""
    user = personas.caseworker
    user.user_permissions.add(Permission.objects.get(codename="run_import"))
    return type(user).objects.get(pk=user.pk)  # drop the permission cache


@pytest.fixture(autouse=True)
def _no_crash():
    yield
    run.crash_after = None


def _id(birth, sex="M", seq=11, code="640104"):
    seq = seq * 2 + (1 if sex == "M" else 0)
    return idnumber.make(code, birth, seq % 1000)


@pytest.fixture
def world(importer):
    """On the register before the import: 张伟 (with a number), 王小明 without a number, and
    李娜 whose number a legacy row carries under another name."""
    zhang = PersonFactory(
        name="张伟",
        sex="M",
        birth_date=dt.date(1970, 1, 5),
        id_number=_id(dt.date(1970, 1, 5), seq=1),
        phone="13900000001",
    )
    wang = PersonFactory(
        name="王小明",
        sex="M",
        birth_date=dt.date(1990, 6, 1),
        id_type=Person.IdType.NONE,
        id_number=None,
    )
    li = PersonFactory(
        name="李娜",
        sex="F",
        birth_date=dt.date(1985, 2, 2),
        id_number=_id(dt.date(1985, 2, 2), "F", 3),
    )
    return {"zhang": zhang, "wang": wang, "li": li}

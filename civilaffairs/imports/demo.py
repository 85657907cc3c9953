"""The demo's import: the county approver of 兴庆区 may import, and one small legacy file of
凤凰北街街道 has been imported already, so that its report and a possible duplicate can be
seen after `make run` (README)."""

import csv
import io

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from civilaffairs.accounts.models import User
from civilaffairs.lib import idnumber
from civilaffairs.people.models import Person, Region

from .checks import COLUMNS
from .models import ImportBatch
from .run import run_batch

DEMO_IMPORTER = "approver"
DEMO_FILE_NAME = "凤凰北街街道-旧低保系统导出.csv"


def demo_rows(twin: Person) -> list[list[str]]:
    """A household of three, a lone elder without an ID number, two rows the checks refuse,
    and, without a number, someone with `twin`'s name, sex and birth date in another
    community: a possible duplicate for the queue."""
    import datetime as dt

    def line(**values):
        return [values.get(field, "") for field, _aliases, _label in COLUMNS]

    head = idnumber.make("640104", dt.date(1962, 4, 18), 135)
    wife = idnumber.make("640104", dt.date(1964, 9, 2), 246)
    son = idnumber.make("640104", dt.date(1990, 1, 30), 357)
    bad = idnumber.make("640104", dt.date(1970, 7, 7), 468)
    bad = bad[:-1] + ("1" if bad[-1] != "1" else "2")
    other_village = "640104001003" if twin.residence_region_id != "640104001003" else "640104001005"
    return [
        line(
            name="马建国",
            id_number=head,
            residence_region="640104001002",
            household_no="LD-0107",
            relation="02",
            marital_status="20",
            hukou_type="城镇",
            address="凤凰北街12号",
            phone="13995001234",
        ),
        line(
            name="马桂兰",
            id_number=wife,
            residence_region="640104001002",
            household_no="LD-0107",
            relation="10",
            marital_status="20",
        ),
        line(
            name="马小军",
            id_number=son,
            residence_region="640104001002",
            household_no="LD-0107",
            relation="20",
            disability_grade="二级",
        ),
        line(
            name="白玉芳",
            sex="女",
            birth_date="1938-11-05",
            hukou_region="640104001003",
            residence_region="640104001003",
            household_no="LD-0212",
            relation="02",
            marital_status="30",
        ),
        line(name="杨志", id_number=bad, residence_region="640104001002"),
        line(name="何平", sex="男", birth_date="1975-02-30", hukou_region="640104001002"),
        line(
            name=twin.name,
            sex="男" if twin.sex == "M" else "女",
            birth_date=twin.birth_date.isoformat(),
            hukou_region=other_village,
            residence_region=other_village,
        ),
    ]


def create_demo_import(log=print) -> None:
    approver = User.objects.filter(username=DEMO_IMPORTER).first()
    if approver is None:
        return
    approver.user_permissions.add(Permission.objects.get(codename="run_import"))
    if ImportBatch.objects.filter(file_name=DEMO_FILE_NAME).exists():
        log("demo import: present, unchanged")
        return
    twin = (
        Person.objects.active()
        .filter(residence_region_id__startswith="640104001", id_number__isnull=False)
        .order_by("pk")
        .first()
    )
    if twin is None:
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([aliases[0] for _field, aliases, _label in COLUMNS])
    writer.writerows(demo_rows(twin))
    batch = ImportBatch(
        uploaded_by=approver, region=Region.objects.get(code="640104"), file_name=DEMO_FILE_NAME
    )
    batch.file.save("demo.csv", SimpleUploadedFile("demo.csv", out.getvalue().encode()), save=False)
    batch.save()
    run_batch(batch.pk)
    log("demo import: a legacy file of 凤凰北街街道 imported")

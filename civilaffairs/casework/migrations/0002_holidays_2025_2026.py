"""Public holidays and make-up working days for 2025 and 2026.

Source: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号) and
关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号). Later years are added in the admin
(casework › holidays) when the State Council publishes them each autumn.
"""

import datetime as dt

from django.db import migrations

HOLIDAYS = {
    "元旦": ["2025-01-01", "2026-01-01", "2026-01-02", "2026-01-03"],
    "春节": [f"2025-01-{d}" for d in range(28, 32)] + [f"2025-02-0{d}" for d in range(1, 5)]
    + [f"2026-02-{d}" for d in range(15, 24)],
    "清明节": ["2025-04-04", "2025-04-05", "2025-04-06", "2026-04-04", "2026-04-05", "2026-04-06"],
    "劳动节": [f"2025-05-0{d}" for d in range(1, 6)] + [f"2026-05-0{d}" for d in range(1, 6)],
    "端午节": ["2025-05-31", "2025-06-01", "2025-06-02", "2026-06-19", "2026-06-20", "2026-06-21"],
    "中秋节": ["2026-09-25", "2026-09-26", "2026-09-27"],
    "国庆节": [f"2025-10-0{d}" for d in range(1, 9)] + [f"2026-10-0{d}" for d in range(1, 8)],
}
WORKDAYS = {
    "春节调休": ["2025-01-26", "2025-02-08", "2026-02-14", "2026-02-28"],
    "元旦调休": ["2026-01-04"],
    "劳动节调休": ["2025-04-27", "2026-05-09"],
    "国庆节调休": ["2025-09-28", "2025-10-11", "2026-09-20", "2026-10-10"],
}


def load(apps, schema_editor):
    Holiday = apps.get_model("casework", "Holiday")
    for name, days in HOLIDAYS.items():
        for d in days:
            Holiday.objects.update_or_create(date=dt.date.fromisoformat(d), defaults={"name": name, "is_workday": False})
    for name, days in WORKDAYS.items():
        for d in days:
            Holiday.objects.update_or_create(date=dt.date.fromisoformat(d), defaults={"name": name, "is_workday": True})


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

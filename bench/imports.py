"""Bulk import of legacy records at scale (issue #17's benchmarks): a generated legacy file of
persons and households (1,000,000 rows; 100,000 with --quick) imported phase by phase, each
phase timed: staging and checking (rows/s, target ≥ 50,000), matching against the register
(rows/s, and possible duplicates found per second), applying (rows/s). Afterwards everything
the import made is removed again, so that the bench database stays the generated province."""

import csv
import datetime as dt
import io
import random
import time


def legacy_file(rows: int, seed: int = 17) -> bytes:
    """Households of one to five people in the province's villages: 88 % with a new ID
    number, 10 % without one (name, sex, birth date, region), 2 % that the checks refuse."""
    from django.conf import settings

    from civilaffairs.imports.checks import COLUMNS
    from civilaffairs.lib import idnumber
    from civilaffairs.people.models import Region

    rng = random.Random(seed)
    villages = list(
        Region.objects.current()
        .filter(code__startswith=settings.DEMO_PROVINCE_CODE[:2], level=Region.Level.VILLAGE)
        .values_list("code", flat=True)
    )
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([aliases[0] for _f, aliases, _l in COLUMNS])
    written, household = 0, 0
    # Sequence numbers 900-999 of a day: the generated province uses lower ones.
    used: set[str] = set()
    while written < rows:
        household += 1
        village = rng.choice(villages)
        size = min(rng.randint(1, 5), rows - written)
        for member in range(size):
            birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 33000))
            sex = rng.choice("MF")
            name = rng.choice(surnames) + "".join(
                rng.choice(given) for _ in range(rng.randint(1, 2))
            )
            roll = rng.random()
            number = ""
            if roll < 0.88:
                while True:
                    seq = rng.randrange(900, 1000)
                    seq = seq if (seq % 2 == 1) == (sex == "M") else seq - 1
                    number = idnumber.make(village[:6], birth, seq)
                    if number not in used:
                        used.add(number)
                        break
            elif roll > 0.98:
                number = "12345"  # refused: not an ID number
            values = {
                "name": name,
                "id_number": number,
                "sex": "男" if sex == "M" else "女",
                "birth_date": birth.isoformat(),
                "hukou_region": village,
                "residence_region": village,
                "phone": f"139{rng.randrange(10**8):08d}",
                "household_no": f"B{household}",
                "relation": "02" if member == 0 else rng.choice(["10", "20", "30", "50"]),
                "hukou_type": rng.choice(["城镇", "农村"]),
            }
            writer.writerow([values.get(field, "") for field, _a, _l in COLUMNS])
            written += 1
    return out.getvalue().encode()


def measure_imports(quick: bool) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models import Max
    from django.utils import timezone

    from civilaffairs.imports import run
    from civilaffairs.imports.models import Candidate, ImportBatch, ImportRow
    from civilaffairs.people.models import Household, Membership, Region

    rows = 100_000 if quick else 1_000_000
    print(f"  generating a legacy file of {rows:,} rows …", flush=True)
    data = legacy_file(rows)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    batch = ImportBatch(
        uploaded_by=admin,
        region=Region.objects.get(code=settings.DEMO_PROVINCE_CODE),
        file_name="bench.csv",
    )
    batch.file.save("bench.csv", SimpleUploadedFile("bench.csv", data), save=False)
    batch.save()
    chunks = run._ChunkCounter()
    timings = {}
    # What was on the register before: _remove takes away only what the import made.
    before = {
        "household": Household.objects.aggregate(m=Max("id"))["m"] or 0,
        "membership": Membership.objects.aggregate(m=Max("id"))["m"] or 0,
        "at": timezone.now(),
    }
    try:
        started = time.perf_counter()
        run._stage(batch, chunks)
        timings["rows"] = time.perf_counter() - started
        run._check_file(batch)
        timings["stage"] = time.perf_counter() - started
        print(
            f"  staged and each row checked in {timings['rows']:.1f} s, "
            f"with the file's checks {timings['stage']:.1f} s",
            flush=True,
        )
        started = time.perf_counter()
        run._match(batch, chunks)
        timings["match"] = time.perf_counter() - started
        print(f"  matched in {timings['match']:.1f} s", flush=True)
        started = time.perf_counter()
        run._apply(batch, chunks)
        timings["apply"] = time.perf_counter() - started
        print(f"  applied in {timings['apply']:.1f} s", flush=True)
        looked = (
            ImportRow.objects.filter(batch=batch, id_number="").exclude(state="refused").count()
        )
        found = Candidate.objects.filter(row__batch=batch).count()
        refused = ImportRow.objects.filter(batch=batch, state="refused").count()
        created = ImportRow.objects.filter(batch=batch, state="created").count()
    finally:
        _remove(batch, before)
    return {
        "rows": rows,
        "refused": refused,
        "created": created,
        "rows_seconds": round(timings["rows"], 1),
        "rows_per_s": round(rows / timings["rows"]),
        "stage_seconds": round(timings["stage"], 1),
        "stage_rows_per_s": round(rows / timings["stage"]),
        "match_seconds": round(timings["match"], 1),
        "match_rows_per_s": round(rows / timings["match"]),
        "looked_up": looked,
        "candidates": found,
        "candidates_per_s": round(found / timings["match"], 1),
        "looked_up_per_s": round(looked / timings["match"]),
        "apply_seconds": round(timings["apply"], 1),
        "apply_rows_per_s": round(rows / timings["apply"]),
    }


def _remove(batch, before):
    """Everything the import made, with its history rows, then the batch: the people and
    households it created, the memberships it opened, and the memberships of people already
    on the register that it closed (a known head or member moved into an imported household)
    opened again. Households that existed before (a known head's own) stay as they were."""
    from django.db import connection

    print("  removing what the import made …", flush=True)
    made = "SELECT person_id FROM imports_importrow WHERE batch_id = %s AND state = 'created'"
    houses = (
        "SELECT household_id FROM imports_importhousehold "
        f"WHERE batch_id = %s AND household_id > {int(before['household'])}"
    )
    old_membership = int(before["membership"])
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM imports_candidate c USING imports_importrow r "
            "WHERE c.row_id = r.id AND r.batch_id = %s",
            [batch.pk],
        )
        # The memberships the import opened go first: a person it moved into an imported
        # household has one there, and their old one can only be current again without it.
        cur.execute(f"DELETE FROM people_membership WHERE id > {old_membership}")
        cur.execute(f"DELETE FROM people_historicalmembership WHERE id > {old_membership}")
        cur.execute(
            "UPDATE people_membership m SET end_date = NULL "
            f"WHERE m.id <= {old_membership} AND m.end_date IS NOT NULL AND EXISTS ("
            "  SELECT 1 FROM people_historicalmembership h"
            "   WHERE h.id = m.id AND h.history_date >= %s AND h.end_date IS NOT NULL)",
            [before["at"]],
        )
        cur.execute(
            "DELETE FROM people_historicalmembership "
            f"WHERE id <= {old_membership} AND history_date >= %s",
            [before["at"]],
        )
        cur.execute(
            f"DELETE FROM people_historicalhousehold WHERE id IN ({houses})",  # noqa: S608
            [batch.pk],
        )
        cur.execute("CREATE TEMP TABLE bench_gone AS " + houses, [batch.pk])  # noqa: S608
        cur.execute("DELETE FROM imports_importhousehold WHERE batch_id = %s", [batch.pk])
        cur.execute(
            "DELETE FROM people_household WHERE id IN (SELECT household_id FROM bench_gone)"
        )
        cur.execute("DROP TABLE bench_gone")
        cur.execute("CREATE TEMP TABLE bench_gone AS " + made, [batch.pk])  # noqa: S608
        cur.execute("DELETE FROM imports_importrow WHERE batch_id = %s", [batch.pk])
        cur.execute(
            "DELETE FROM people_historicalperson WHERE id IN (SELECT person_id FROM bench_gone)"
        )
        cur.execute("DELETE FROM people_person WHERE id IN (SELECT person_id FROM bench_gone)")
        cur.execute("DROP TABLE bench_gone")
    batch.file.delete(save=False)
    batch.delete()

"""Province-scale data for the benchmarks, written with PostgreSQL COPY.

Defaults: 1,000,000 persons in ~400,000 households across every village and community of the
demo province (宁夏), 200,000 open cases spread over services, states and offices, and 50,000
closed cases with their payments. Deterministic (seeded) and idempotent: a `bench_meta` row
records what was generated, and a second run with the same sizes does nothing.

The rows go straight into the tables, without django-simple-history rows: this is synthetic
load for measuring, in its own database (see `ensure_bench_database`), never business data.
"""

import datetime as dt
import io
import random
import sys
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from civilaffairs.lib.idnumber import CHECK_CHARS, WEIGHTS

SEED = 4242
TODAY = dt.date(2026, 11, 1)


# ----------------------------------------------------------------------------- progress


class Progress:
    """A one-line bar with rate and ETA on stderr."""

    def __init__(self, label: str, total: int, out=sys.stderr):
        self.label, self.total, self.out = label, max(total, 1), out
        self.done = 0
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, n: int):
        self.done += n
        now = time.monotonic()
        if now - self._last < 0.2 and self.done < self.total:
            return
        self._last = now
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else 0
        width = 30
        filled = int(width * self.done / self.total)
        self.out.write(
            f"\r{self.label:<14} [{'#' * filled}{'.' * (width - filled)}] {self.done:>10,}/{self.total:,} "
            f"{rate:>10,.0f}/s  ETA {eta:5.0f}s"
        )
        if self.done >= self.total:
            self.out.write("\n")
        self.out.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


# ----------------------------------------------------------------------------- COPY


class IndexesDropped:
    """Drop a table's secondary indexes for a bulk load and build them again afterwards: one
    sorted build per index is far cheaper than a million random insertions into each. Indexes
    that back a constraint (primary key, unique constraints) stay."""

    def __init__(self, cur, table: str):
        self.cur, self.table = cur, table
        self.definitions: list[str] = []

    def __enter__(self):
        self.cur.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = %s AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [self.table],
        )
        rows = self.cur.fetchall()
        for name, definition in rows:
            self.cur.execute(f'DROP INDEX "{name}"')
            self.definitions.append(definition)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            for definition in self.definitions:
                self.cur.execute(definition)
        return False


PERSON_COLUMNS = [
    "id", "id_type", "id_number", "name", "sex", "birth_date", "ethnicity", "hukou_region_id",
    "residence_region_id", "address", "phone", "marital_status", "disability_grade", "chronic_illness",
    "serious_illness", "date_of_death", "merged_into_id", "created_at", "updated_at",
]  # fmt: skip


def parallel_import(table, columns, streams, rows, cur) -> dict:
    """Load prepared COPY streams into `table` over one connection each, then rebuild its
    secondary indexes, spread over the same number of connections. Committed as it goes (a
    bulk load, not a business transaction); returns rows, seconds and rows/s."""
    import threading

    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    progress = Progress("persons", rows)
    started = time.monotonic()
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [table],
    )
    definitions = cur.fetchall()
    dropper = psycopg.connect(**params)
    with dropper, dropper.cursor() as c:
        for name, _definition in definitions:
            c.execute(f'DROP INDEX "{name}"')
    dropper.close()
    errors = []

    def load(stream):
        try:
            conn = psycopg.connect(**params)
            with conn, conn.cursor() as c:
                c.execute("SET session_replication_role = replica")
                stream.seek(0)
                with c.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    while piece := stream.read(1 << 20):
                        copy.write(piece)
            conn.close()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(s,)) for s in streams]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    progress.advance(rows)
    copied = time.monotonic() - started

    def build(defs):
        try:
            conn = psycopg.connect(**params)
            with conn, conn.cursor() as c:
                c.execute("SET maintenance_work_mem = '256MB'")
                for definition in defs:
                    c.execute(definition)
            conn.close()
        except Exception as exc:
            errors.append(exc)

    sys.stderr.write(f"{table}: building {len(definitions)} indexes …\n")
    defs = [d for _n, d in definitions]
    threads = [
        threading.Thread(target=build, args=(defs[k :: len(streams)],)) for k in range(len(streams))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    seconds = time.monotonic() - started
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "copy_seconds": round(copied, 2),
        "index_seconds": round(seconds - copied, 2),
        "rows_per_s": round(rows / seconds),
    }


def _fmt(v) -> str:
    if v is None:
        return r"\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    return str(v)


def _check_columns(cur, table: str, columns: list[str]) -> None:
    """Fail at once, naming them, when the table has required columns this COPY leaves out (a
    model gained a field and the generator was not told): clearer than the first row's error."""
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
        " AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    missing = sorted({r[0] for r in cur.fetchall()} - set(columns))
    if missing:
        raise RuntimeError(f"bench/generate.py: {table} needs values for {', '.join(missing)}")


def copy_rows(
    cur, table: str, columns: list[str], rows, progress: Progress | None = None, chunk: int = 50_000
):
    """COPY an iterable of tuples into `table` in chunks (our generated values never contain
    tabs, newlines or backslashes, so no escaping is needed)."""
    _check_columns(cur, table, columns)
    buf = io.StringIO()
    n = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    for row in rows:
        buf.write("\t".join(_fmt(v) for v in row))
        buf.write("\n")
        n += 1
        if n % chunk == 0:
            with cur.copy(sql) as copy:
                copy.write(buf.getvalue())
            buf = io.StringIO()
            if progress:
                progress.advance(chunk)
    if n % chunk:
        with cur.copy(sql) as copy:
            copy.write(buf.getvalue())
        if progress:
            progress.advance(n % chunk)
    return n


# ----------------------------------------------------------------------------- ID numbers

_SEQ_SUMS = [
    sum(int(d) * w for d, w in zip(f"{s:03d}", WEIGHTS[14:17], strict=True)) for s in range(1000)
]
_DATE_SUMS: dict[dt.date, tuple[str, int]] = {}
_ADDR_SUMS: dict[str, int] = {}


def fast_id(address: str, birth: dt.date, seq: int) -> str:
    """The same number `civilaffairs.lib.idnumber.make` builds, with the weighted sums of the
    address and date parts cached (a million calls in a few seconds)."""
    a = _ADDR_SUMS.get(address)
    if a is None:
        a = _ADDR_SUMS[address] = sum(int(d) * w for d, w in zip(address, WEIGHTS[:6], strict=True))
    d = _DATE_SUMS.get(birth)
    if d is None:
        text = birth.strftime("%Y%m%d")
        d = _DATE_SUMS[birth] = (
            text,
            sum(int(c) * w for c, w in zip(text, WEIGHTS[6:14], strict=True)),
        )
    return f"{address}{d[0]}{seq:03d}{CHECK_CHARS[(a + d[1] + _SEQ_SUMS[seq]) % 11]}"


# ----------------------------------------------------------------------------- the generator

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜丁撒海哈"
)
GIVEN_M = "伟强磊军勇杰涛斌明超刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文海成"
GIVEN_F = "芳娜敏静丽艳娟霞秀英华慧巧美娅琳玲婷雪梅兰凤洁红燕萍莉桂珍瑶怡佳欣雨晴"


@dataclass
class Sizes:
    persons: int = 1_000_000
    open_cases: int = 200_000
    closed_cases: int = 50_000
    citizens: int = 2_000

    @property
    def households(self) -> int:
        return max(1, int(self.persons / 2.5))


@dataclass
class Report:
    figures: dict = field(default_factory=dict)


def already_generated(sizes: Sizes) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)"
        )
        cur.execute("SELECT value FROM bench_meta WHERE key = 'sizes'")
        row = cur.fetchone()
    return row is not None and row[0] == repr(sizes)


def _next_id(cur, table: str) -> int:
    cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return cur.fetchone()[0]


def _reset_sequence(cur, table: str):
    cur.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
    )


def truncate(cur):
    cur.execute(
        "TRUNCATE benefits_payment, benefits_entitlement, assistance_memberincome, assistance_objection, "
        "assistance_assistanceapplication, assistance_householdeconomy, casework_caseevent, "
        "casework_screening, casework_notification, casework_document, casework_case, "
        "people_membership, people_household CASCADE"
    )
    # History rows of synthetic cases (from earlier runs' submissions) point at the synthetic
    # citizens; they are benchmark leftovers, not records.
    cur.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%%historical%%'"
    )
    for (table,) in cur.fetchall():
        cur.execute(f'TRUNCATE "{table}"')
    cur.execute("DELETE FROM accounts_user WHERE username LIKE 'bc%'")
    # Every table that points at people_person is empty now (or points nowhere), so the
    # per-row foreign-key checks of this delete can be skipped.
    cur.execute("SET session_replication_role = replica")
    cur.execute("DELETE FROM people_person")
    cur.execute("SET session_replication_role = DEFAULT")
    # Run the deferred foreign-key checks of these deletes now: CREATE INDEX refuses to run on
    # a table with pending trigger events.
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The state of the generated cases that each run puts back (bench/run.py) is taken anew
    # from what is generated next.
    cur.execute("DROP TABLE IF EXISTS bench_case_state")


def generate(sizes: Sizes, *, log=print) -> dict:
    """Generate everything; returns the measured figures (rows, seconds, rows/s per table)."""
    from civilaffairs.accounts.models import Office, StaffRole
    from civilaffairs.casework.registry import all_services
    from civilaffairs.people.models import Region

    rng = random.Random(SEED)
    figures: dict = {}
    villages = list(
        Region.objects.filter(code__startswith="64", level=Region.Level.VILLAGE, is_current=True)
        .values_list("code", flat=True)
        .order_by("code")
    )
    counties = sorted({v[:6] for v in villages})
    township_office = dict(
        Office.objects.filter(level=Office.Level.TOWNSHIP).values_list("region_id", "id")
    )
    county_office = dict(
        Office.objects.filter(level=Office.Level.COUNTY).values_list("region_id", "id")
    )
    staff_by_office: dict[int, list[int]] = {}
    for user_id, office_id in StaffRole.objects.filter(is_active=True).values_list(
        "user_id", "office_id"
    ):
        staff_by_office.setdefault(office_id, []).append(user_id)
    services = [s for s in all_services() if s.domain == "assistance"]

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        truncate(cur)
        # Read here, then committed: the parallel import below must find people_person unlocked.
        person_id0 = _next_id(cur, "people_person")
        household_id0 = _next_id(cur, "people_household")
    raw.commit()
    with transaction.atomic(), raw.cursor() as cur:
        # FK checks against region/person rows we just wrote are pure overhead for a bulk load.
        cur.execute("SET LOCAL session_replication_role = replica")

        # Households and who lives in them are drawn first, so persons stream straight to COPY.
        now = timezone.now().isoformat()
        n_house = sizes.households
        house_village = [villages[rng.randrange(len(villages))] for _ in range(n_house)]
        person_rows = []
        membership_rows = []
        house_heads = []
        used_seq: set = set()
        pid = person_id0
        remaining = sizes.persons
        for h in range(n_house):
            left = n_house - h
            size = (
                max(1, min(remaining - (left - 1), rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))))
                if left > 1
                else remaining
            )
            size = max(size, 1)
            remaining -= size
            village = house_village[h]
            county = village[:6]
            surname = SURNAMES[rng.randrange(len(SURNAMES))]
            head_age = rng.randint(22, 92)
            head_sex = "M" if rng.random() < 0.7 else "F"
            ages = [head_age]
            rels = ["02"]
            sexes = [head_sex]
            for k in range(1, size):
                if k == 1 and head_age < 85:
                    ages.append(max(20, head_age + rng.randint(-5, 4)))
                    rels.append("10")
                    sexes.append("F" if head_sex == "M" else "M")
                else:
                    ages.append(max(0, head_age - rng.randint(20, 35)))
                    sex = rng.choice("MF")
                    rels.append("20" if sex == "M" else "30")
                    sexes.append(sex)
            for age, rel, sex in zip(ages, rels, sexes, strict=True):
                birth = dt.date(TODAY.year - age - 1, 1, 1) + dt.timedelta(days=rng.randrange(365))
                address = county if rng.random() < 0.9 else counties[rng.randrange(len(counties))]
                seq = rng.randrange(0, 999)
                if (seq % 2 == 1) != (sex == "M"):
                    seq = (seq + 1) % 1000
                while (address, birth, seq) in used_seq:
                    seq = (seq + 2) % 1000
                used_seq.add((address, birth, seq))
                chars = GIVEN_M if sex == "M" else GIVEN_F
                name = (
                    (
                        surname
                        if rel in ("02", "20", "30")
                        else SURNAMES[rng.randrange(len(SURNAMES))]
                    )
                    + chars[rng.randrange(len(chars))]
                    + (chars[rng.randrange(len(chars))] if rng.random() < 0.7 else "")
                )
                marital = (
                    "married"
                    if rel in ("02", "10") and size > 1 and rels[1:2] == ["10"]
                    else ("widowed" if age > 75 else "unmarried")
                )
                person_rows.append(
                    (
                        pid,
                        "resident_id",
                        fast_id(address, birth, seq),
                        name,
                        sex,
                        birth,
                        "汉族",
                        village,
                        village,
                        "",
                        f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                        marital,
                        rng.choices((0, 1, 2, 3, 4), (92, 1, 2, 3, 2))[0],
                        age > 60 and rng.random() < 0.3,
                        False,
                        None,
                        None,
                        now,
                        now,
                    )
                )
                membership_rows.append(
                    (household_id0 + h, pid, rel, max(birth, dt.date(2015, 1, 1)), None)
                )
                pid += 1
            house_heads.append(person_rows[len(person_rows) - size][0])
        used_seq.clear()

        # The import itself: the rows as a COPY stream (what a data exchange delivers), loaded
        # over two connections, then every index built, two at a time. Timed from the first
        # byte to the last index: rows usable, not just written.
        streams = [io.StringIO(), io.StringIO()]
        for k, row in enumerate(person_rows):
            streams[k % 2].write("\t".join(_fmt(v) for v in row) + "\n")
        figures["import_persons"] = parallel_import(
            "people_person", PERSON_COLUMNS, streams, len(person_rows), cur
        )
        del person_rows

        progress = Progress("households", n_house)
        with IndexesDropped(cur, "people_household"):
            copy_rows(
                cur,
                "people_household",
                ["id", "head_id", "region_id", "address", "hukou_type", "created_at"],
                (
                    (
                        household_id0 + h,
                        house_heads[h],
                        house_village[h],
                        "",
                        "urban" if h % 3 else "rural",
                        now,
                    )
                    for h in range(n_house)
                ),
                progress,
            )
        progress = Progress("memberships", len(membership_rows))
        with IndexesDropped(cur, "people_membership"):
            copy_rows(
                cur,
                "people_membership",
                ["household_id", "person_id", "relation", "start_date", "end_date"],
                membership_rows,
                progress,
            )
        members_of = [0] * n_house
        for hid, *_ in membership_rows:
            members_of[hid - household_id0] += 1
        del membership_rows

        # Economic situation: income per person roughly log-normal around 1,600 yuan, so that
        # some 6-8 % of households fall under a standard of 800-900.
        progress = Progress("economy", n_house)
        economy = []
        for h in range(n_house):
            members = members_of[h]
            pci = round(min(20000.0, rng.lognormvariate(7.35, 0.55)), 2)
            economy.append(
                (
                    household_id0 + h,
                    members,
                    round(pci * members, 2),
                    pci,
                    round(rng.lognormvariate(9.0, 1.2), 2),
                    1 if rng.random() < 0.15 else 0,
                    1 if rng.random() < 0.05 else 0,
                    True,
                    TODAY,
                    None,
                )
            )
        copy_rows(
            cur,
            "assistance_householdeconomy",
            [
                "household_id",
                "members",
                "monthly_income",
                "per_capita_income",
                "financial_assets",
                "vehicles",
                "extra_housing",
                "verified",
                "as_of",
                "source_case_id",
            ],
            economy,
            progress,
        )

        # Cases: open ones in the queued states of their workflow, at the township (or county for
        # approval), half assigned; closed ones terminated after months of payments.
        total_cases = sizes.open_cases + sizes.closed_cases
        case_id0 = _next_id(cur, "casework_case")
        app_id0 = _next_id(cur, "assistance_assistanceapplication")
        progress = Progress("cases", total_cases)
        case_indexes = IndexesDropped(cur, "casework_case").__enter__()
        app_indexes = IndexesDropped(cur, "assistance_assistanceapplication").__enter__()
        # Payments go on the benefits ledger: one entitlement per paid case, ids numbered from 1.
        case_rows, app_rows, ent_rows, pay_rows = [], [], [], []
        counters: dict = {}
        households_for_cases = rng.sample(range(n_house), min(total_cases, n_house))
        for i in range(total_cases):
            h = households_for_cases[i % len(households_for_cases)]
            svc = services[rng.choices(range(len(services)), (70, 10, 20))[0]]
            village = house_village[h]
            closed = i >= sizes.open_cases
            submitted = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(9))) - dt.timedelta(
                minutes=rng.randrange(60 * 24 * (400 if closed else 60))
            )
            if closed:
                state, outcome, office = (
                    "terminated",
                    "terminated",
                    township_office.get(village[:9]),
                )
                closed_at = submitted + dt.timedelta(days=rng.randint(120, 380))
                assignee = None
            else:
                # Only states of the case's own workflow: temporary assistance (临时救助) is
                # decided at the township without an investigation or a public notice.
                state = (
                    rng.choices(["screened", "accepted", "approval"], (50, 30, 20))[0]
                    if svc.code == "assistance.linshi"
                    else rng.choices(
                        ["screened", "accepted", "investigated", "notice", "county_review"],
                        (40, 25, 15, 10, 10),
                    )[0]
                )
                outcome, closed_at = "", None
                office = (
                    county_office.get(village[:6])
                    if state == "county_review"
                    else township_office.get(village[:9])
                )
                pool = staff_by_office.get(office, [])
                assignee = (
                    pool[rng.randrange(len(pool))]
                    if pool and state != "screened" and rng.random() < 0.5
                    else None
                )
            day = submitted.date()
            key = (svc.reference_prefix, day)
            counters[key] = counters.get(key, 0) + 1
            cid = case_id0 + i
            case_rows.append(
                (
                    cid,
                    f"{svc.reference_prefix}-{day:%Y%m%d}-{counters[key]:05d}",
                    svc.code,
                    state,
                    house_heads[h],
                    house_heads[h],
                    household_id0 + h,
                    village,
                    office,
                    assignee,
                    rng.choices((0, 1, 2), (85, 12, 3))[0],
                    rng.choice(("online", "online", "assisted", "counter")),
                    svc.confidentiality,
                    None,
                    submitted,
                    submitted,
                    submitted + dt.timedelta(days=35),
                    closed_at,
                    outcome,
                    "",
                    None,
                    rng.choice(("pass", "pass", "fail", "refer")),
                    # Decided (granted) some days after it came in, against the promised 35.
                    submitted + dt.timedelta(days=rng.randint(5, 50)) if closed else None,
                    submitted + dt.timedelta(days=35) if closed else None,
                )
            )
            amount = round(rng.uniform(200, 1500), 2)
            app_rows.append((app_id0 + i, cid, svc.code.split(".")[1], amount if closed else 0))
            if closed:
                start = day.replace(day=1)
                months = [
                    (start + dt.timedelta(days=32 * (m + 1))).replace(day=1)
                    for m in range(rng.randint(3, 9))
                ]
                ent_id = len(ent_rows) + 1
                stopped = closed_at.date()
                ent_rows.append(
                    (
                        ent_id,
                        cid,
                        house_heads[h],
                        svc.code,
                        "monthly",
                        amount,
                        months[0],
                        months[-1],
                        stopped,
                        None,
                        "terminated",
                        "",
                        "",
                        "",
                        now,
                    )
                )
                for month in months:
                    pay_rows.append((ent_id, month, amount, "paid", None, "", False, "{}", now))
            if len(case_rows) >= 50_000:
                _flush_cases(cur, case_rows, app_rows)
                progress.advance(len(case_rows))
                case_rows, app_rows = [], []
        if case_rows:
            _flush_cases(cur, case_rows, app_rows)
            progress.advance(len(case_rows))
        sys.stderr.write("cases: building indexes …\n")
        case_indexes.__exit__(None, None, None)
        app_indexes.__exit__(None, None, None)
        copy_rows(
            cur,
            "benefits_entitlement",
            [
                "id",
                "case_id",
                "person_id",
                "program",
                "kind",
                "monthly_amount",
                "start_month",
                "end_month",
                "stopped_on",
                "suspended_on",
                "stop_reason",
                "reason",
                "bank_name",
                "bank_account",
                "created_at",
            ],
            ent_rows,
            Progress("entitlements", len(ent_rows)),
        )
        progress = Progress("payments", len(pay_rows))
        copy_rows(
            cur,
            "benefits_payment",
            [
                "entitlement_id",
                "month",
                "amount",
                "status",
                "paid_at",
                "note",
                "held",
                "details",
                "created_at",
            ],
            pay_rows,
            progress,
        )
        figures["cases"] = {
            "open": sizes.open_cases,
            "closed": sizes.closed_cases,
            "payments": len(pay_rows),
        }

        # Citizen accounts for "my cases": the heads of the first households with cases.
        from django.contrib.auth.hashers import make_password

        password = make_password("Minzheng#2026")
        citizens = [
            (f"bc{k:06d}", password, house_heads[households_for_cases[k]], f"19{k:09d}")
            for k in range(min(sizes.citizens, len(households_for_cases)))
        ]
        copy_rows(
            cur,
            "accounts_user",
            [
                "username",
                "password",
                "person_id",
                "phone",
                "first_name",
                "last_name",
                "email",
                "is_superuser",
                "is_staff",
                "is_active",
                "date_joined",
                "elder_mode",
                "language",
            ],
            (
                (u, p, pid_, ph, "", "", "", False, False, True, now, False, "")
                for u, p, pid_, ph in citizens
            ),
        )

        for table in (
            "people_person",
            "people_household",
            "people_membership",
            "assistance_householdeconomy",
            "casework_case",
            "assistance_assistanceapplication",
            "benefits_entitlement",
            "benefits_payment",
            "accounts_user",
        ):
            _reset_sequence(cur, table)
        import json

        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)"
        )
        for key, value in (
            ("sizes", repr(sizes)),
            ("import", json.dumps(figures["import_persons"])),
        ):
            cur.execute(
                "INSERT INTO bench_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, value],
            )
    log("analyze …")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return figures


def _flush_cases(cur, case_rows, app_rows):
    copy_rows(
        cur,
        "casework_case",
        [
            "id",
            "reference",
            "service",
            "state",
            "applicant_id",
            "beneficiary_id",
            "household_id",
            "region_id",
            "office_id",
            "assignee_id",
            "priority",
            "channel",
            "confidentiality",
            "created_by_id",
            "created_at",
            "submitted_at",
            "due_at",
            "closed_at",
            "outcome",
            "outcome_reason",
            "archive_on",
            "screening_outcome",
            "decided_at",
            "decided_due_at",
        ],
        case_rows,
    )
    copy_rows(
        cur,
        "assistance_assistanceapplication",
        [
            "id",
            "case_id",
            "kind",
            "hardship_cause",
            "situation",
            "emergency_type",
            "expense_amount",
            "financial_assets",
            "vehicles",
            "extra_housing",
            "has_income_source",
            "has_able_supporter",
            "bank_name",
            "bank_account",
            "declaration",
            "step",
            "people_covered",
            "monthly_amount",
            "one_off_amount",
            "justification",
            "findings",
            "neighbour_interviews",
        ],
        (
            (
                aid,
                cid,
                kind,
                "other",
                "",
                "",
                0,
                0,
                0,
                0,
                False,
                False,
                "",
                "",
                True,
                5,
                1,
                amount,
                0,
                "",
                "",
                "",
            )
            for aid, cid, kind, amount in app_rows
        ),
    )

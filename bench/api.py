"""The inter-agency API at province scale (issue #17's benchmarks): a person looked up by ID
number (p50/p95 server time, and its ratio to the raw SQL of the same row), and a county's
reconciliation list read to its end in keyset pages (rows/s). Each call is a real one: token,
grant, purpose, log line."""

import datetime as dt
import http.client
import json
import random
import re
import time
import urllib.parse


def _client():
    """A department client of the whole province with every endpoint, and its token."""
    from django.conf import settings
    from django.utils import timezone
    from oauth2_provider.models import get_application_model

    from civilaffairs.exchange.endpoints import ENDPOINTS
    from civilaffairs.exchange.models import ApiGrant, ApiPurpose
    from civilaffairs.lib.confidentiality import Confidentiality
    from civilaffairs.people.models import Region

    Application = get_application_model()
    secret = "bench-department-secret-0123456789"  # noqa: S105 (the bench's own database)
    # Kept from run to run (its logged calls hold on to it); its secret and grant made anew.
    app = Application.objects.filter(client_id="bench-department").first() or Application(
        client_id="bench-department"
    )
    app.name = "bench"
    app.client_secret = secret
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
    app.save()
    ApiGrant.objects.filter(application=app).delete()
    # The province the generated people live in (the demo's).
    province = Region.objects.get(code=settings.DEMO_PROVINCE_CODE)
    grant = ApiGrant.objects.create(
        application=app,
        department="bench",
        endpoints=[e.code for e in ENDPOINTS],
        region=province,
        max_confidentiality=Confidentiality.CONFIDENTIAL,
        per_minute=10_000_000,
        per_day=10_000_000,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    ApiPurpose.objects.create(grant=grant, code="bench", description="benchmark")
    return app.client_id, secret


class _Http:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method, path, body=None, headers=None):
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        resp = self.conn.getresponse()
        content = resp.read()
        client_ms = (time.perf_counter() - started) * 1000
        m = re.search(r"dur=([\d.]+)", resp.getheader("Server-Timing") or "")
        return resp.status, content, float(m.group(1)) if m else client_ms


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _running_recipients(count: int) -> int:
    """The generated registry pays only closed cases: give `count` open 低保 cases a running
    entitlement from this month (once; the bench's own database), so there is a list to
    reconcile against."""
    from django.db import connection

    month = dt.date.today().replace(day=1)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM benefits_entitlement WHERE program = 'assistance.dibao'"
            " AND stopped_on IS NULL AND reason = 'bench'"
        )
        have = cur.fetchone()[0]
        if have < count:
            cur.execute(
                "INSERT INTO benefits_entitlement (case_id, person_id, program, kind,"
                " monthly_amount, start_month, end_month, stopped_on, suspended_on, stop_reason,"
                " reason, bank_name, bank_account, created_at)"
                " SELECT c.id, c.applicant_id, 'assistance.dibao', 'monthly', 520, %s, NULL,"
                " NULL, NULL, '', 'bench', '', '', now() FROM casework_case c"
                " WHERE c.closed_at IS NULL AND c.applicant_id IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM benefits_entitlement e WHERE e.case_id = c.id)"
                " ORDER BY c.id LIMIT %s",
                [month, count - have],
            )
            cur.execute("ANALYZE benefits_entitlement")
        cur.execute(
            "SELECT count(*) FROM benefits_entitlement WHERE reason = 'bench'"
            " AND stopped_on IS NULL"
        )
        return cur.fetchone()[0]


def measure_api(port, n: int, rows_target: int = 100_000) -> dict:
    from django.db import connection

    from civilaffairs.people.models import Person

    running = _running_recipients(rows_target)
    client_id, secret = _client()
    web = _Http(port)
    status, content, _ = web.call(
        "POST",
        "/api/v1/oauth/token/",
        urllib.parse.urlencode(
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        ),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        raise RuntimeError(f"token: {status} {content[:200]!r}")
    token = json.loads(content)["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Purpose": "bench",
        "Content-Type": "application/json",
    }
    rng = random.Random(17)
    top = Person.objects.order_by("-pk").values_list("pk", flat=True).first()
    numbers = []
    while len(numbers) < n:
        found = (
            Person.objects.filter(
                pk__gte=rng.randint(1, top), id_number__isnull=False, merged_into__isnull=True
            )
            .order_by("pk")
            .values_list("id_number", flat=True)
            .first()
        )
        if found:
            numbers.append(found)
    web.call("POST", "/api/v1/persons/lookup/", json.dumps({"id_number": numbers[0]}), headers)
    lookup = []
    for number in numbers:
        status, content, ms = web.call(
            "POST", "/api/v1/persons/lookup/", json.dumps({"id_number": number}), headers
        )
        if status != 200:
            raise RuntimeError(f"lookup: {status} {content[:200]!r}")
        lookup.append(ms)
    # The floor: the same row by the same number, through psycopg alone.
    sql_times = []
    connection.ensure_connection()
    with connection.connection.cursor() as cur:
        for number in numbers:
            started = time.perf_counter()
            cur.execute("SELECT * FROM people_person WHERE id_number = %s", [number])
            cur.fetchall()
            sql_times.append((time.perf_counter() - started) * 1000)
    connection.connection.rollback()

    month = dt.date.today().replace(day=1)
    from django.conf import settings

    params = {
        "program": "assistance.dibao",
        "region": settings.DEMO_PROVINCE_CODE,
        "month": f"{month:%Y-%m}",
    }
    after, rows, pages = None, 0, 0
    started = time.perf_counter()
    while rows < rows_target:
        query = {**params, "limit": "1000", **({"after": str(after)} if after else {})}
        status, content, _ = web.call(
            "GET", "/api/v1/recipients/?" + urllib.parse.urlencode(query), None, headers
        )
        if status != 200:
            raise RuntimeError(f"recipients: {status} {content[:200]!r}")
        body = json.loads(content)
        rows += len(body["results"])
        pages += 1
        after = body["next_after"]
        if after is None:
            break
    seconds = time.perf_counter() - started
    connection.close()
    p50, sql50 = _pct(lookup, 50), _pct(sql_times, 50)
    return {
        "lookup_p50_ms": round(p50, 2),
        "lookup_p95_ms": round(_pct(lookup, 95), 2),
        "sql_p50_ms": round(sql50, 3),
        "ratio_to_sql": round(p50 / sql50, 1) if sql50 else None,
        "n": n,
        "recipients_running": running,
        "recipients_rows": rows,
        "recipients_pages": pages,
        "recipients_seconds": round(seconds, 2),
        "recipients_rows_per_s": round(rows / seconds) if seconds else None,
    }

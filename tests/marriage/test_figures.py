"""The marriage registry's figures (marriage.figures, /staff/figures/marriage/): each table
checked against a direct count of the registry's rows on couples taken through the real
counter, in March and April 2026 (the clock of tests/marriage/conftest.py); read by registrars
and supervisors of their own area only, and written to files with small cells suppressed."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from civilaffairs.insight.actions import do_count_month
from civilaffairs.insight.models import DomainFigure
from civilaffairs.insight.queries import DomainCounts
from civilaffairs.insight.registry import get_figures
from civilaffairs.people.models import Region
from marriage import actions
from marriage.models import (
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
)
from tests.auth import sign_in
from tests.marriage.conftest import (
    SH,
    book,
    book_divorce,
    citizen,
    on_the_day,
    receive_divorce,
    register,
    register_divorce,
    register_marriage,
    withdraw,
)

pytestmark = pytest.mark.django_db

URL = "/staff/figures/marriage/"
MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
HOME, OTHER = "640104", "640105"  # the two registries' counties (兴庆区, 西夏区)


def couple(i):
    return (
        citizen(f"新郎{i}", "M", dt.date(1996, 1, 15)),
        citizen(f"新娘{i}", "F", dt.date(1999, 6, 1)),
    )


@pytest.fixture
def known(reg, fixed_clock):
    """In March at 兴庆区: six marriages; two of the couples file for divorce (one withdraws in
    the cooling-off period, the other is divorced in April), a third books a divorce and
    cancels before the counter; one lost certificate replaced. At 西夏区: one marriage."""
    couples = [couple(i) for i in range(6)]
    for a, b in couples:
        register(reg, a, b, fixed_clock)
    # At the other registry.
    a, b = couple(9)
    ap = book(reg, a, b, registry=reg.other)
    on_the_day(ap, fixed_clock)
    app = actions.do_check_in(
        MarriageApplication.objects.get(pk=ap.application_id), acting_user=reg.other_registrar
    )
    register_marriage(
        app, acting_user=reg.other_registrar, photos_checked=True, declarations_signed=True
    )
    # Divorces: one withdrawn in the cooling-off period, one to be registered in April.
    withdrawn = receive_divorce(reg, *couples[0], fixed_clock)
    divorcing = receive_divorce(reg, *couples[1], fixed_clock)
    withdraw(withdrawn, acting_user=couples[0][1], reason="我们和好了")
    # Cancelled before the counter: not a withdrawal in the cooling-off period.
    cancelled = book_divorce(reg, *couples[2])
    actions.do_cancel_appointment(cancelled, acting_user=couples[2][0])
    # A lost marriage certificate replaced at the counter.
    lost = Certificate.objects.get(holder=couples[3][0].person, kind=Certificate.Kind.MARRIAGE)
    actions.do_replace_certificate(lost, acting_user=reg.registrar, registry=reg.home)
    assert timezone.localdate().month == 3
    do_count_month(MARCH)  # the current month, up to now
    # April: the cooling-off period is over; the divorce is registered.
    divorcing.refresh_from_db()
    fixed_clock.move_to(
        dt.datetime.combine(
            divorcing.cooling_off_ends + dt.timedelta(days=1), dt.time(10), tzinfo=SH
        )
    )
    register_divorce(divorcing, acting_user=reg.registrar, both_present=True)
    do_count_month(MARCH)  # March again, now a past month
    do_count_month(APRIL)
    reg.couples = couples
    return reg


def counts(code=HOME, month=MARCH, level=2):
    return DomainCounts(get_figures("marriage"), Region.objects.get(code=code), month, level)


def _month(field, month):
    nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return {f"{field}__gte": month, f"{field}__lt": nxt}


def _moment(field, month):
    start = dt.datetime.combine(month, dt.time.min, tzinfo=SH)
    nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return {f"{field}__gte": start, f"{field}__lt": dt.datetime.combine(nxt, dt.time.min, SH)}


def direct_registrations(prefix, month):
    """The register counted directly: records registered or dissolved, replacements issued."""
    out = {
        "registration": MarriageRecord.objects.filter(
            registry__office__region_id__startswith=prefix, **_month("registered_on", month)
        ).count(),
        "divorce": MarriageRecord.objects.filter(
            status=MarriageRecord.Status.DIVORCED,
            dissolved_registry__office__region_id__startswith=prefix,
            **_month("dissolved_on", month),
        ).count(),
    }
    for kind in (Certificate.Kind.MARRIAGE_REPLACEMENT, Certificate.Kind.DIVORCE_REPLACEMENT):
        out[kind.value] = Certificate.objects.filter(
            kind=kind, registry__office__region_id__startswith=prefix, **_month("issued_on", month)
        ).count()
    return {k: n for k, n in out.items() if n}


def direct_divorce(prefix, month):
    apps = MarriageApplication.objects.filter(
        kind=MarriageApplication.Kind.DIVORCE, registry__office__region_id__startswith=prefix
    )
    closed = apps.filter(**_moment("case__closed_at", month))
    out = {
        "received": apps.filter(**_moment("received_at", month)).count(),
        "withdrawn": closed.filter(case__state="withdrawn", received_at__isnull=False).count(),
        "deemed_withdrawn": closed.filter(case__state="deemed_withdrawn").count(),
        "registered": closed.filter(case__state="registered").count(),
    }
    return {k: n for k, n in out.items() if n}


def direct_appointments(prefix, month):
    return dict(
        Appointment.objects.filter(
            slot__registry__office__region_id__startswith=prefix, **_month("slot__date", month)
        )
        .values_list("status")
        .annotate(n=Count("id"))
    )


def test_march_matches_the_register(known):
    march = counts()
    assert march.of("registrations") == direct_registrations(HOME, MARCH)
    assert march.of("registrations") == {"registration": 6, "BJ": 1}
    assert march.of("divorce") == direct_divorce(HOME, MARCH)
    # The couple who cancelled before the counter never started a cooling-off period.
    assert march.of("divorce") == {"received": 2, "withdrawn": 1}
    assert march.of("appointments") == direct_appointments(HOME, MARCH)
    assert march.of("appointments") == {"attended": 8, "cancelled": 1}
    # The other registry's county holds its own marriage; the city holds both.
    assert counts(OTHER).of("registrations") == direct_registrations(OTHER, MARCH)
    assert counts(OTHER).of("registrations") == {"registration": 1}
    assert counts("640100").of("registrations") == {"registration": 7, "BJ": 1}
    assert counts("640000").of("divorce") == {"received": 2, "withdrawn": 1}
    # A township of the county holds none: a registry's rows stand under its county.
    assert counts("640104001").of("registrations") == {}


def test_april_holds_the_divorce_and_march_keeps_its_figures(known):
    april = counts(month=APRIL)
    assert april.of("registrations") == direct_registrations(HOME, APRIL) == {"divorce": 1}
    assert april.of("divorce") == direct_divorce(HOME, APRIL) == {"registered": 1}
    assert counts().of("registrations")["registration"] == 6
    # Counting again replaces the month's rows with the same.
    before = sorted(DomainFigure.objects.filter(domain="marriage").values_list("month", "n"))
    do_count_month(MARCH)
    after = sorted(DomainFigure.objects.filter(domain="marriage").values_list("month", "n"))
    assert before == after


def test_each_row_keeps_the_level_of_its_case(known):
    # Marriage cases are confidential (2): a reader cleared for less sees none of them.
    assert counts(level=1).tables == {}
    assert set(
        DomainFigure.objects.filter(domain="marriage", region_code=HOME).values_list(
            "level", flat=True
        )
    ) == {2}


def page(client, user, **params):
    sign_in(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(URL, {"month": "2026-03", **params})


def test_a_registrar_reads_the_figures_of_their_county_only(client, known):
    response = page(client, known.registrar)
    assert response.status_code == 200
    assert response.context["region"].code == HOME
    tables = {t.key: t for t in response.context["tables"]}
    assert [(line.label, line.values) for line in tables["registrations"].lines] == [
        ("Marriage registration", [6]),
        ("Marriage certificate (replacement)", [1]),
    ]
    assert "Withdrawn during the cooling-off period" in response.content.decode()
    for outside in (OTHER, "640100", "640000"):
        assert page(client, known.registrar, region=outside).status_code == 404
    assert page(client, known.other_registrar, region=HOME).status_code == 404


def test_a_city_supervisor_reads_both_counties(client, known):
    supervisor = known.personas.supervisor
    response = page(client, supervisor, region="640100")
    assert response.status_code == 200
    by_region = {t.key: t for t in response.context["tables"]}["region"]
    names = {r.code: r.name for r in Region.objects.filter(code__in=[HOME, OTHER])}
    values = {line.label: line.values[0] for line in by_region.lines}
    assert values[names[HOME]] == 7 and values[names[OTHER]] == 1
    assert page(client, supervisor, region=OTHER).status_code == 200


def test_staff_of_another_line_of_work_may_not_read_them(client, known):
    p = known.personas
    for user in (p.caseworker, p.approver, p.citizen):
        assert page(client, user).status_code == 403


def test_files_write_small_cells_as_under_five(client, known):
    response = page(client, known.registrar, download="divorce", format="csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines == [
        ["Step", "Applications"],
        ["Received: the 30-day cooling-off period started", "<5"],
        ["Withdrawn during the cooling-off period", "<5"],
    ]
    # One small cell alone: the next smallest is hidden with it.
    response = page(client, known.registrar, download="registrations", format="csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[1:] == [
        ["Marriage registration", "×"],
        ["Marriage certificate (replacement)", "<5"],
    ]
    response = page(client, known.registrar, download="appointments", format="csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines == [["Status", "Appointments"], ["Cancelled", "<5"], ["Attended", "×"]]
    # The page itself, read in the staff workspace, shows every figure.
    tables = {t.key: t for t in page(client, known.registrar).context["tables"]}
    assert [line.values for line in tables["appointments"].lines] == [[1], [8]]

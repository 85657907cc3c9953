"""The staff queues: claim-next under concurrency, keyset pages, counts, filters, query counts."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civilaffairs.accounts.models import User
from civilaffairs.casework.actions import do_claim_next, do_transition
from civilaffairs.casework.models import QUEUE_ORDER, Case, CaseEvent
from civilaffairs.casework.queries import _counts_key, _queue_statement, list_unassigned_cases
from civilaffairs.casework.scope import Scope
from civilaffairs.casework.workflow import queued_by_service
from civilaffairs.lib.paging import _after, _encode, _value, keyset_page
from tests.auth import sign_in
from tests.factories import staff
from tests.pages import page_text
from tests.sql import statements

from .conftest import CW, ELSEWHERE, claimed_case, make_case, resident

CASE_LINK = re.compile(r'href="/staff/cases/(\d+)/"')


def _case_ids(html: str) -> list[int]:
    return [int(pk) for pk in CASE_LINK.findall(html)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_hand_the_same_case_to_two_caseworkers(world_tx):
    applicant = resident()
    cases = [make_case(applicant, priority=i % 3) for i in range(20)]
    workers = [world_tx.caseworker] + [staff(f"township_cw{i}", "640104001", CW) for i in range(7)]
    start = threading.Barrier(len(workers))
    claims: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(user_id: int):
        try:
            user = User.objects.get(pk=user_id)  # each thread its own connection and user
            start.wait(timeout=30)
            while (case := do_claim_next(acting_user=user)) is not None:
                with lock:
                    claims.append((case.pk, user_id))
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u.pk,)) for u in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    claimed = [pk for pk, _ in claims]
    assert len(claimed) == len(set(claimed)), "a case was handed out twice"
    assert set(claimed) == {c.pk for c in cases}, "every case is claimed exactly once"
    owners = dict(Case.objects.filter(pk__in=claimed).values_list("pk", "assignee_id"))
    assert owners == dict(claims)
    assignment_events = CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNMENT, data__how="claim")
    assert assignment_events.count() == 20


@pytest.mark.django_db
def test_a_claim_is_one_statement_that_writes_its_history_row_and_its_event(world):
    """The claim's single WITH statement writes what the ORM save did: the assignee, a history
    row copying the whole case (author, reason "claimed") and the timeline event."""
    case = make_case(resident())
    before = case.history.count()
    with CaptureQueriesContext(connection) as ctx:
        claimed = do_claim_next(acting_user=world.caseworker)
    writes = [q["sql"] for q in ctx.captured_queries if "casework_case" in q["sql"]]
    assert len(writes) == 1 and "FOR UPDATE SKIP LOCKED" in writes[0]
    assert claimed.pk == case.pk and claimed.assignee_id == world.caseworker.pk
    assert claimed.reference == case.reference and claimed.state == case.state
    case.refresh_from_db()
    assert case.assignee_id == world.caseworker.pk
    assert case.history.count() == before + 1
    row = case.history.first()
    assert (row.history_type, row.history_change_reason) == ("~", "claimed")
    assert row.history_user_id == world.caseworker.pk
    assert row.assignee_id == world.caseworker.pk
    assert (row.reference, row.state, row.region_id, row.office_id) == (
        case.reference,
        case.state,
        case.region_id,
        case.office_id,
    )
    event = case.events.get(kind=CaseEvent.Kind.ASSIGNMENT)
    assert event.actor_id == world.caseworker.pk and not event.public
    assert event.data == {"to": world.caseworker.pk, "how": "claim"}
    # Nothing left to claim: no statement writes anything, and None comes back.
    assert do_claim_next(acting_user=world.caseworker) is None
    assert case.history.count() == before + 1


@pytest.mark.django_db
def test_claim_next_takes_the_most_urgent_then_the_oldest_and_opens_it(client, world):
    applicant = resident()
    old = make_case(applicant)
    urgent = make_case(applicant, priority=Case.Priority.URGENT)
    sign_in(client, world.caseworker)
    response = client.post(reverse("casework:claim-next"))
    assert response["Location"] == reverse("casework:case-detail", args=[urgent.pk])
    response = client.post(reverse("casework:claim-next"))
    assert response["Location"] == reverse("casework:case-detail", args=[old.pk])
    response = client.post(reverse("casework:claim-next"), follow=True)
    assert "No case is waiting in your office queue." in response.content.decode()
    assert set(Case.objects.filter(assignee=world.caseworker).values_list("pk", flat=True)) == {
        old.pk,
        urgent.pk,
    }


@pytest.mark.django_db
def test_claim_next_is_post_only(client, world):
    sign_in(client, world.caseworker)
    assert client.get(reverse("casework:claim-next")).status_code == 405


@pytest.mark.django_db
def test_keyset_pages_show_every_case_exactly_once(client, world):
    applicant = resident()
    cases = [make_case(applicant, priority=i % 3) for i in range(57)]
    sign_in(client, world.caseworker)
    seen, url = [], reverse("casework:queue-office")
    for _ in range(10):
        html = client.get(url).content.decode()
        seen += _case_ids(html)
        nxt = re.search(r'href="\?(?:[^"]*&amp;)?after=([^"&]+)"', html)
        if not nxt:
            break
        url = reverse("casework:queue-office") + "?after=" + nxt.group(1)
    assert len(seen) == len(set(seen)) == 57
    assert set(seen) == {c.pk for c in cases}
    # In queue order: most urgent first, then oldest.
    expected = list(
        Case.objects.filter(pk__in=seen)
        .order_by("-priority", "submitted_at", "id")
        .values_list("pk", flat=True)
    )
    assert seen == expected


@pytest.mark.django_db
def test_keyset_page_of_the_queue_query_walks_every_row_once(world):
    applicant = resident()
    cases = {make_case(applicant, priority=i % 2).pk for i in range(11)}
    seen, after = [], None
    while True:
        page = keyset_page(
            list_unassigned_cases(world.caseworker),
            order=("-priority", "submitted_at", "id"),
            after=after,
            size=4,
        )
        seen += [c.pk for c in page.rows]
        if not page.has_next:
            break
        after = page.next_cursor
    assert sorted(seen) == sorted(cases) and len(seen) == len(set(seen))


def _count_queries(client, url) -> int:
    """Statements a page runs."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(statements(ctx))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["caseworker", "supervisor"])
def test_office_queue_costs_the_same_queries_for_5_or_50_cases(client, world, who):
    applicant = resident()
    for _ in range(5):
        make_case(applicant)
    sign_in(client, getattr(world, who))
    url = reverse("casework:queue-office")
    five = _count_queries(client, url)
    for _ in range(45):
        make_case(applicant)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    assert len(statements(ctx)) == five
    assert len(_case_ids(html)) == 25


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["caseworker", "supervisor", "admin"])
def test_a_full_queue_page_runs_a_handful_of_queries(
    client, world, who, django_assert_max_num_queries
):
    """No N+1 on the list: the session, the user with their grants, the counts and one page
    of rows, whatever the page holds."""
    applicant = resident()
    for i in range(30):
        make_case(applicant, priority=i % 3)
    sign_in(client, getattr(world, who))
    client.get(reverse("casework:queue-office"))  # the frame's fragments cached
    with django_assert_max_num_queries(6):
        html = client.get(reverse("casework:queue-office")).content.decode()
    assert len(_case_ids(html)) == 25


@pytest.mark.django_db
def test_my_queue_costs_the_same_queries_for_5_or_50_cases(client, world):
    applicant = resident()
    for _ in range(5):
        make_case(applicant)
        do_claim_next(acting_user=world.caseworker)
    sign_in(client, world.caseworker)
    url = reverse("casework:queue-mine") + "?overdue=no&service=test.simple"
    five = _count_queries(client, url)
    for _ in range(45):
        make_case(applicant)
        do_claim_next(acting_user=world.caseworker)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    assert len(statements(ctx)) == five
    assert len(_case_ids(html)) == 25


@pytest.mark.django_db
def test_counts_per_state_are_shown_above_the_list(client, world, settings):
    applicant = resident()
    for _ in range(3):
        make_case(applicant)
    for _ in range(2):
        make_case(applicant)
        case = do_claim_next(acting_user=world.caseworker)
        do_transition(case, "accept", acting_user=world.caseworker)
    sign_in(client, world.caseworker)
    html = client.get(reverse("casework:queue-office")).content.decode()
    assert "Screened: <strong>3</strong>" in html and ">3 cases by status</h2>" in html
    html = client.get(reverse("casework:queue-mine")).content.decode()
    assert "Accepted: <strong>2</strong>" in html and ">2 cases by status</h2>" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("casework:queue-mine")).content.decode()
    assert ">按状态统计：共2件办件</h2>" in html


def _group_bys(ctx) -> int:
    return sum("GROUP BY" in sql for sql in statements(ctx))


@pytest.mark.django_db
def test_a_long_queue_is_counted_once_a_while_and_the_page_says_when(client, world, settings):
    settings.QUEUE_COUNTS_CACHE_FROM = 3  # "long" for this test
    applicant = resident()
    for _ in range(3):
        make_case(applicant)
    sign_in(client, world.caseworker)
    url = reverse("casework:queue-office")
    # A run of the suite a moment ago (the same ids in a new test database) left its counts.
    for user in (world.caseworker, world.supervisor):
        for filters in ({}, {"priority": 0}):
            cache.delete(_counts_key(user, "office", filters))
    with CaptureQueriesContext(connection) as first:
        html = page_text(client.get(url))
    assert _group_bys(first) == 1 and "Screened: <strong>3</strong>" in html
    assert "Counted at" not in html  # counted just now
    newer = make_case(applicant)
    with CaptureQueriesContext(connection) as second:
        html = client.get(url).content.decode()
    # The totals come from the cache and say when they were counted; the rows are live.
    assert _group_bys(second) == 0
    assert "Screened: <strong>3</strong>" in html and "Counted at" in html
    assert newer.pk in _case_ids(html)
    # Another filter is another count; a page further on (after=), the size and a state (the
    # counts are of every state) are not.
    with CaptureQueriesContext(connection) as filtered:
        html = client.get(url + "?priority=0").content.decode()
    assert _group_bys(filtered) == 1 and "Screened: <strong>4</strong>" in html
    with CaptureQueriesContext(connection) as sized:
        client.get(url + "?size=10")
    assert _group_bys(sized) == 0
    with CaptureQueriesContext(connection) as one_state:
        html = client.get(url + "?state=screened").content.decode()
    assert _group_bys(one_state) == 0 and "Screened: <strong>3</strong>" in html
    # Another user (another jurisdiction) never reads these counts.
    sign_in(client, world.supervisor)
    with CaptureQueriesContext(connection) as other:
        client.get(url)
    assert _group_bys(other) == 1


@pytest.mark.django_db
def test_a_short_queue_is_counted_live(client, world):
    applicant = resident()
    make_case(applicant)
    sign_in(client, world.caseworker)
    url = reverse("casework:queue-office")
    assert "Screened: <strong>1</strong>" in client.get(url).content.decode()
    make_case(applicant)
    html = page_text(client.get(url))
    assert "Screened: <strong>2</strong>" in html and "Counted at" not in html


@pytest.mark.django_db
def test_a_later_page_starts_in_the_index_rather_than_filtering_from_the_top(world):
    """The keyset condition is one row comparison on the queue's own order, which PostgreSQL
    uses as the start of the index scan: page 10,000 reads what page 1 reads."""
    applicant = resident()
    for i in range(6):
        make_case(applicant, priority=i % 3)
    first = keyset_page(list_unassigned_cases(world.caseworker), order=QUEUE_ORDER, size=2)
    later = list_unassigned_cases(world.caseworker).order_by(*QUEUE_ORDER)
    sql = str(
        later.filter(_after(QUEUE_ORDER, [_value(first.rows[-1], n) for n in QUEUE_ORDER])).query
    )
    assert (
        'ROW("casework_case"."queue_rank", "casework_case"."submitted_at", "casework_case"."id") >'
        in sql
    )
    # The order is most urgent first, then oldest.
    page = keyset_page(list_unassigned_cases(world.caseworker), order=QUEUE_ORDER, size=6)
    keys = [(-c.priority, c.submitted_at, c.pk) for c in page.rows]
    assert keys == sorted(keys) and page.rows[0].priority == 2


@pytest.mark.django_db
def test_filters_narrow_the_list_and_overdue_is_said_in_words(client, world):
    applicant = resident()
    with time_machine.travel(timezone.now() - dt.timedelta(days=40)):
        late = make_case(applicant)
    urgent = make_case(applicant, priority=Case.Priority.URGENT)
    normal = make_case(applicant)
    sign_in(client, world.supervisor)
    url = reverse("casework:queue-office")

    def ids(query):
        return set(_case_ids(client.get(url + query).content.decode()))

    assert {late.pk, urgent.pk, normal.pk} <= ids("")
    assert ids("?overdue=yes") == {late.pk}
    assert late.pk not in ids("?overdue=no")
    assert ids("?priority=2") == {urgent.pk}
    assert ids("?region=640104001") >= {late.pk, urgent.pk, normal.pk}
    assert ids("?region=640105") == set()
    # A place name is the same filter as its code (issue #16, item 8).
    assert ids("?region=凤凰北街街道") == ids("?region=640104001")
    assert ids("?region=西夏区") == set()
    assert ids("?state=accepted") == set()
    html = client.get(url + "?overdue=yes").content.decode()
    assert re.search(r">Overdue by \d+ days?</span>", html)
    # A malformed filter is reported next to its field, not a server error.
    response = client.get(url + "?region=abc")
    assert response.status_code == 200
    assert "No area is called “abc”" in response.content.decode()
    response = client.get(url + "?region=1")
    assert "Enter 2 to 12 digits" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("overdue", ["yes", "no"])
def test_a_queues_kept_statement_holds_no_time(world, overdue):
    """A queue's statement is kept per scope and filter (queries._queue_statement): the
    overdue filter asks the database for the time, so a statement kept since the morning
    still lists what is overdue now, not what was overdue when it was built."""
    user = world.supervisor
    sql, params = _queue_statement(
        Scope.of(user), "office", (("overdue", overdue),), queued_by_service(), user
    )
    assert "STATEMENT_TIMESTAMP()" in sql
    assert not [p for p in params if isinstance(p, dt.date)]


@pytest.mark.django_db
def test_a_service_registered_later_gives_a_new_scope_and_a_new_statement(world):
    """visible_to names the services a caseworker's roles do not work, so the whole registry
    is part of the Scope (and of every statement kept by it): a service registered after a
    statement was kept is not let through by the old one."""
    from civilaffairs.casework import registry
    from civilaffairs.casework.registry import Service, register_service

    user = world.caseworker
    before = Scope.of(user)
    _sql, kept = _queue_statement(before, "office", (), queued_by_service(), user)
    register_service(
        Service(
            code="test.later",
            domain="assistance",
            name="Later",
            reference_prefix="TL",
            staff_roles=("registrar",),
        )
    )
    try:
        after = Scope.of(user)
        assert after.registry != before.registry and after.cache_key() != before.cache_key()
        _sql, fresh = _queue_statement(after, "office", (), queued_by_service(), user)
        assert "test.later" not in kept and "test.later" in fresh
    finally:
        registry._services.pop("test.later")


@pytest.mark.django_db
def test_a_queue_empty_by_construction_is_an_empty_page(world, monkeypatch):
    """With no state queued by any workflow the queue's statement cannot be written at all
    (Django's EmptyResultSet): the page is empty, not an error."""
    from civilaffairs.casework import models, queries

    monkeypatch.setattr("civilaffairs.casework.workflow.queued_by_service", lambda: ())
    assert models.Case.objects.queued().count() == 0
    page = queries.queue_page(world.caseworker, "office", {}, after=None, size=10)
    assert (page.rows, page.has_next) == ([], False)


@pytest.mark.django_db
def test_a_case_in_a_state_its_workflow_no_longer_has_is_listed_by_the_states_name(client, world):
    """Data older than a change of the process (a state taken out of a workflow) shows the
    state's stored name in "my cases" instead of failing the whole list."""
    case = claimed_case(world.caseworker)
    Case.objects.filter(pk=case.pk).update(state="retired_state")
    sign_in(client, world.caseworker)
    html = page_text(client.get(reverse("casework:queue-mine")))
    assert case.reference in html and "<td>retired_state</td>" in html


@pytest.mark.django_db
def test_a_supervisor_sees_the_unassigned_cases_of_every_office_they_cover(client, world):
    home = make_case()
    elsewhere = make_case(code=ELSEWHERE)
    sign_in(client, world.supervisor)  # 银川市 covers both counties
    ids = set(_case_ids(client.get(reverse("casework:queue-office")).content.decode()))
    assert {home.pk, elsewhere.pk} <= ids
    sign_in(client, world.approver)  # 兴庆区: its own office's queue only
    ids = set(_case_ids(client.get(reverse("casework:queue-office")).content.decode()))
    assert elsewhere.pk not in ids


@pytest.mark.django_db
def test_queue_rows_escape_what_people_typed_and_speak_the_pages_language(client, world):
    """The rows (jinja2/casework/queue_rows.jinja): every value is escaped, the labels follow
    the page's language, urgent cases are bold and late ones say so."""
    from django.conf import settings

    applicant = resident(name='<script>alert("x")</script>')
    with time_machine.travel(timezone.now() - dt.timedelta(days=40)):
        late = make_case(applicant, priority=Case.Priority.URGENT)
    on_time = make_case(applicant)
    sign_in(client, world.supervisor)
    html = page_text(client.get(reverse("casework:queue-office")))
    assert "<script>alert" not in html
    # Jinja2 (markupsafe) writes a double quote as &#34; where Django writes &quot;.
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    picks = re.findall(r'value="(\d+)" id="pick-\1"(.*?)</tr>', html, re.DOTALL)
    rows = {int(pk): row for pk, row in picks}
    assert set(rows) >= {late.pk, on_time.pk}
    assert "<strong>Urgent</strong>" in rows[late.pk]
    assert ">Overdue by " in rows[late.pk] and "Overdue" not in rows[on_time.pk]
    assert f'href="/staff/cases/{late.pk}/">{late.reference}</a>' in rows[late.pk]
    assert f"Select {late.reference}" in rows[late.pk]
    submitted = timezone.localtime(late.submitted_at)
    assert submitted.strftime("%Y-%m-%d") in rows[late.pk]
    assert submitted.strftime("%H:%M") in rows[late.pk]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("casework:queue-office")).content.decode()
    assert "<strong>紧急</strong>" in html and ">已超期 " in html


@pytest.mark.django_db
def test_a_claim_follows_the_users_grants_as_they_are_now(world):
    """A case above the caseworker's level is passed over, and once their grant is raised the
    next claim (the next request, a fresh user object) takes it."""
    from civilaffairs.accounts.actions import do_grant_role
    from civilaffairs.lib.confidentiality import Confidentiality

    def caseworker_at(level):
        do_grant_role(
            world.caseworker, world.township, CW, acting_user=None, max_confidentiality=level
        )
        return User.objects.get(pk=world.caseworker.pk)  # the next request's user

    secret = make_case()
    Case.objects.filter(pk=secret.pk).update(confidentiality=Confidentiality.SENSITIVE)
    user = caseworker_at(Confidentiality.CONFIDENTIAL)
    assert do_claim_next(acting_user=user) is None
    assert do_claim_next(acting_user=user) is None
    user = caseworker_at(Confidentiality.SENSITIVE)
    claimed = do_claim_next(acting_user=user)
    assert claimed is not None and claimed.pk == secret.pk
    # Another caseworker of the office at the ordinary level still does not get such a case.
    secret2 = make_case()
    Case.objects.filter(pk=secret2.pk).update(confidentiality=Confidentiality.SENSITIVE)
    other = staff("township_cw_x", "640104001", CW)
    assert do_claim_next(acting_user=other) is None


@pytest.mark.django_db
def test_a_queue_page_follows_the_users_grants_as_they_are_now(client, world):
    """A case above the caseworker's level is not listed, and once their grant is raised the
    next page lists it (and the counts, keyed by the user's Scope, are counted anew)."""
    from civilaffairs.accounts.actions import do_grant_role
    from civilaffairs.lib.confidentiality import Confidentiality

    secret = make_case()
    Case.objects.filter(pk=secret.pk).update(confidentiality=Confidentiality.SENSITIVE)
    ordinary = make_case()
    sign_in(client, world.caseworker)
    url = reverse("casework:queue-office")
    for _ in range(2):
        ids = _case_ids(client.get(url).content.decode())
        assert ordinary.pk in ids and secret.pk not in ids
    do_grant_role(
        world.caseworker,
        world.township,
        CW,
        acting_user=None,
        max_confidentiality=Confidentiality.SENSITIVE,
    )
    ids = _case_ids(client.get(url).content.decode())
    assert {ordinary.pk, secret.pk} <= set(ids)
    # Another caseworker of the same office at the ordinary level still does not see it.
    other = staff("township_cw_y", "640104001", CW)
    sign_in(client, other)
    ids = _case_ids(client.get(url).content.decode())
    assert ordinary.pk in ids and secret.pk not in ids


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        _encode([0, "not a date", 1]),
        _encode([0, "2026-01-01T00:00:00+00:00"]),
        "%%%not-base64",
        _encode({"a": 1}),
        _encode(["x", "2026-01-01T00:00:00+00:00", 1]),
        _encode([True, "2026-01-01T00:00:00+00:00", 1]),
        _encode([[1], "2026-01-01T00:00:00+00:00", 1]),
        _encode([{"a": 1}, "2026-01-01T00:00:00+00:00", 1]),
        _encode([0, "2026-01-01T00:00:00+00:00", 10**30]),
        _encode([-(10**12), "2026-01-01T00:00:00+00:00", 1]),
        _encode([None, None, None]),
        # JSON that Python reads but no column holds (found by fuzzing: each answered 500).
        _encode([float("inf"), "2026-01-01T00:00:00+00:00", 1]),
        _encode([0, "2026-01-01T00:00:00+00:00", float("-inf")]),
        _encode([0, "2026-01-01T00:00:00+00:00", float("nan")]),
        _encode([0, "2026-01-01\x00", 1]),
        _encode([0, "\ud800", 1]),
    ],
)
def test_a_malformed_cursor_starts_at_the_first_page(client, world, cursor):
    first = make_case()
    sign_in(client, world.caseworker)
    response = client.get(reverse("casework:queue-office") + "?after=" + cursor)
    assert response.status_code == 200
    assert first.pk in _case_ids(response.content.decode())


@pytest.mark.django_db
def test_the_counts_of_a_long_queue_are_counted_again_once_they_are_a_minute_old(
    client, world, settings
):
    """Counts kept in the shared cache are never used past their time: a minute on, the
    queue is counted again."""
    settings.QUEUE_COUNTS_CACHE_FROM = 2
    applicant = resident()
    for _ in range(2):
        make_case(applicant)
    sign_in(client, world.caseworker)
    url = reverse("casework:queue-office")
    cache.delete(_counts_key(world.caseworker, "office", {}))  # left by an earlier run
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as second:
        html = client.get(url).content.decode()
    assert (_group_bys(first), _group_bys(second)) == (1, 0)
    assert "Screened: <strong>2</strong>" in html
    make_case(applicant)
    later = timezone.now() + dt.timedelta(seconds=settings.QUEUE_COUNTS_SECONDS + 1)
    with time_machine.travel(later), CaptureQueriesContext(connection) as third:
        html = client.get(url).content.decode()
    assert _group_bys(third) == 1 and "Screened: <strong>3</strong>" in html


@pytest.mark.django_db
def test_the_administrator_sees_every_offices_queue(client, world):
    """A superuser holds no grant: their queues still open, and the office queue lists the
    unassigned cases of every office."""
    home, elsewhere = make_case(), make_case(code=ELSEWHERE)
    sign_in(client, world.admin)
    response = client.get(reverse("casework:queue-office"))
    assert response.status_code == 200
    assert {home.pk, elsewhere.pk} <= set(_case_ids(response.content.decode()))
    assert client.get(reverse("casework:queue-mine")).status_code == 200


@pytest.mark.django_db
def test_every_narrowed_service_builds_its_scope_from_the_user_and_grants_alone(world):
    """The counts of a long queue and the claim statement are cached under the user's Scope
    (their id, flag, grants and services): a Service.staff_scope that read the database or
    the clock while building its Q would make them depend on something the key does not hold. Building each one asks
    the database nothing and gives the same Q every time."""
    from civilaffairs.accounts.access import grants_for
    from civilaffairs.casework.registry import narrowed_services

    services = narrowed_services()
    assert {s.code for s in services} >= {"childwelfare.intake", "childwelfare.allowance"}
    for user in (world.caseworker, world.supervisor, world.citizen):
        grants_for(user)  # the grants themselves are read once per request, with the user
        with CaptureQueriesContext(connection) as ctx:
            first = [s.staff_scope(user) for s in services]
            again = [s.staff_scope(user) for s in services]
        assert ctx.captured_queries == []
        assert first == again


@pytest.mark.django_db
def test_a_state_is_queued_only_in_the_workflow_that_queues_it(world):
    """Marriage's `review` is not a queued state although assistance's `review` is: an
    unassigned marriage case under review is neither listed in an office queue nor claimable
    (it was, while queue membership merged every workflow's state names)."""
    from civilaffairs.casework.queries import list_unassigned_cases
    from civilaffairs.casework.workflow import workflow_for

    assert workflow_for("assistance.dibao").states["review"].queued
    assert not workflow_for("marriage.registration").states["review"].queued
    marriage, dibao = make_case(resident()), make_case(resident())
    Case.objects.filter(pk=marriage.pk).update(service="marriage.registration", state="review")
    Case.objects.filter(pk=dibao.pk).update(service="assistance.dibao", state="review")
    queued = set(Case.objects.queued().values_list("pk", flat=True))
    assert dibao.pk in queued and marriage.pk not in queued
    listed = set(list_unassigned_cases(world.admin).values_list("pk", flat=True))
    assert dibao.pk in listed and marriage.pk not in listed


@pytest.mark.django_db
def test_a_kept_statement_pages_in_either_direction_and_gives_plain_rows(world):
    """lib.paging.keyset_page_sql around a kept statement, without a row builder: plain dicts,
    newest first as asked, every row once, the same rows as the queryset holds."""
    from civilaffairs.lib.paging import keyset_page_sql

    made = {make_case().pk for _ in range(5)}
    sql, params = Case.objects.filter(pk__in=made).values("id").query.sql_with_params()
    seen, after = [], None
    while True:
        page = keyset_page_sql(sql, params, model=Case, order=("-id",), after=after, size=2)
        seen += [r["id"] for r in page.rows]
        if not page.has_next:
            break
        after = page.next_cursor
    assert seen == sorted(made, reverse=True)
    with pytest.raises(ValueError):
        keyset_page_sql(sql, params, model=Case, order=("-id", "reference"))

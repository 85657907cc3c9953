"""Every state change of a case: create, submit, transition, route, assign, note, notify.

Each action is atomic, locks the case row it reads and writes, takes `acting_user` keyword-only
(None only for the system: tasks and the sweep) and writes the CaseEvent.
"""

import datetime as dt
import functools
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import grants_for
from civilaffairs.accounts.models import Office, StaffRole
from civilaffairs.lib.compiled import compiled
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.outage import Outage

from .calendar import due_at_for
from .models import Case, CaseEvent, Notification, Screening, visible_to_key
from .registry import get_service
from .workflow import Transition, workflow_for


def _lock(case_or_id) -> Case:
    pk = case_or_id.pk if isinstance(case_or_id, Case) else case_or_id
    return Case.objects.select_for_update().get(pk=pk)


def next_reference(prefix: str, day: dt.date | None = None) -> str:
    """DB-20261122-00017: service prefix, date, and a per-day sequence from one atomic upsert
    (no two submissions can get the same number, and no lock is held past the statement)."""
    day = day or timezone.localdate()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO casework_referencecounter (prefix, day, last) VALUES (%s, %s, 1)
            ON CONFLICT (prefix, day) DO UPDATE SET last = casework_referencecounter.last + 1
            RETURNING last
            """,
            [prefix, day],
        )
        (seq,) = cur.fetchone()
    return f"{prefix}-{day:%Y%m%d}-{seq:05d}"


def add_event(
    case: Case,
    kind: str,
    *,
    actor=None,
    public=False,
    message="",
    data=None,
    transition="",
    from_state="",
    to_state="",
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        public=public,
        message=str(message),
        data=data or {},
        transition=transition,
        from_state=from_state,
        to_state=to_state,
    )
    if public:
        # The inbox entry is written with the event, in its transaction: it can never be lost
        # between a commit and a callback, and a screening commits once, not once per event.
        # Only the e-mail waits for the commit.
        note, address = _inbox_entry(event, fresh=True)
        if address:
            transaction.on_commit(lambda: email_notification(note.pk, address))
    return event


@transaction.atomic
def do_create_case(
    *,
    acting_user,
    service: str,
    region,
    applicant=None,
    beneficiary=None,
    household=None,
    channel: str = Case.Channel.ONLINE,
    priority: int = Case.Priority.NORMAL,
) -> Case:
    """A new case in its workflow's initial state (usually a draft the citizen can resume)."""
    svc = get_service(service)
    wf = workflow_for(service)
    case = Case(
        reference=next_reference(svc.reference_prefix),
        service=service,
        state=wf.initial,
        region=region,
        applicant=applicant,
        beneficiary=beneficiary or applicant,
        household=household,
        channel=channel,
        priority=priority,
        confidentiality=svc.confidentiality,
        created_by=acting_user,
    )
    _save(case, acting_user)
    add_event(
        case,
        CaseEvent.Kind.CREATED,
        actor=acting_user,
        to_state=case.state,
        data={"channel": channel},
    )
    return case


@transaction.atomic
def do_submit_case(case: Case, *, acting_user, message: str = "") -> Case:
    """Submit a draft. The case is committed first; screening is queued after the commit, so a
    broker that is down loses nothing (the sweep re-queues it)."""
    case = _lock(case)
    wf = case.workflow
    if case.state != wf.initial:
        raise ValidationError(_("This application has already been submitted."))
    _check_citizen_or_staff(case, acting_user)
    now = timezone.now()
    case.state = wf.submitted
    case.submitted_at = now
    case.due_at = due_at_for(case.service_def, now, case.region_id)
    _save(case, acting_user, "submitted")
    add_event(
        case,
        CaseEvent.Kind.TRANSITION,
        actor=acting_user,
        public=True,
        transition="submit",
        from_state=wf.initial,
        to_state=wf.submitted,
        message=message
        or _("Your application was received. Reference number: %(ref)s.") % {"ref": case.reference},
    )
    transaction.on_commit(lambda: enqueue_screening(case.pk))
    return case


# The broker as this process sees it: after a failed publish, submissions are not published
# for a few seconds (the sweep screens them), so a hung broker costs one request its socket
# timeouts (settings.CELERY_BROKER_TRANSPORT_OPTIONS) once per interval, not every submission.
broker = Outage("Celery broker", retry_after=10)


def enqueue_screening(case_id: int, *, even_if_down: bool = False) -> bool:
    """Hand screening to the queue. A dead broker is logged (once in a while, lib.outage),
    never raised, and does not hold the request up: the case is saved in its submitted state
    and the sweep picks it up (casework.tasks.sweep_submitted_task). The sweep tries even
    while this process believes the broker is away (`even_if_down`): trying is its job."""
    from .tasks import screen_case_task

    if not even_if_down and broker.should_skip():
        return False
    try:
        screen_case_task.apply_async(
            args=[case_id],
            queue=settings.SCREENING_QUEUE,
            retry=True,
            # One immediate second try, on a fresh connection: a pooled one may have died
            # with a broker restart.
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0},
        )
    except Exception as exc:  # kombu raises several kinds; any of them means "not queued now"
        broker.failed(exc)
        return False
    broker.succeeded()
    return True


def _check_citizen_or_staff(case: Case, user):
    if user is None:
        return
    if not case.is_party_or_visible_to(user):
        raise PermissionDenied


def can_fire(case: Case, t: Transition, user) -> bool:
    try:
        _check_transition_right(case, t, user)
    except PermissionDenied:
        return False
    return True


def _check_transition_right(case: Case, t: Transition, user):
    if user is None:
        if not t.system:
            raise PermissionDenied("system may not fire " + t.name)
        return
    if t.citizen and user.person_id and user.person_id in (case.applicant_id, case.beneficiary_id):
        return
    if not t.roles:
        raise PermissionDenied
    if getattr(user, "is_superuser", False):
        return
    if not case.is_visible_to(user):
        raise PermissionDenied
    ok = any(
        g.role in t.roles
        and case.region_id.startswith(g.region_prefix)
        and (t.office_level is None or g.office_level == t.office_level)
        and case.confidentiality <= g.max_level
        for g in grants_for(user)
    )
    if not ok:
        raise PermissionDenied
    # Once a case is someone's, their colleagues do not act on it behind their back; a
    # supervisor reassigns it first.
    if t.assignee_only and case.assignee_id and case.assignee_id != user.pk:
        raise PermissionDenied


@transaction.atomic
def do_transition(
    case: Case,
    name: str,
    *,
    acting_user,
    reason: str = "",
    data: dict | None = None,
    public_message: str = "",
) -> Case:
    """Fire one transition of the case's workflow (the engine)."""
    case = _lock(case)
    wf = case.workflow
    t = wf.transitions.get(name)
    if t is None:
        raise ValidationError(_("Unknown action."))
    if case.state not in t.sources:
        raise ValidationError(
            _("This action is not possible now: the case is “%(state)s”.")
            % {"state": case.get_state_display()}
        )
    _check_transition_right(case, t, acting_user)
    if t.needs_reason and not reason.strip():
        raise ValidationError({"reason": _("Please write the reason; the applicant will read it.")})
    if t.guard is not None:
        problem = t.guard(case)
        if problem:
            raise ValidationError(problem)
    source = case.state
    target = wf.states[t.target]
    case.state = t.target
    if t.route_to_level is not None:
        office = route_office(case, level=t.route_to_level)
        if office is None:
            raise ValidationError(
                _("No office handles this service for the area at the next level.")
            )
        case.office = office
        case.assignee = None
    if target.terminal:
        _close(case, target.outcome, reason)
    elif target.decided:
        case.outcome = target.outcome
        case.outcome_reason = reason
        case.due_at = None
    _save(case, acting_user, t.name)
    add_event(
        case,
        CaseEvent.Kind.TRANSITION,
        actor=acting_user,
        public=target.public,
        transition=t.name,
        from_state=source,
        to_state=t.target,
        message=public_message or reason,
        data=data or {},
    )
    for follow_up in t.after:
        transaction.on_commit(lambda f=follow_up, pk=case.pk: f(pk))
    return case


def _close(case: Case, outcome: str, reason: str):
    now = timezone.now()
    case.closed_at = now
    case.outcome = outcome
    case.outcome_reason = reason
    years = case.service_def.retention_years
    local = timezone.localdate(now)
    if years is None:  # kept permanently
        case.archive_on = None
    else:
        try:
            case.archive_on = local.replace(year=local.year + years)
        except ValueError:  # 29 February
            case.archive_on = dt.date(local.year + years, 2, 28)


def route_office(case: Case, *, level: int | None = None) -> Office | None:
    """The office whose jurisdiction covers the case's region and that handles its service:
    at `level` when given, else the deepest at or above the service's intake level."""
    qs = Office.objects.handling(case.service).covering(case.region_id)
    if level is not None:
        return qs.filter(level=level).first()
    return qs.filter(level__lte=case.service_def.intake_level).first()


@transaction.atomic
def do_route_case(case: Case, *, acting_user=None) -> Case:
    case = _lock(case)
    office = route_office(case)
    before = case.office_id
    case.office = office
    case.assignee = None
    _save(case, acting_user, "routed")
    add_event(
        case,
        CaseEvent.Kind.ROUTING,
        actor=acting_user,
        public=office is not None,
        message=(_("Sent to %(office)s for handling.") % {"office": office.name})
        if office
        else _("No office handles this service for the area; sent to the supervisor."),
        data={"from_office": before, "to_office": office.pk if office else None},
    )
    return case


@transaction.atomic
def do_record_screening(
    case: Case, *, program: str, result, reason: str = "submitted", acting_user=None
) -> Screening:
    """Store the full screening (rule versions, facts, parameters, every rule's outcome)."""
    case = _lock(case)
    payload = result.to_json()
    screening = Screening.objects.create(
        case=case,
        program=program,
        ruleset_id=payload.get("ruleset_id"),
        ruleset_version=payload.get("ruleset_version"),
        outcome=payload["outcome"],
        facts=payload.get("facts", {}),
        parameters=payload.get("parameters", {}),
        results=payload.get("results", []),
        reason=reason,
    )
    case.screening_outcome = payload["outcome"]
    _save(case, acting_user, "screened")
    # The applicant reads this on their page: written in their language, not in whatever
    # language the worker's thread last served.
    person = case.applicant or case.beneficiary
    with translation.override(_user_language(person) if person else settings.LANGUAGE_CODE):
        summary = screening_summary(payload)
    add_event(
        case,
        CaseEvent.Kind.SCREENING,
        actor=acting_user,
        public=True,
        message=summary,
        data={"screening": screening.pk, "outcome": payload["outcome"]},
    )
    return screening


def screening_summary(payload: dict) -> str:
    outcome = payload["outcome"]
    if outcome == "pass":
        head = _(
            "Automatic pre-check: you appear to meet the conditions. A caseworker will now verify."
        )
    elif outcome == "fail":
        head = _(
            "Automatic pre-check: some conditions do not seem to be met. A caseworker will still review your application."
        )
    else:
        head = _("Automatic pre-check: a caseworker needs to look at some points.")
    reasons = [r["reason"] for r in payload.get("results", []) if r.get("reason")]
    return "\n".join([head, *reasons])


def do_claim_next(*, acting_user, office_ids: list[int] | None = None) -> Case | None:
    """Take the most urgent unassigned case of the user's offices. SKIP LOCKED: a row another
    caseworker is claiming right now is passed over, so two never get the same case.

    Claiming is the busiest write there is (a whole office pressing "take the next case" at
    nine in the morning), so it is one statement (_claim_statement): the pick, the assignment,
    its history row and its timeline event travel to PostgreSQL together and commit together,
    instead of six round trips and two ORM saves."""
    from civilaffairs.accounts.access import office_ids as my_offices

    offices = office_ids if office_ids is not None else my_offices(acting_user)
    allowed = set(my_offices(acting_user))
    offices = [o for o in offices if o in allowed]
    if not offices:
        return None
    sql, params = _claim_statement(acting_user, offices)
    return next(iter(Case.objects.raw(sql, params)), None)


def _claim_statement(user, offices: list[int]) -> tuple[str, list]:
    """The claim statement for the user and offices, compiled once per process (lib.compiled)
    under everything it is built from: building and compiling the pick (jurisdiction, narrowed
    services, queued states) cost as much as the rest of a claim."""
    from .workflow import queued_states

    def build():
        return _compile_claim(
            Case.objects.visible_to(user)
            .unassigned_in(offices)
            .filter(state__in=queued_states())
            .queue_order()
            .values("pk")[:1]
        )

    key = ("claim", visible_to_key(user), tuple(offices), tuple(queued_states()))
    sql, pick_params = compiled(key, build)
    now = timezone.now()
    params = [
        *pick_params,
        user.pk,
        now,
        "claimed",
        user.pk,
        CaseEvent.Kind.ASSIGNMENT,
        user.pk,
        json.dumps({"to": user.pk, "how": "claim"}),
        now,
    ]
    return sql, params


@functools.cache
def _history_columns() -> tuple[str, str]:
    """The case history table and the columns it copies from the case row (every tracked
    field; django-simple-history adds its own history_* columns)."""
    history = Case.history.model
    copied = [f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")]
    return history._meta.db_table, ", ".join(f'"{c}"' for c in copied)


def _compile_claim(pick) -> tuple[str, tuple]:
    """One data-modifying WITH: lock the first row of `pick` (SKIP LOCKED), assign it to the
    user, and write what an ORM save would: the history row (reason "claimed", as lib.history
    does through django-simple-history) and the ASSIGNMENT event. A single statement is
    atomic on its own, and inside a caller's transaction it joins it. The parameters after
    the pick's own are filled in by _claim_statement."""
    pick_sql, pick_params = pick.query.sql_with_params()
    history_table, columns = _history_columns()
    sql = f"""
        WITH picked (id) AS ({pick_sql} FOR UPDATE SKIP LOCKED),
        claimed AS (
            UPDATE {Case._meta.db_table} AS c SET assignee_id = %s
            FROM picked WHERE c.id = picked.id
            RETURNING c.*
        ),
        logged AS (
            INSERT INTO {history_table}
                ({columns}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {columns}, %s, %s, '~', %s FROM claimed
        ),
        timeline AS (
            INSERT INTO {CaseEvent._meta.db_table}
                (case_id, kind, transition, from_state, to_state, actor_id, public, message,
                 data, at)
            SELECT id, %s, '', '', '', %s, false, '', %s::jsonb, %s FROM claimed
        )
        SELECT * FROM claimed
    """
    return sql, tuple(pick_params)


def can_assign(case: Case, user) -> bool:
    """Whether the user may (re)assign this case: a supervisor whose jurisdiction covers it, or
    a supervisor or approver of the case's own office."""
    try:
        _check_supervisor(case, user)
    except PermissionDenied:
        return False
    return True


def _check_supervisor(case: Case, user):
    if getattr(user, "is_superuser", False):
        return
    ok = any(
        g.role == StaffRole.Role.SUPERVISOR
        and case.region_id.startswith(g.region_prefix)
        or (
            g.office_id == case.office_id
            and g.role in (StaffRole.Role.SUPERVISOR, StaffRole.Role.APPROVER)
        )
        for g in grants_for(user)
    )
    if not ok or not case.is_visible_to(user):
        raise PermissionDenied


@transaction.atomic
def do_assign_case(case: Case, assignee, *, acting_user) -> Case:
    """A supervisor (re)assigns a case to a member of staff of the case's office."""
    case = _lock(case)
    _check_supervisor(case, acting_user)
    if not case.is_open:
        raise ValidationError(_("A closed case cannot be assigned."))
    if (
        assignee is not None
        and not StaffRole.objects.filter(
            user=assignee, office_id=case.office_id, is_active=True
        ).exists()
    ):
        raise ValidationError(
            _("%(name)s does not work in the office handling this case.") % {"name": assignee}
        )
    before = case.assignee_id
    case.assignee = assignee
    _save(case, acting_user, "assigned")
    add_event(
        case,
        CaseEvent.Kind.ASSIGNMENT,
        actor=acting_user,
        data={"from": before, "to": assignee.pk if assignee else None, "how": "assign"},
    )
    return case


def do_bulk_assign(
    case_ids: list[int], assignee, *, acting_user
) -> tuple[int, list[tuple[int, str]]]:
    """Assign several cases; each in its own transaction so one refusal does not undo the rest.
    Returns (assigned count, [(case id, why it was not assigned)])."""
    done, errors = 0, []
    for pk in case_ids:
        try:
            do_assign_case(Case(pk=pk), assignee, acting_user=acting_user)
            done += 1
        except ValidationError as exc:
            errors.append((pk, "; ".join(exc.messages)))
        except PermissionDenied:
            errors.append((pk, _("you may not assign this case.")))
        except Case.DoesNotExist:
            errors.append((pk, _("no such case.")))
    return done, errors


@transaction.atomic
def do_add_note(case: Case, *, acting_user, text: str, public: bool = False) -> CaseEvent:
    case = _lock(case)
    _check_citizen_or_staff(case, acting_user)
    if not text.strip():
        raise ValidationError({"text": _("The note is empty.")})
    return add_event(
        case, CaseEvent.Kind.NOTE, actor=acting_user, public=public, message=text.strip()
    )


@transaction.atomic
def do_set_priority(case: Case, priority: int, *, acting_user) -> Case:
    case = _lock(case)
    _check_supervisor(case, acting_user)
    case.priority = priority
    _save(case, acting_user, "priority")
    add_event(case, CaseEvent.Kind.CHANGE, actor=acting_user, data={"priority": priority})
    return case


def _inbox_entry(event: CaseEvent, *, fresh: bool = False) -> tuple[Notification | None, str]:
    """The citizen's inbox entry for a public event (one per event), in the citizen's language,
    and the address to e-mail it to ('' when none or when the entry already existed)."""
    case = event.case
    person = case.applicant or case.beneficiary
    if person is None:
        return None, ""
    account = getattr(person, "account", None)
    with translation.override(_user_language(person)):
        state = case.workflow.states.get(event.to_state or case.state)
        label = (state.citizen_label or state.label) if state else ""
        title = str(_("Application %(ref)s: %(state)s") % {"ref": case.reference, "state": label})
    fields = {"person": person, "case": case, "title": title, "body": event.message}
    if fresh:
        note, created = Notification.objects.create(event=event, **fields), True
    else:
        note, created = Notification.objects.get_or_create(event=event, defaults=fields)
    address = account.email if created and account is not None and account.email else ""
    return note, address


def email_notification(note_id: int, address: str):
    """E-mail an inbox entry (after the commit that wrote it); a failed send is not retried
    here: the entry is in the inbox either way."""
    note = Notification.objects.filter(pk=note_id).first()
    if note is None:
        return
    send_mail(note.title, note.body or note.title, None, [address], fail_silently=True)
    Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())


def notify_event(event_id: int):
    """Put a public event in the citizen's inbox and e-mail it when they have an address.
    Idempotent per event. add_event does this as it writes the event; this is for an event
    written without its entry (data from before, a repair)."""
    event = CaseEvent.objects.select_related("case", "case__applicant").filter(pk=event_id).first()
    if event is None or not event.public:
        return None
    note, address = _inbox_entry(event)
    if address:
        email_notification(note.pk, address)
    return note


def _user_language(person) -> str:

    account = getattr(person, "account", None)
    return (
        account.language if account is not None and account.language else None
    ) or settings.LANGUAGE_CODE


@transaction.atomic
def do_mark_notifications_read(person, *, acting_user, ids=None) -> int:
    qs = Notification.objects.filter(person=person, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def do_screen_and_route(case_id: int) -> str:
    """Evaluate the service's rules, store the explanation, route to the office, move the case
    on. All or nothing; a second run finds the case already moved and does nothing."""
    case = _lock(case_id)
    wf = case.workflow
    if case.state != wf.submitted:
        return "skipped"
    svc = case.service_def
    if svc.program and svc.fact_context is not None:
        from civilaffairs.rules.engine import evaluate
        from civilaffairs.rules.models import Program

        program = Program.objects.filter(code=svc.program, is_active=True).first()
        if program is not None:
            with translation.override(_user_language(case.applicant)):
                result = evaluate(program, svc.fact_context(case))
            do_record_screening(case, program=svc.program, result=result)
    do_route_case(case)
    do_transition(case, "screen", acting_user=None)
    return "screened"

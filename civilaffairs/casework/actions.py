"""Every state change of a case: create, submit, transition, route, assign, note, notify.

Each action is atomic, locks the case row it reads and writes, takes `acting_user` keyword-only
(None only for the system: tasks and the sweep) and writes the CaseEvent.
"""

import datetime as dt
import functools
import json

from celery import signature
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import grants_for
from civilaffairs.accounts.models import Office, StaffRole
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.outage import Outage
from civilaffairs.rules.engine import reason_of

from . import events
from .calendar import due_at_for
from .forms import step_form
from .models import Case, CaseEvent, Notification, Screening
from .notify import language_of, notify
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
    tell=(),
) -> CaseEvent:
    """Write a timeline event. A public one is told, in the same transaction, to the case's
    parties (Workflow.parties) and to `tell` (more people). `message` may be a callable: it is
    then written in each reader's language (the timeline keeps the first party's)."""
    parties = _parties(case, tell) if public else []
    # What the system writes (a callable) is kept in every language, each reader reading their
    # own (CaseEvent.text); `message` is the first party's, or the site's for staff-only events.
    translations = None
    if callable(message):
        translations = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                translations[code] = str(message() or "")
    with translation.override(language_of(parties[0]) if parties else settings.LANGUAGE_CODE):
        text = message() if callable(message) else message
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        public=public,
        translations=translations,
        message=str(text or ""),
        data=data or {},
        transition=transition,
        from_state=from_state,
        to_state=to_state,
    )
    for person in parties:
        notify(
            person,
            _event_title(case, event),
            message if callable(message) else event.message,
            event=event,
        )
    return event


def _event_title(case: Case, event: CaseEvent):
    """The inbox title of a case event, written when called (in the reader's language)."""

    def title():
        return _("Application %(ref)s: %(state)s") % {
            "ref": case.reference,
            "state": case.citizen_state_label(event.to_state),
        }

    return title


def _parties(case: Case, tell=()) -> list:
    """The case's parties and `tell` (people or callables of the case), each once."""
    out, seen = [], set()
    for item in (*case.workflow.parties(case), *tell):
        found = item(case) if callable(item) else item
        for person in found if isinstance(found, list | tuple) else [found]:
            if person is not None and person.pk not in seen:
                seen.add(person.pk)
                out.append(person)
    return out


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


def do_submit_case(case: Case, *, acting_user, message="") -> Case:
    """Submit a draft: the workflow's "submit" step. The case is committed first; screening is
    queued after the commit, so a broker that is down loses nothing (the sweep re-queues it)."""
    return do_transition(case, "submit", acting_user=acting_user, public_message=message)


# The broker as this process sees it: after a failed publish, submissions are not published
# for a few seconds (the sweep screens them), so a hung broker costs one request its socket
# timeouts (settings.CELERY_BROKER_TRANSPORT_OPTIONS) once per interval, not every submission.
broker = Outage("Celery broker", retry_after=10)

# The name casework.tasks registers screen_case_task under.
SCREEN_CASE_TASK = "casework.screen_case_task"


def enqueue_screening(case_id: int, *, even_if_down: bool = False) -> bool:
    """Hand screening to the queue. A dead broker is logged (once in a while, lib.outage),
    never raised, and does not hold the request up: the case is saved in its submitted state
    and the sweep picks it up (casework.tasks.sweep_submitted_task). The sweep tries even
    while this process believes the broker is away (`even_if_down`): trying is its job.

    The task is named, not imported: casework.tasks calls these actions, so importing it here
    would make the two modules import each other. A signature by name is the task itself
    wherever it is registered (eager mode included) and a plain send elsewhere."""
    if not even_if_down and broker.should_skip():
        return False
    try:
        signature(SCREEN_CASE_TASK, args=[case_id]).apply_async(
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
    """Whether `user` may take step `t` on the case: the step's one predicate."""
    return bool(t.who(case, user))


class StepInvalid(ValidationError):
    """The step's form was not valid: the bound form travels with the error so the page can
    show the fields again with their messages (nothing was saved)."""

    def __init__(self, form):
        # Keyed by field as the form has them ("__all__" for the rest), like a model's errors.
        super().__init__(form.errors.as_data())
        self.form = form


@transaction.atomic
def do_transition(
    case: Case,
    name: str,
    *,
    acting_user,
    form=None,
    values: dict | None = None,
    files=None,
    reason="",
    data: dict | None = None,
    public_message="",
) -> Case:
    """Take one step of the case's workflow: the only way a case moves.

    Lock the case; check the step's `who` once and the state; check its guard; validate its
    form (a bound `form` from a page, or plain `values` and `reason` from code); call its
    handler to write the domain's rows; set the state (close, decide, route); write the event;
    tell every party; schedule the follow-ups on commit. All or nothing.

    A `reason` or `public_message` the system writes is a callable (`lambda: _("…") % {…}`),
    so that the timeline and the messages read in each reader's language (add_event); the
    case's own record of the reason keeps the site's language."""
    said = reason if callable(reason) else None
    if said is not None:
        with translation.override(settings.LANGUAGE_CODE):
            reason = str(said())
    case = _lock(case)
    wf = case.workflow
    t = wf.transitions.get(name)
    if t is None:
        raise ValidationError(_("Unknown action."))
    # Who may take the step is asked first: someone who may not is not told the case's state.
    if not t.who(case, acting_user):
        raise PermissionDenied(f"may not take {t.name}")
    if case.state not in t.sources:
        if t.name == "submit":
            raise ValidationError(_("This application has already been submitted."))
        raise ValidationError(
            _("This action is not possible now: the case is “%(state)s”.")
            % {"state": case.get_state_display()}
        )
    if t.guard is not None:
        problem = t.guard(case)
        if problem:
            raise ValidationError(problem)
    if form is None:
        sent = dict(values or {})
        if reason or "reason" not in sent:  # a step form may ask for the reason as a value
            sent["reason"] = reason
        form = step_form(t, case, sent, files, user=acting_user, prefixed=False)
    else:  # the page's form was built before the lock: the handler must see the locked row
        form.case = case
    if not form.is_valid():
        raise StepInvalid(form)
    cleaned = form.cleaned_data
    reason = cleaned.get("reason", "") or ""
    try:
        written = t.handler(case, cleaned, acting_user) if t.handler is not None else None
    except ValidationError as exc:
        # The handler's refusal is shown with the form, on the fields it names when it names
        # the form's own; the raise undoes whatever the handler wrote.
        if not hasattr(exc, "error_dict") or set(exc.error_dict) <= set(form.fields):
            form.add_error(None, exc)
            raise StepInvalid(form) from exc
        raise
    written = written or {}
    source = case.state
    target = wf.states[t.target]
    case.state = t.target
    if t.name == "submit":
        now = timezone.now()
        case.submitted_at = now
        case.due_at = due_at_for(case.service_def, now, case.region_id)
    level = t.route_to_level(case) if callable(t.route_to_level) else t.route_to_level
    if level is not None:
        office = route_office(case, level=level)
        if office is None:
            raise ValidationError(
                _("No office handles this service for the area at the next level.")
            )
        case.office = office
        case.assignee = None
    # Working a case makes it yours: staff who take a step on a case of the office queue (they
    # accept it, record the visit) are its assignee from then on, so nobody else picks it up
    # meanwhile. Not when the step hands it on (routing) or ends the work (a decision).
    owner = (
        t.route_to_level is None
        and not target.terminal
        and not target.decided
        and target.queued
        and case.assignee_id is None
        and case.office_id is not None
        and acting_user is not None
        and t.roles
        and StaffRole.objects.filter(
            user=acting_user, office_id=case.office_id, is_active=True
        ).exists()
    )
    if owner:
        case.assignee = acting_user
    # A withdrawal ends a case without deciding it: it is not a decision, nor timed as one.
    decides = target.outcome and target.outcome != Case.Outcome.WITHDRAWN
    if (target.terminal or target.decided) and decides and case.decided_at is None:
        now = timezone.now()
        case.decided_at, case.decided_due_at = now, case.due_at
    if target.terminal:
        _close(case, target.outcome, reason)
    elif target.decided:
        case.outcome = target.outcome
        case.outcome_reason = reason
        case.due_at = None
    _save(case, acting_user, "submitted" if t.name == "submit" else t.name)
    if target.outcome and (target.decided or target.terminal) and case.outcome:
        events.case_decided.send(Case, case=case, acting_user=acting_user)
    message = public_message or written.get("message") or said or reason
    if t.name == "submit" and not message:
        message = _received_message(case)
    add_event(
        case,
        CaseEvent.Kind.TRANSITION,
        actor=acting_user,
        public=target.public,
        transition=t.name,
        from_state=source,
        to_state=t.target,
        message=message,
        data={**(data or {}), **written.get("data", {})},
        tell=t.notify,
    )
    if owner:
        add_event(
            case,
            CaseEvent.Kind.ASSIGNMENT,
            actor=acting_user,
            data={"to": acting_user.pk, "how": "worked"},
        )
    follow_ups = (*t.after, enqueue_screening) if t.name == "submit" else t.after
    for follow_up in follow_ups:
        transaction.on_commit(lambda f=follow_up, pk=case.pk: f(pk))
    return case


def _received_message(case: Case):
    def message():
        return _("Your application was received. Reference number: %(ref)s.") % {
            "ref": case.reference
        }

    return message


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
        message=(lambda: _("Sent to %(office)s for handling.") % {"office": office.name})
        if office
        else (lambda: _("No office handles this service for the area; sent to the supervisor.")),
        data={"from_office": before, "to_office": office.pk if office else None},
    )
    return case


@transaction.atomic
def do_record_screening(
    case: Case,
    *,
    program: str,
    result,
    reason: str = "submitted",
    acting_user=None,
    announce: bool = True,
) -> Screening:
    """Store the full screening (rule versions, facts, parameters, every rule's outcome). With
    `announce` (at submission) the applicant is told the pre-check's result; a step that
    screens again (a periodic review) tells its own result in its own event instead."""
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
    if not announce:
        return screening
    # Read by the applicant and by staff, each in their own language: kept in every language.
    add_event(
        case,
        CaseEvent.Kind.SCREENING,
        actor=acting_user,
        public=True,
        message=lambda: screening_summary(payload),
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
    reasons = [reason_of(r) for r in payload.get("results", []) if r.get("reason")]
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
    """The claim statement for the user and offices, with every value a parameter: the pick
    (jurisdiction, offices, queued states, queue order) as the ORM writes it, then the
    assignment, its history row and its event."""
    from .scope import Scope
    from .workflow import queued_by_service

    sql, pick_params = _claim_sql_for(Scope.of(user), tuple(offices), queued_by_service(), user)
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


@functools.lru_cache(maxsize=2048)
def _claim_sql_for(scope, offices: tuple[int, ...], queued: tuple, user) -> tuple[str, tuple]:
    """The claim statement's text and the pick's parameters, kept per Scope, offices and queued
    states. Building and compiling the pick through the ORM cost as much as the rest of a
    claim, and a whole office claims at once: with it rebuilt on every claim the claim race
    fell under its target. The key is complete by construction: the Scope holds everything
    visible_to is built from (its cache_key() hashes every field, and equal scopes are equal
    keys), `user` adds nothing to it (a user compares by id, which the scope holds) and is
    only what the ORM builds from. Every value stays a parameter."""
    pick = (
        Case.objects.visible_to(user).unassigned_in(offices).queued().queue_order().values("pk")[:1]
    )
    return _claim_sql(pick)


@functools.cache
def _history_columns() -> tuple[str, str]:
    """The case history table and the columns it copies from the case row (every tracked
    field; django-simple-history adds its own history_* columns)."""
    history = Case.history.model
    copied = [f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")]
    return history._meta.db_table, ", ".join(f'"{c}"' for c in copied)


def _claim_sql(pick) -> tuple[str, tuple]:
    """One data-modifying WITH: lock the first row of `pick` (SKIP LOCKED), assign it to the
    user, and write what an ORM save would: the history row (reason "claimed", as lib.history
    does through django-simple-history) and the ASSIGNMENT event. A single statement is
    atomic on its own, and inside a caller's transaction it joins it. The parameters after
    the pick's own are filled in by _claim_statement."""
    pick_sql, pick_params = pick.query.sql_with_params()
    history_table, columns = _history_columns()
    # Names from _meta and the ORM's own SQL for the pick; every value is a parameter.
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
    """  # noqa: S608
    return sql, tuple(pick_params)


@transaction.atomic
def do_claim_case(case: Case, *, acting_user) -> Case:
    """Take this case from the office queue (not only the next one): a case of an office the
    user works in, waiting in the queue, nobody's yet."""
    case = _lock(case)
    if (
        not case.is_visible_to(acting_user)
        or not StaffRole.objects.filter(
            user=acting_user, office_id=case.office_id, is_active=True
        ).exists()
    ):
        raise PermissionDenied
    if case.assignee_id is not None:
        if case.assignee_id == acting_user.pk:
            return case
        raise ValidationError(
            _("%(name)s has taken this case already.") % {"name": case.assignee.display_name}
        )
    if not case.is_open or case.state not in case.workflow.queued():
        raise ValidationError(_("This case is not waiting in a queue."))
    case.assignee = acting_user
    _save(case, acting_user, "claimed")
    add_event(
        case,
        CaseEvent.Kind.ASSIGNMENT,
        actor=acting_user,
        data={"to": acting_user.pk, "how": "claim"},
    )
    return case


@transaction.atomic
def do_release_case(case: Case, *, acting_user) -> Case:
    """Give one's case back to the office queue (going on leave, taken by mistake)."""
    case = _lock(case)
    if case.assignee_id != acting_user.pk:
        raise PermissionDenied
    case.assignee = None
    _save(case, acting_user, "released")
    add_event(
        case,
        CaseEvent.Kind.ASSIGNMENT,
        actor=acting_user,
        data={"from": acting_user.pk, "to": None, "how": "release"},
    )
    return case


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
    if assignee is not None and not Case.objects.visible_to(assignee).filter(pk=case.pk).exists():
        # Handed to someone who cannot open it, the case would leave the queue and be lost.
        raise ValidationError(
            _(
                "%(name)s cannot work on this case: their role does not handle this service, "
                "or not at its confidentiality level."
            )
            % {"name": assignee.display_name}
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


def notify_event(event_id: int):
    """Tell a public event to the case's parties, for an event written without its inbox
    entries (data from before, a repair). Idempotent: each party hears of an event once."""
    event = CaseEvent.objects.select_related("case").filter(pk=event_id).first()
    if event is None or not event.public:
        return None
    case = event.case
    notes = [
        notify(
            person,
            _event_title(case, event),
            event.message,
            event=event,
        )
        for person in _parties(case)
    ]
    return notes[0] if notes else None


def _user_language(person) -> str:
    return language_of(person)


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

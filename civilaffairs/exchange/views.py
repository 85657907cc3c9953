"""The API's views: thin, each naming its endpoint; the grant, purpose and quota are checked
before the view runs (auth.py), every read is scoped (queries.py) and every call is logged
(finalize_response), whatever its answer."""

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from civilaffairs.lib import idnumber
from civilaffairs.lib.months import parse_month
from civilaffairs.lib.params import to_int
from civilaffairs.people.models import Region

from . import queries
from .actions import (
    do_answer_economic_check,
    do_receive_death_notice,
    do_receive_disability_notice,
    do_receive_income_notice,
    do_receive_premarital_notice,
)
from .catalogue import INCOME_KINDS, PREMARITAL_ADVICE
from .errors import ApiError, ApiInvalid
from .models import ApiCall, CheckSource
from .registry import marital_check
from .serializers import (
    BenefitOut,
    CaseOut,
    HouseholdOut,
    PersonOut,
    RecipientOut,
    mask_for_api,
)

log = logging.getLogger(__name__)

PURPOSE_HEADERS = [
    OpenApiParameter(
        "X-Purpose",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description="A purpose code from the client's grant.",
    ),
    OpenApiParameter(
        "X-Reference",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=False,
        description="A case or document reference, where the purpose needs one.",
    ),
]
ERRORS = {
    code: inline_serializer(
        name=f"Error{code}",
        fields={
            "code": serializers.CharField(),
            "message": serializers.DictField(child=serializers.CharField()),
            "errors": serializers.ListField(child=serializers.DictField(), required=False),
        },
    )
    for code in (400, 401, 403, 404, 429)
}


class ExchangeView(APIView):
    endpoint = ""

    def initial(self, request, *args, **kwargs):
        request.api_subjects = []
        request.api_sent = set()
        super().initial(request, *args, **kwargs)
        # REST framework hands the client to Django's request too, where django-simple-history
        # would take it for the user behind a change. A department's notice is the system
        # acting (acting_user=None, the notice kept as its own row), so Django's request
        # carries no user.
        request._request.user = AnonymousUser()

    def context(self, **extra):
        return {"principal": self.request.user, "sent": self.request.api_sent, **extra}

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        grant = getattr(request, "api_grant", None)
        try:
            ApiCall.objects.create(
                application_id=grant.application_id if grant else None,
                department=grant.department if grant else "",
                endpoint=self.endpoint,
                method=request.method[:8],
                path=request.path[:200],
                purpose=getattr(request, "api_purpose", ""),
                purpose_text=getattr(request, "api_purpose_text", ""),
                reference=getattr(request, "api_reference", ""),
                subjects=getattr(request, "api_subjects", []) if response.status_code < 300 else [],
                fields=sorted(getattr(request, "api_sent", ()))
                if response.status_code < 300
                else [],
                status=response.status_code,
                error_code=getattr(request, "api_error_code", ""),
            )
        except Exception:
            # The answer is not sent without its log line: a call that cannot be logged fails.
            log.exception("API call could not be logged")
            raise
        return response


def _id_number_field():
    return serializers.RegexField(r"^[0-9]{17}[0-9Xx]$", min_length=18, max_length=18)


IdNumberIn = inline_serializer(name="IdNumberIn", fields={"id_number": _id_number_field()})


class PersonLookupView(ExchangeView):
    """The ID number travels in the body, never in the address, so no web server's log
    holds it."""

    def person(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        unknown = sorted(set(body) - {"id_number"})
        problems = [("body", "unknown_field", _unknown_field(k)) for k in unknown]
        raw = body.get("id_number")
        if not isinstance(raw, str) or not raw.strip():
            problems.append(("id_number", "required", _required()))
        else:
            value = idnumber.normalize(raw)
            try:
                idnumber.parse(value)
            except ValidationError:
                problems.append(("id_number", "invalid", _bad_id()))
        if problems:
            raise ApiInvalid(problems)
        person = queries.person_by_id_number(request.user, value)
        request.api_subjects.append(person.pk)
        return person


def _unknown_field(name):
    return lambda: _("Unknown field %(name)s.") % {"name": name}


def _required():
    return lambda: _("This field is required.")


def _bad_id():
    return lambda: _("Not a valid resident ID number.")


class PersonView(PersonLookupView):
    endpoint = "persons:read"

    @extend_schema(
        request=IdNumberIn,
        responses={200: PersonOut, **ERRORS},
        parameters=PURPOSE_HEADERS,
        summary="A person by ID number",
    )
    def post(self, request):
        person = self.person(request)
        return Response(PersonOut(person, context=self.context()).data)


class HouseholdView(PersonLookupView):
    endpoint = "households:read"

    @extend_schema(
        request=IdNumberIn,
        responses={200: HouseholdOut, **ERRORS},
        parameters=PURPOSE_HEADERS,
        summary="The household a person belongs to now, with its members",
    )
    def post(self, request):
        person = self.person(request)
        household, members = queries.household_of(person)
        if household is None:
            raise Http404
        request.api_subjects.extend(m.person_id for m in members if m.person_id != person.pk)
        return Response(HouseholdOut(household, context=self.context(members=members)).data)


class BenefitsView(PersonLookupView):
    endpoint = "benefits:read"

    @extend_schema(
        request=IdNumberIn,
        responses={
            200: inline_serializer(
                name="BenefitStatus",
                fields={"as_of": serializers.DateField(), "benefits": BenefitOut(many=True)},
            ),
            **ERRORS,
        },
        parameters=PURPOSE_HEADERS,
        summary="Benefits a person receives or received: since when, how much",
    )
    def post(self, request):
        person = self.person(request)
        today = timezone.localdate()
        month = today.replace(day=1)
        rows = queries.benefits_of(person, today)
        data = BenefitOut(rows, many=True, context=self.context(month=month)).data
        return Response({"as_of": today.isoformat(), "benefits": data})


class MaritalStatusView(PersonLookupView):
    endpoint = "marriage:read"

    @extend_schema(
        request=IdNumberIn,
        responses={
            200: inline_serializer(
                name="MaritalStatus",
                fields={
                    "marital_status": serializers.CharField(allow_null=True),
                    "married_now": serializers.BooleanField(),
                    "registered_on": serializers.DateField(allow_null=True),
                    "registry": serializers.CharField(allow_blank=True),
                },
            ),
            **ERRORS,
        },
        parameters=PURPOSE_HEADERS,
        summary="Marital status: the master record and the registry's check of a marriage in force",
    )
    def post(self, request):
        from .catalogue import code_lists

        person = self.person(request)
        check = marital_check()
        found = check(person) if check is not None else None
        request.api_sent.add("person.marital_status")
        return Response(
            {
                "marital_status": code_lists()["GB/T 2261.2"].to_code(person.marital_status),
                "married_now": found is not None,
                "registered_on": found["registered_on"].isoformat()
                if found and found.get("registered_on")
                else None,
                "registry": found.get("registry", "") if found else "",
            }
        )


class CaseStatusView(ExchangeView):
    endpoint = "cases:read"

    @extend_schema(
        responses={200: CaseOut, **ERRORS},
        parameters=PURPOSE_HEADERS,
        summary="A case's status by its reference number",
    )
    def get(self, request, reference):
        case = queries.case_by_reference(request.user, reference[:32])
        if case.applicant_id:
            request.api_subjects.append(case.applicant_id)
        return Response(CaseOut(case, context=self.context()).data)


RECIPIENT_FILTERS = {"program", "region", "month", "after", "limit"}


class RecipientsView(ExchangeView):
    endpoint = "recipients:read"

    @extend_schema(
        parameters=[
            *PURPOSE_HEADERS,
            OpenApiParameter("program", OpenApiTypes.STR, required=True),
            OpenApiParameter("region", OpenApiTypes.STR, required=True),
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM"),
            OpenApiParameter("after", OpenApiTypes.INT, required=False),
            OpenApiParameter("limit", OpenApiTypes.INT, required=False, description="1-1000"),
        ],
        responses={
            200: inline_serializer(
                name="RecipientPage",
                fields={
                    "results": RecipientOut(many=True),
                    "next_after": serializers.IntegerField(allow_null=True),
                },
            ),
            **ERRORS,
        },
        summary="The recipients a program pays for a month in a region (keyset-paged)",
    )
    def get(self, request):
        from civilaffairs.benefits.registry import all_programs

        params = request.query_params
        problems = []
        for name in sorted(set(params) - RECIPIENT_FILTERS):
            problems.append((name, "unknown_filter", _unknown_filter(name)))
        for name in sorted(RECIPIENT_FILTERS & set(params)):
            if len(params.getlist(name)) > 1:
                problems.append((name, "repeated", _repeated(name)))
        program = params.get("program", "")
        if program not in {p.code for p in all_programs()}:
            problems.append(("program", "invalid", _bad_value("program")))
        region = Region.objects.filter(code=params.get("region", "")).first()
        if region is None:
            problems.append(("region", "invalid", _bad_value("region")))
        month = parse_month(params.get("month", ""))
        if month is None:
            problems.append(("month", "invalid", _bad_value("month")))
        after = _int(params.get("after", "0"), 0, 2**62)
        if after is None:
            problems.append(("after", "invalid", _bad_value("after")))
        limit = _int(params.get("limit", "100"), 1, 1000)
        if limit is None:
            problems.append(("limit", "invalid", _bad_value("limit")))
        if problems:
            raise ApiInvalid(problems)
        rows = list(
            queries.recipients(
                request.user,
                program=program,
                region_prefix=region.prefix,
                month=month,
                after=after,
            )[: limit + 1]
        )
        more = len(rows) > limit
        rows = rows[:limit]
        request.api_subjects.extend(r.person_id for r in rows)
        data = RecipientOut(rows, many=True, context=self.context()).data
        return Response({"results": data, "next_after": rows[-1].pk if more else None})


def _int(text: str, low: int, high: int):
    return to_int(text, minimum=low, maximum=high)


def _unknown_filter(name):
    return lambda: (
        _("Unknown filter %(name)s: nothing is returned for a filter this API does not know.")
        % {"name": name}
    )


def _repeated(name):
    return lambda: _("The filter %(name)s is given more than once.") % {"name": name}


def _bad_value(name):
    return lambda: _("The value of %(name)s is not valid.") % {"name": name}


DeathNoticeIn = inline_serializer(
    name="DeathNoticeIn",
    fields={
        "event_id": serializers.CharField(max_length=64),
        "id_number": _id_number_field(),
        "name": serializers.CharField(max_length=60),
        "date_of_death": serializers.DateField(),
    },
)
IncomeNoticeIn = inline_serializer(
    name="IncomeNoticeIn",
    fields={
        "event_id": serializers.CharField(max_length=64),
        "id_number": _id_number_field(),
        "name": serializers.CharField(max_length=60),
        "kind": serializers.ChoiceField(choices=[c for c, _label in INCOME_KINDS]),
        "monthly_amount": serializers.DecimalField(
            max_digits=12, decimal_places=2, min_value=0, coerce_to_string=True
        ),
        "month": serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$"),
    },
)
NoticeReceived = inline_serializer(
    name="NoticeReceived",
    fields={
        "event_id": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["applied", "held", "unmatched"]),
        "repeated": serializers.BooleanField(),
    },
)


class NoticeView(ExchangeView):
    """A notice another department sends. Every problem of the body is listed and nothing is
    stored; a resent event id answers as the first time (200, "repeated") and changes
    nothing."""

    # Each kind of notice gives: the body's fields, `read(body, problems) -> dict` (its own
    # values, appending a problem for each bad one) and `receive_with`, its do_receive_* action (not
    # "action": REST framework reads that name as a viewset's).
    fields: frozenset
    receive_with: Callable

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        problems = [
            ("body", "unknown_field", _unknown_field(k)) for k in sorted(set(body) - self.fields)
        ]
        event_id = body.get("event_id")
        if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 64:
            problems.append(("event_id", "invalid", _bad_value("event_id")))
        raw = body.get("id_number")
        id_number = idnumber.normalize(raw) if isinstance(raw, str) else ""
        try:
            idnumber.parse(id_number)
        except ValidationError:
            problems.append(("id_number", "invalid", _bad_id()))
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 60:
            problems.append(("name", "invalid", _bad_value("name")))
        values = self.read(body, problems)
        if problems:
            raise ApiInvalid(problems)
        common = {"event_id": event_id.strip(), "id_number": id_number, "name": name.strip()}
        notice, created = self.receive_with(request.api_grant, request.user, **common, **values)
        if notice.person_id:
            request.api_subjects.append(notice.person_id)
        return Response(
            {"event_id": notice.event_id, "status": notice.status, "repeated": not created},
            status=201 if created else 200,
        )


class DeathNoticeView(NoticeView):
    endpoint = "deaths:write"
    receive_with = staticmethod(do_receive_death_notice)
    fields = frozenset({"event_id", "id_number", "name", "date_of_death"})

    def read(self, body, problems):
        died = _date(body.get("date_of_death"))
        if died is None or died > timezone.localdate():
            problems.append(("date_of_death", "invalid", _bad_value("date_of_death")))
        return {"date_of_death": died}

    @extend_schema(
        request=DeathNoticeIn,
        responses={201: NoticeReceived, 200: NoticeReceived, **ERRORS},
        parameters=PURPOSE_HEADERS,
        summary="A death notice (public security)",
    )
    def post(self, request):
        return super().post(request)


class IncomeNoticeView(NoticeView):
    endpoint = "incomes:write"
    receive_with = staticmethod(do_receive_income_notice)
    fields = frozenset({"event_id", "id_number", "name", "kind", "monthly_amount", "month"})

    def read(self, body, problems):
        kind = body.get("kind")
        if kind not in {c for c, _label in INCOME_KINDS}:
            problems.append(("kind", "invalid", _bad_value("kind")))
        amount = _money(body.get("monthly_amount"))
        if amount is None:
            problems.append(("monthly_amount", "invalid", _bad_value("monthly_amount")))
        month = parse_month(body.get("month"))
        if month is None or month > timezone.localdate():
            problems.append(("month", "invalid", _bad_value("month")))
        return {"kind": kind, "monthly_amount": amount, "month": month}

    @extend_schema(
        request=IncomeNoticeIn,
        responses={201: NoticeReceived, 200: NoticeReceived, **ERRORS},
        parameters=PURPOSE_HEADERS,
        summary="An income record (human resources and social security)",
    )
    def post(self, request):
        return super().post(request)


DisabilityNoticeIn = inline_serializer(
    name="DisabilityNoticeIn",
    fields={
        "event_id": serializers.CharField(max_length=64),
        "id_number": _id_number_field(),
        "name": serializers.CharField(max_length=60),
        "disability_grade": serializers.IntegerField(min_value=0, max_value=4),
        "certified_on": serializers.DateField(),
    },
)


class DisabilityNoticeView(NoticeView):
    endpoint = "disabilities:write"
    receive_with = staticmethod(do_receive_disability_notice)
    fields = frozenset({"event_id", "id_number", "name", "disability_grade", "certified_on"})

    def read(self, body, problems):
        grade = body.get("disability_grade")
        if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 4:
            problems.append(("disability_grade", "invalid", _bad_value("disability_grade")))
        day = _date(body.get("certified_on"))
        if day is None or day > timezone.localdate():
            problems.append(("certified_on", "invalid", _bad_value("certified_on")))
        return {"disability_grade": grade, "certified_on": day}

    @extend_schema(
        request=DisabilityNoticeIn,
        responses={201: NoticeReceived, 200: NoticeReceived, **ERRORS},
        parameters=PURPOSE_HEADERS,
        summary="A disability grade (disabled persons' federation, GB/T 26341)",
    )
    def post(self, request):
        return super().post(request)


PremaritalNoticeIn = inline_serializer(
    name="PremaritalNoticeIn",
    fields={
        "event_id": serializers.CharField(max_length=64),
        "id_number": _id_number_field(),
        "name": serializers.CharField(max_length=60),
        "advice": serializers.ChoiceField(choices=[c for c, _label in PREMARITAL_ADVICE]),
        "checked_on": serializers.DateField(),
        "institution": serializers.CharField(max_length=100),
    },
)


class PremaritalNoticeView(NoticeView):
    endpoint = "premarital:write"
    receive_with = staticmethod(do_receive_premarital_notice)
    fields = frozenset({"event_id", "id_number", "name", "advice", "checked_on", "institution"})

    def read(self, body, problems):
        advice = body.get("advice")
        if advice not in {c for c, _label in PREMARITAL_ADVICE}:
            problems.append(("advice", "invalid", _bad_value("advice")))
        day = _date(body.get("checked_on"))
        if day is None or day > timezone.localdate():
            problems.append(("checked_on", "invalid", _bad_value("checked_on")))
        institution = body.get("institution")
        if not isinstance(institution, str) or not institution.strip() or len(institution) > 100:
            problems.append(("institution", "invalid", _bad_value("institution")))
        return {
            "advice": advice,
            "checked_on": day,
            "institution": institution.strip() if isinstance(institution, str) else "",
        }

    @extend_schema(
        request=PremaritalNoticeIn,
        responses={201: NoticeReceived, 200: NoticeReceived, **ERRORS},
        parameters=PURPOSE_HEADERS,
        summary="A premarital medical check's result (health)",
    )
    def post(self, request):
        return super().post(request)


def _money(value):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        return None
    return amount.quantize(Decimal("0.01"))


def _date(value):
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


CHECK_FILTERS = {"after", "limit"}


class EconomicChecksView(ExchangeView):
    """The economic-status checks waiting for this department's answer, oldest first."""

    endpoint = "economic-checks:answer"

    @extend_schema(
        parameters=[
            *PURPOSE_HEADERS,
            OpenApiParameter("after", OpenApiTypes.INT, required=False),
            OpenApiParameter("limit", OpenApiTypes.INT, required=False, description="1-200"),
        ],
        responses={
            200: inline_serializer(
                name="EconomicCheckPage",
                fields={
                    "results": serializers.ListField(child=serializers.DictField()),
                    "next_after": serializers.IntegerField(allow_null=True),
                },
            ),
            **ERRORS,
        },
        summary="Household economic-status checks waiting for this department's answer",
    )
    def get(self, request):
        params = request.query_params
        problems = [
            (name, "unknown_filter", _unknown_filter(name))
            for name in sorted(set(params) - CHECK_FILTERS)
        ]
        after = _int(params.get("after", "0"), 0, 2**62)
        if after is None:
            problems.append(("after", "invalid", _bad_value("after")))
        limit = _int(params.get("limit", "50"), 1, 200)
        if limit is None:
            problems.append(("limit", "invalid", _bad_value("limit")))
        if problems:
            raise ApiInvalid(problems)
        grant = request.api_grant
        mine = set(grant.check_sources)
        candidates = list(
            queries.economic_checks_for(request.user, grant, after=after)[: limit + 1]
        )
        more = len(candidates) > limit
        candidates = candidates[:limit]
        show_id = request.user.may_see_id_number
        results = []
        for check in candidates:
            answered = {a.source for a in check.answers.all()}
            waiting = sorted((set(check.sources) & mine) - answered)
            if not waiting:
                continue
            request.api_subjects.extend(m["person"] for m in check.members)
            results.append(
                {
                    "id": check.pk,
                    "requested_at": check.requested_at.isoformat(),
                    "due_on": check.due_on.isoformat(),
                    "sources": waiting,
                    "members": [
                        {
                            "id_number": m["id_number"]
                            if show_id
                            else mask_for_api(m["id_number"]),
                            "name": m["name"],
                        }
                        for m in check.members
                    ],
                }
            )
        if results:
            request.api_sent.update({"person.id_number", "person.name"})
        return Response(
            {"results": results, "next_after": candidates[-1].pk if more and candidates else None}
        )


CheckAnswerIn = inline_serializer(
    name="EconomicCheckAnswerIn",
    fields={
        "source": serializers.ChoiceField(choices=CheckSource.choices),
        "values": serializers.ListField(
            child=inline_serializer(
                name="EconomicCheckValue",
                fields={
                    "id_number": _id_number_field(),
                    "value": serializers.DecimalField(
                        max_digits=14, decimal_places=2, min_value=0, allow_null=True
                    ),
                },
            )
        ),
    },
)


class EconomicCheckAnswerView(ExchangeView):
    """One source's answer: a value for every member of the check (null: no record)."""

    endpoint = "economic-checks:answer"

    @extend_schema(
        request=CheckAnswerIn,
        responses={
            201: inline_serializer(
                name="CheckAnswered",
                fields={
                    "source": serializers.CharField(),
                    "missing": serializers.ListField(child=serializers.CharField()),
                },
            ),
            **ERRORS,
        },
        parameters=PURPOSE_HEADERS,
        summary="Answer one source of a household economic-status check",
    )
    def post(self, request, pk):
        check = queries.economic_check(request.user, pk)
        body = request.data if isinstance(request.data, dict) else {}
        problems = [
            ("body", "unknown_field", _unknown_field(k))
            for k in sorted(set(body) - {"source", "values"})
        ]
        source = body.get("source")
        if source not in check.sources or source not in request.api_grant.check_sources:
            problems.append(("source", "invalid", _bad_value("source")))
        by_number = {m["id_number"]: m["person"] for m in check.members}
        values = {}
        rows = body.get("values")
        if not isinstance(rows, list):
            problems.append(("values", "invalid", _bad_value("values")))
            rows = []
        for i, row in enumerate(rows):
            number = (
                idnumber.normalize(row.get("id_number"))
                if isinstance(row, dict) and isinstance(row.get("id_number"), str)
                else ""
            )
            value = row.get("value") if isinstance(row, dict) else None
            if number not in by_number:
                problems.append((f"values[{i}].id_number", "not_a_member", _bad_value("id_number")))
                continue
            if value is not None:
                value = _money(value)
                if value is None:
                    problems.append((f"values[{i}].value", "invalid", _bad_value("value")))
                    continue
            values[by_number[number]] = value
        if not problems and set(values) != set(by_number.values()):
            problems.append(("values", "incomplete", _every_member()))
        if problems:
            raise ApiInvalid(problems)
        try:
            do_answer_economic_check(request.api_grant, check, source=source, values=values)
        except ValidationError:
            raise ApiError("already_answered", 409) from None
        request.api_subjects.extend(values)
        check.refresh_from_db()
        return Response({"source": source, "missing": check.missing()}, status=201)


def _every_member():
    return lambda: _("Give a value (or null) for every member of the check.")


@csrf_exempt  # no session, no state: a department's POST to a wrong address is still a 404
def not_found(request, rest=""):
    """An address under /api/v1/ that names no endpoint (a negative number, a typo)."""
    from django.http import JsonResponse

    from .errors import MESSAGES, both

    body = {"code": "not_found", "message": both(MESSAGES["not_found"])}
    return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})

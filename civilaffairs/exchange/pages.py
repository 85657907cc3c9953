"""The exchange's pages for people: the published data standard (public) and a citizen's
record of who used their data."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor

from . import catalogue, queries, standard
from .endpoints import BY_CODE as ENDPOINTS


@require_GET
def standards(request):
    lists = catalogue.code_lists()
    values = {}
    for row in standard.code_list_rows():
        values.setdefault(row["code_list"], []).append(row)
    return render(
        request,
        "exchange/standards.html",
        {
            "elements": standard.rows(),
            "code_lists": [(cl, values.get(cl.code, [])) for cl in lists.values()],
        },
    )


@require_GET
def standards_json(request):
    body = {"elements": standard.rows(), "code_lists": standard.code_list_rows()}
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = 'attachment; filename="civil-affairs-data-standard.json"'
    return response


@require_GET
def standards_csv(request):
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the Chinese names as UTF-8
    rows = standard.rows()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    out.write("\r\n")
    lists = standard.code_list_rows()
    writer = csv.DictWriter(out, fieldnames=list(lists[0]))
    writer.writeheader()
    writer.writerows(lists)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="civil-affairs-data-standard.csv"'
    return response


@login_required
@require_GET
def my_data_uses(request):
    """Every look-up of the signed-in citizen's record by another department, in plain words:
    which department, why, when, which data."""
    person = request.user.person
    page = None
    if person is not None:
        page = keyset_page(
            queries.uses_of(person), order=("-at", "-id"), after=get_cursor(request), size=20
        )
    names = {e.code: e.names() for e in catalogue.ELEMENTS}
    lang = "en" if (request.LANGUAGE_CODE or "").startswith("en") else "zh-hans"
    rows = []
    for call in page.rows if page else []:
        rows.append(
            {
                "at": call.at,
                "department": call.department,
                "what": ENDPOINTS[call.endpoint].label if call.endpoint in ENDPOINTS else "",
                "purpose": call.purpose_text or call.purpose,
                "reference": call.reference,
                "fields": (", " if lang == "en" else "、").join(
                    names[f][lang] for f in call.fields if f in names
                ),
            }
        )
    staff_page, staff_rows = None, []
    if person is not None:
        staff_page = keyset_page(
            queries.staff_uses_of(person),
            order=("-at", "-id"),
            after=get_cursor(request, "staff_after"),
            size=20,
        )
        staff_rows = _staff_rows(staff_page.rows, lang)
    return render(
        request,
        "exchange/my_data_uses.html",
        {
            "rows": rows,
            "page": page,
            "has_person": person is not None,
            "staff_rows": staff_rows,
            "staff_page": staff_page,
        },
    )


# What a staff member's use of a record was, as the person reads it.
STAFF_USE_WORDS = {
    "view_record": _(
        "Opened your record in the person register (name, ID number partly hidden, where you "
        "live, your household and your cases), without a case of yours in hand."
    ),
    "reveal_id": _("Saw your full ID number."),
    "reveal_phone": _("Saw your full phone number."),
}


def _staff_rows(entries, lang) -> list[dict]:
    """Each entry with the office(s) of the member of staff, not their name: the office is
    who answers for the look-up."""
    from civilaffairs.accounts.models import StaffRole

    offices: dict[int, list[str]] = {}
    for role in StaffRole.objects.filter(
        user_id__in={e.user_id for e in entries}, is_active=True
    ).select_related("office"):
        names = offices.setdefault(role.user_id, [])
        if role.office.name not in names:
            names.append(role.office.name)
    joiner = ", " if lang == "en" else "、"
    return [
        {
            "at": e.at,
            "office": joiner.join(offices.get(e.user_id, ()))
            or (
                _("The system administrator")
                if e.user.is_superuser
                else _("A civil-affairs office")
            ),
            "what": STAFF_USE_WORDS.get(e.action, e.get_action_display()),
        }
        for e in entries
    ]

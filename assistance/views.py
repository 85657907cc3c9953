"""Social-assistance pages: the citizen's step-by-step application (saved as a draft after
every step), staff applying on someone's behalf, the staff steps that need more than a button,
and the public notice with objections."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.access import access_person
from civilaffairs.casework.models import Case
from civilaffairs.casework.queries import access_case
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.masking import mask_name
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor

from . import actions, queries
from .forms import (
    AssetsForm,
    DeclarationForm,
    MemberIncomeForm,
    ObjectionForm,
    SituationForm,
)
from .models import AssistanceApplication, IncomeKind

# Lazy: built once at import, read in each request's language.
STEPS = [
    (1, gettext_lazy("Your situation")),
    (2, gettext_lazy("Household income")),
    (3, gettext_lazy("Assets and bank account")),
    (4, gettext_lazy("Documents")),
    (5, gettext_lazy("Check and submit")),
]


def _apply(request, kind):
    if request.user.person_id is None:
        messages.error(
            request, _("Your account is not bound to a person. Please ask your township office.")
        )
        return redirect("portal:home")
    if request.method != "POST":
        return render(
            request,
            "assistance/application_start.html",
            {"kind": kind, "kind_label": AssistanceApplication.Kind(kind).label},
        )
    started = run_action(
        request,
        lambda: actions.do_start_application(
            kind, acting_user=request.user, person=request.user.person
        ),
        denied_status=403,
    )
    if not started:
        return redirect("cases:my-cases")
    return redirect("assistance:application-step", pk=started.value.pk, step=started.value.step)


@login_required
def apply_dibao(request):
    return _apply(request, AssistanceApplication.Kind.DIBAO)


@login_required
def apply_tekun(request):
    return _apply(request, AssistanceApplication.Kind.TEKUN)


@login_required
def apply_linshi(request):
    return _apply(request, AssistanceApplication.Kind.LINSHI)


@login_required
def application_step(request, pk, step):
    app = queries.access_draft(request.user, pk)
    if app.case.state != "draft":
        return redirect(_case_url(request.user, app.case))
    if step not in dict(STEPS):
        raise Http404
    # Filled in by staff for the applicant (at the counter, at home): the page speaks to them.
    assisted = request.user.person_id != app.case.applicant_id
    context = {"app": app, "case": app.case, "step": step, "steps": STEPS, "assisted": assisted}
    if step == 1:
        form = SituationForm(request.POST or None, instance=app)
        if request.method == "POST" and form.is_valid():
            return _save_and_next(
                request, app, step, {k: form.cleaned_data[k] for k in form.fields}
            )
        context["form"] = form
        context["members"] = _members(app)  # read only where a step shows the household
    elif step == 2:
        members = context["members"] = _members(app)
        existing = {}
        for row in app.incomes.all():
            existing.setdefault(row.person_id, {})[row.kind] = row.monthly_amount
        forms_ = [
            MemberIncomeForm(
                request.POST or None,
                person=m.person,
                prefix=f"p{m.person_id}",
                initial=existing.get(m.person_id, {}),
            )
            for m in members
        ]
        if request.method == "POST" and all(f.is_valid() for f in forms_):
            rows = [r for f in forms_ for r in f.rows()]
            if run_action(
                request,
                lambda: actions.do_set_incomes(
                    app, rows, acting_user=request.user, reached_step=step + 1
                ),
                denied_status=403,
            ):
                return redirect("assistance:application-step", pk=app.pk, step=step + 1)
        context["income_forms"] = forms_
        context["not_counted"] = [
            k for k, _label in IncomeKind.choices if k not in IncomeKind.countable()
        ]
    elif step == 3:
        form = AssetsForm(request.POST or None, instance=app)
        if request.method == "POST" and form.is_valid():
            return _save_and_next(
                request, app, step, {k: form.cleaned_data[k] for k in form.fields}
            )
        context["form"] = form
    elif step == 4:
        context["documents"] = app.case.documents.all()
        if request.method == "POST":
            actions.do_save_draft(app, acting_user=request.user, step=max(app.step, step + 1))
            return redirect("assistance:application-step", pk=app.pk, step=step + 1)
    else:
        form = DeclarationForm(
            request.POST or None, initial={"declaration": app.declaration}, assisted=assisted
        )
        if request.method == "POST" and form.is_valid():
            submitted = run_action(
                request,
                lambda: actions.do_submit_application(
                    app, acting_user=request.user, declaration=True
                ),
                done=lambda case: (
                    _(
                        "Your application %(ref)s was received. You can follow it under “My applications”."
                    )
                    % {"ref": case.reference}
                ),
                denied_status=403,
            )
            if submitted:
                return redirect(_case_url(request.user, app.case))
        # The summary to check before sending, worked out only when the page is shown.
        context["form"] = form
        context["missing"] = actions.missing_for_submission(app, include_declaration=False)
        context["incomes"] = app.incomes.select_related("person")
        context["per_capita"] = app.per_capita_income()
    return render(request, "assistance/application_step.html", context)


def _save_and_next(request, app, step, fields):
    if not run_action(
        request,
        lambda: actions.do_save_draft(
            app, acting_user=request.user, step=max(app.step, step + 1), **fields
        ),
        denied_status=403,
    ):
        return redirect("assistance:application-step", pk=app.pk, step=step)
    if "save_exit" in request.POST:
        messages.success(request, _("Saved. You can continue later from “My applications”."))
        return redirect(_case_url(request.user, app.case))
    return redirect("assistance:application-step", pk=app.pk, step=step + 1)


def _members(app):
    if app.case.household_id:
        return list(app.case.household.current_members().order_by("relation", "person__birth_date"))
    from civilaffairs.people.models import Membership

    return [Membership(person=app.case.applicant, relation=Membership.Relation.HEAD)]


def _case_url(user, case):
    if user.person_id and user.person_id in (case.applicant_id, case.beneficiary_id):
        return reverse("cases:case-detail", args=[case.pk])
    return reverse("casework:case-detail", args=[case.pk])


# Staff


@login_required
def assisted_start(request, person_pk):
    """A member of staff applies on behalf of someone who cannot use a computer."""
    person = access_person(request.user, person_pk)
    if request.method != "POST":
        return render(
            request,
            "assistance/assisted_start.html",
            {"person": person, "kinds": AssistanceApplication.Kind.choices},
        )
    kind = request.POST.get("kind")
    started = run_action(
        request,
        lambda: actions.do_start_application(
            kind, acting_user=request.user, person=person, channel=Case.Channel.ASSISTED
        ),
        denied_status=403,
    )
    if not started:
        return redirect("assistance:assisted-start", person_pk=person.pk)
    return redirect("assistance:application-step", pk=started.value.pk, step=1)


@login_required
@require_POST
def request_economic_check(request, pk):
    """The caseworker sends the household economic-status check to the departments."""
    case = access_case(request.user, pk)
    app = case.details()
    if not isinstance(app, AssistanceApplication):
        raise Http404
    run_action(
        request,
        lambda: actions.do_request_economic_check(app, acting_user=request.user),
        done=_("The economic-status check was sent to the departments."),
        denied_status=403,
    )
    return redirect("casework:case-detail", pk=case.pk)


# Public


@require_GET
def public_notices(request):
    """The public notice (公示): name with masked characters, village, people covered, amount.
    Never an ID number, bank account or health detail."""
    page = keyset_page(
        queries.on_public_notice(), order=("notice_end", "pk"), after=get_cursor(request), size=50
    )
    rows = [
        {
            "pk": a.pk,
            "name": mask_name(a.case.applicant.name if a.case.applicant else ""),
            "village": a.case.region.name,
            "kind": a.get_kind_display(),
            "people": a.people_covered,
            "amount": a.monthly_amount or a.one_off_amount,
            "until": a.notice_end,
        }
        for a in page.rows
    ]
    return render(request, "assistance/notice_list.html", {"rows": rows, "page": page})


def objection(request, pk):
    app = queries.access_on_notice(pk)
    form = ObjectionForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_action(
            request,
            lambda: actions.do_lodge_objection(
                app, **form.cleaned_data, language=translation.get_language() or ""
            ),
            done=_("Thank you. Your objection was received and will be looked into."),
            denied_status=403,
        )
    ):
        return redirect("assistance:notices")
    return render(
        request,
        "assistance/objection_form.html",
        {"form": form, "name": mask_name(app.case.applicant.name), "village": app.case.region.name},
    )

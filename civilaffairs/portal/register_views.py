"""Staff pages of the person master record. Every read goes through the jurisdiction scope;
every change through people.actions. They live in the portal, not in people: a person's page
shows the cases of every service and the services' links, and checks the staff roles, which
are all above the person register in the platform's layers.

Reading a record is for any staff member of its area; registering, correcting, households and
merging are for the casework roles (accounts.access.REGISTRY_ROLES) in their jurisdiction: 403
for anyone else, 404 for a record outside it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.accounts.access import (
    REGISTRY_ROLES,
    access_household,
    access_person,
    has_role,
    region_prefixes,
    require_role,
    require_staff,
)
from civilaffairs.accounts.actions import (
    do_log_look_up,
    do_reveal_id_number,
    do_reveal_phone,
)
from civilaffairs.casework.queries import cases_of_person, works_on_cases_of
from civilaffairs.casework.registry import assisted_links
from civilaffairs.lib.feedback import error_messages, run_action
from civilaffairs.lib.history import field_history
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor, get_text
from civilaffairs.people import actions
from civilaffairs.people.forms import (
    AddMemberForm,
    EndMembershipForm,
    HouseholdForm,
    MergeForm,
    PersonCorrectionForm,
    PersonRegisterForm,
)
from civilaffairs.people.models import Membership, Person

CASES_PAGE = 20
HISTORY_ON_PAGE = 10
HISTORY_PAGE = 25


def _may_write(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or has_role(user, *REGISTRY_ROLES))


def _posted(request):
    """The form's data on a POST (an empty one too: it is answered with the form's errors),
    None on a GET."""
    return request.POST if request.method == "POST" else None


def _prefixes(user):
    return region_prefixes(user, REGISTRY_ROLES)


@login_required
def person_list(request):
    require_staff(request.user)
    q = get_text(request, "q", max_length=60)
    qs = Person.objects.visible_to(request.user).search(q).select_related("residence_region")
    page = keyset_page(qs, order=("-pk",), after=get_cursor(request), size=25)
    return render(
        request,
        "people/person_list.html",
        {"page": page, "q": q, "may_write": _may_write(request.user)},
    )


def person_history(person: Person, *, after=None, size: int) -> tuple[list, object]:
    """The person's changes, field by field, newest first: (entries, keyset page)."""
    records = person.history.select_related("history_user__person")
    page = keyset_page(records, order=("-history_id",), after=after, size=size)
    older = None
    if page.has_next and page.rows:
        older = (
            records.filter(history_id__lt=page.rows[-1].history_id).order_by("-history_id").first()
        )
    return field_history(page.rows, older=older, excluded={"merged_into"}), page


@login_required
@require_GET
def person_detail(request, pk):
    person = access_person(request.user, pk)
    if not works_on_cases_of(request.user, person):
        do_log_look_up(person, acting_user=request.user, request=request)
    membership = person.current_membership()
    members = list(membership.household.current_members()) if membership else []
    cases = keyset_page(
        cases_of_person(request.user, person),
        order=("-pk",),
        after=get_cursor(request),
        size=CASES_PAGE,
    )
    history, history_page = person_history(person, size=HISTORY_ON_PAGE)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "membership": membership,
            "members": members,
            "can_reveal": request.user.has_perm("accounts.reveal_id_number"),
            "may_write": _may_write(request.user),
            "assisted_links": assisted_links(person.pk),
            "cases": cases,
            "history": history,
            "more_history": history_page.has_next,
        },
    )


@login_required
@require_GET
def person_history_page(request, pk):
    person = access_person(request.user, pk)
    history, page = person_history(person, after=get_cursor(request), size=HISTORY_PAGE)
    return render(
        request, "people/person_history.html", {"person": person, "history": history, "page": page}
    )


@login_required
@require_POST
def person_reveal(request, pk):
    """Show the full ID number (or phone) once; the reveal is logged with who, when and where."""
    person = access_person(request.user, pk)
    if not request.user.has_perm("accounts.reveal_id_number"):
        raise PermissionDenied
    field = request.POST.get("field", "id_number")
    if field == "phone":
        value = do_reveal_phone(person, acting_user=request.user, request=request)
    else:
        value = do_reveal_id_number(person, acting_user=request.user, request=request)
    template = "people/_revealed.html" if request.htmx else "people/person_reveal.html"
    return render(request, template, {"person": person, "value": value, "field": field})


# ----------------------------------------------------------------------------- registering


@login_required
@require_http_methods(["GET", "POST"])
def person_register(request):
    """Register a new person. A document number already on the register is refused, with a
    link to the record when it lies in the user's area."""
    require_staff(request.user)
    require_role(request.user, REGISTRY_ROLES)
    prefixes = _prefixes(request.user)
    form = PersonRegisterForm(_posted(request), prefixes=prefixes)
    existing = None
    if request.method == "POST" and form.is_valid():
        values = form.values()
        found = actions.find_person(
            id_type=values["id_type"],
            id_number=values["id_number"],
            name=values["name"],
            birth_date=values["birth_date"],
            region=values["hukou_region"],
        )
        if found is None:
            try:
                person, created = actions.do_register_person(acting_user=request.user, **values)
            except ValidationError as exc:
                error_messages(request, exc, form=form)
            else:
                if created:
                    messages.success(request, _("%(name)s was registered.") % {"name": person.name})
                    return redirect("staff:person-detail", person.pk)
                found = person
        if found is not None:
            existing = Person.objects.visible_to(request.user).filter(pk=found.pk).first()
            form.add_error(
                "id_number" if values["id_number"] else None,
                _("This person is already registered.")
                if existing
                else _("This person is already registered, in an area outside yours."),
            )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request, "people/person_register.html", {"form": form, "existing": existing}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_correct(request, pk):
    person = access_person(request.user, pk, roles=REGISTRY_ROLES)
    form = PersonCorrectionForm(_posted(request), instance=person, prefixes=_prefixes(request.user))
    if request.method == "POST" and form.is_valid():
        corrected = run_action(
            request,
            lambda: actions.do_update_person(
                person,
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                **form.changes(),
            ),
            done=_("The record was corrected."),
            form=form,
            denied_status=403,
        )
        if corrected:
            return redirect("staff:person-detail", person.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "people/person_correct.html", {"person": person, "form": form}, status=status
    )


# ----------------------------------------------------------------------------- households


@login_required
@require_http_methods(["GET", "POST"])
def household_new(request, pk):
    """A new household with this person as its head (they leave their current one)."""
    head = access_person(request.user, pk, roles=REGISTRY_ROLES)
    form = HouseholdForm(
        _posted(request),
        prefixes=_prefixes(request.user),
        initial={"region": head.residence_region, "address": head.address},
    )
    if request.method == "POST" and form.is_valid():
        created = run_action(
            request,
            lambda: actions.do_create_household(
                acting_user=request.user,
                head=head,
                region=form.cleaned_data["region"],
                address=form.cleaned_data["address"],
                hukou_type=form.cleaned_data["hukou_type"],
            ),
            done=_("The household was created."),
            form=form,
            denied_status=403,
        )
        if created:
            return redirect("staff:household-detail", created.value.pk)
    status = 400 if form.is_bound else 200
    return render(request, "people/household_new.html", {"head": head, "form": form}, status=status)


def _household_page(request, household, *, add_form=None, end_form=None, status=200):
    memberships = list(
        household.memberships.select_related("person").order_by(
            "end_date", "relation", "start_date", "pk"
        )
    )
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "current": [m for m in memberships if m.end_date is None],
            "former": [m for m in memberships if m.end_date is not None],
            "add_form": add_form or AddMemberForm(),
            "end_form": end_form or EndMembershipForm(household=household),
            "Relation": Membership.Relation,
        },
        status=status,
    )


@login_required
@require_GET
def household_detail(request, pk):
    household = access_household(request.user, pk, REGISTRY_ROLES)
    return _household_page(request, household)


@login_required
@require_POST
def household_add_member(request, pk):
    household = access_household(request.user, pk, REGISTRY_ROLES)
    form = AddMemberForm(
        request.POST, people=Person.objects.visible_to(request.user, roles=REGISTRY_ROLES)
    )
    if form.is_valid():
        person = form.cleaned_data["member"]
        added = run_action(
            request,
            lambda: actions.do_add_member(
                household,
                person,
                acting_user=request.user,
                relation=form.cleaned_data["relation"],
                start_date=form.cleaned_data["start_date"],
            ),
            done=_("%(name)s was added to the household.") % {"name": person.name},
            form=form,
            denied_status=403,
        )
        if added:
            return redirect("staff:household-detail", household.pk)
    return _household_page(request, household, add_form=form, status=400)


@login_required
@require_POST
def household_end_member(request, pk):
    household = access_household(request.user, pk, REGISTRY_ROLES)
    form = EndMembershipForm(request.POST, household=household)
    if form.is_valid():
        membership = form.cleaned_data["membership"]
        ended = run_action(
            request,
            lambda: actions.do_end_membership(
                membership, acting_user=request.user, end_date=form.cleaned_data["end_date"]
            ),
            done=lambda _ended: (
                _("%(name)s left the household.") % {"name": membership.person.name}
            ),
            form=form,
            denied_status=403,
        )
        if ended:
            return redirect("staff:household-detail", household.pk)
    return _household_page(request, household, end_form=form, status=400)


# ----------------------------------------------------------------------------- duplicates


def _duplicate_candidates(user, person: Person):
    """Other records in the user's area that may be the same person: the same name and date of
    birth, or the same mobile number."""
    same = Q(name=person.name, birth_date=person.birth_date)
    if person.phone:
        same |= Q(phone=person.phone)
    return Person.objects.visible_to(user, roles=REGISTRY_ROLES).filter(same).exclude(pk=person.pk)


@login_required
@require_GET
def person_duplicates(request, pk):
    """Records that may be the same person, and a search for any other: each with a link to
    compare it with this one side by side."""
    person = access_person(request.user, pk, roles=REGISTRY_ROLES)
    q = get_text(request, "q", max_length=60)
    if q:
        qs = (
            Person.objects.visible_to(request.user, roles=REGISTRY_ROLES)
            .search(q)
            .exclude(pk=person.pk)
        )
    else:
        qs = _duplicate_candidates(request.user, person)
    page = keyset_page(
        qs.select_related("residence_region"), order=("-pk",), after=get_cursor(request), size=25
    )
    return render(
        request,
        "people/person_duplicates.html",
        {"person": person, "page": page, "q": q, "filter_query": urlencode({"q": q}) if q else ""},
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_merge(request, pk, other):
    """Two records side by side, field by field (numbers masked, the birth date as an age):
    the staff member chooses the record that goes on and, for each fact that differs, whose
    value to keep; the merge is people.actions.do_merge_persons, and a domain that refuses it
    (two marriages in force) says why on this page."""
    a = access_person(request.user, pk, roles=REGISTRY_ROLES)
    b = access_person(request.user, other, roles=REGISTRY_ROLES)
    if a.pk == b.pk:
        messages.error(request, _("A record cannot be merged into itself."))
        return redirect("staff:person-duplicates", a.pk)
    form = MergeForm(_posted(request), a=a, b=b)
    if request.method == "POST" and form.is_valid():
        arguments = form.merge_arguments()
        try:
            merge = actions.do_merge_persons(
                arguments["survivor"],
                arguments["duplicate"],
                acting_user=request.user,
                reason=arguments["reason"],
                keep=arguments["keep"],
            )
        except ValidationError as exc:
            for text in exc.messages:
                form.add_error(None, text)
        else:
            messages.success(
                request,
                _("Record no. %(dup)s was merged into this record.") % {"dup": merge.merged_id},
            )
            return redirect("staff:person-detail", merge.survivor_id)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "people/person_merge.html",
        {
            "a": a,
            "b": b,
            "form": form,
            "rows": form.bound_rows(),
            "back": reverse("staff:person-duplicates", args=[a.pk]),
        },
        status=status,
    )

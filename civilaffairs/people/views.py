"""Staff pages of the person master record. Every read goes through the jurisdiction scope."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.access import access_person, require_staff
from civilaffairs.accounts.actions import do_reveal_id_number, do_reveal_phone
from civilaffairs.casework.registry import assisted_links
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor, get_text

from .models import Person


@login_required
def person_list(request):
    require_staff(request.user)
    q = get_text(request, "q", max_length=60)
    qs = Person.objects.visible_to(request.user).search(q).select_related("residence_region")
    page = keyset_page(qs, order=("-pk",), after=get_cursor(request), size=25)
    return render(request, "people/person_list.html", {"page": page, "q": q})


@login_required
@require_GET
def person_detail(request, pk):
    person = access_person(request.user, pk)
    membership = person.current_membership()
    members = list(membership.household.current_members()) if membership else []
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "membership": membership,
            "members": members,
            "can_reveal": request.user.has_perm("accounts.reveal_id_number"),
            "assisted_links": assisted_links(person.pk),
            "history": person.history.select_related("history_user").order_by("-history_date")[:20],
        },
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

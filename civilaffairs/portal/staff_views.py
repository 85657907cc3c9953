from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from civilaffairs.accounts.access import grants_for, require_staff
from civilaffairs.accounts.models import Office, StaffRole


@login_required
@require_GET
def workspace(request):
    """The staff home: which offices and roles this person works in."""
    require_staff(request.user)
    grants = grants_for(request.user)
    offices = Office.objects.filter(pk__in={g.office_id for g in grants}).select_related("region")
    roles = StaffRole.objects.filter(user=request.user, is_active=True).select_related("office")
    return render(request, "staff/workspace.html", {"offices": offices, "roles": roles})

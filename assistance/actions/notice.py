"""The investigation's findings and the public notice: objections lodged, their answers sent,
the notice ended."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import add_event, do_transition
from civilaffairs.casework.models import CaseEvent
from civilaffairs.lib.history import save_with_history as _save

from ..models import AssistanceApplication, HouseholdEconomy, Objection
from .common import _lock

log = logging.getLogger(__name__)


def record_economy(app, acting_user, *, verified: bool, economy=None):
    """Keep the household's economic situation current for whole-registry rules: what was
    declared (at submission), verified (at the home visit) or found at a review (`economy`)."""
    household = app.case.household
    if household is None:
        return None
    found = economy if economy is not None else app.economy()
    row = HouseholdEconomy.objects.select_for_update().filter(
        household=household
    ).first() or HouseholdEconomy(household=household)
    row.members = found.members
    row.monthly_income = found.monthly_income
    row.per_capita_income = found.per_capita_income
    row.financial_assets = found.financial_assets
    row.vehicles = found.vehicles
    row.extra_housing = found.extra_housing
    row.verified = verified and found.verified
    row.as_of = timezone.localdate()
    row.source_case = app.case
    return _save(row, acting_user)


def do_record_investigation(
    app: AssistanceApplication, *, acting_user, **values
) -> AssistanceApplication:
    """The township's home visit (the "record_investigation" step, handlers.record_investigation):
    visit_date, findings, neighbour_interviews, verified_income."""
    do_transition(app.case, "record_investigation", acting_user=acting_user, values=values)
    return AssistanceApplication.objects.get(pk=app.pk)


def do_start_notice(app: AssistanceApplication, *, acting_user) -> AssistanceApplication:
    """Seven working days of public notice from today (the "start_notice" step)."""
    do_transition(app.case, "start_notice", acting_user=acting_user)
    return AssistanceApplication.objects.get(pk=app.pk)


@transaction.atomic
def do_lodge_objection(
    app: AssistanceApplication, *, text: str, contact: str = "", language: str = ""
) -> Objection:
    """Anyone may object during the notice; the case goes back to the township, which
    investigates and answers (the "resolve_objection" step)."""
    app = _lock(app)
    if app.case.state != "notice":
        raise ValidationError(
            _("This notice has ended; objections are no longer taken here. Please call 12345.")
        )
    if not text.strip():
        raise ValidationError({"text": _("Please write what the objection is about.")})
    objection = Objection.objects.create(
        application=app,
        text=text.strip()[:2000],
        contact=contact.strip()[:60],
        language=language[:10],
    )
    do_transition(
        app.case,
        "reinvestigate",
        acting_user=None,
        reason=lambda: _(
            "An objection was lodged during the public notice; the household is checked again."
        ),
    )
    return objection


def send_objection_answer(objection_id: int) -> bool:
    """E-mail the township's answer to an objector who left an address, once, in the language
    they objected in; noted on the case's timeline (staff only: the objector stays unnamed).
    Called after the commit that recorded the answer and again by the beat sweep until it went
    out; a failed send is logged without the address and tried again later."""
    from django.core.mail import send_mail
    from django.utils import translation

    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(skip_locked=True)
            .select_related("application__case")
            .filter(pk=objection_id, answered_by=Objection.AnsweredBy.EMAIL, answered_at=None)
            .first()
        )
        if objection is None:
            return False
        case = objection.application.case
        with translation.override(objection.language or settings.LANGUAGE_CODE):
            subject = _("Your objection to the public notice of case %(ref)s") % {
                "ref": case.reference
            }
            body = _(
                "The township office has looked into your objection of %(date)s.\n\n"
                "Finding: %(finding)s\n\n%(answer)s"
            ) % {
                "date": timezone.localdate(objection.lodged_at).isoformat(),
                "finding": objection.get_finding_display(),
                "answer": objection.answer,
            }
        try:
            send_mail(subject, body, None, [objection.contact])
        except Exception:  # any transport error: the sweep tries again
            log.warning("answer to objection %s not sent", objection.pk, exc_info=True)
            return False
        objection.answered_at = timezone.now()
        objection.save(update_fields=["answered_at"])
        add_event(
            case,
            CaseEvent.Kind.NOTE,
            message=lambda: _("The objector was answered by e-mail."),
            data={"objection": objection.pk},
        )
    return True


def unsent_objection_answers():
    return Objection.objects.filter(
        answered_by=Objection.AnsweredBy.EMAIL, answered_at=None, resolved_at__isnull=False
    ).values_list("pk", flat=True)


@transaction.atomic
def do_end_notice(app: AssistanceApplication, *, acting_user) -> AssistanceApplication:
    app = _lock(app)
    do_transition(app.case, "end_notice", acting_user=acting_user)
    return app

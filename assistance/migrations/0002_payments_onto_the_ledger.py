"""Every assistance payment moves onto the platform's benefits ledger (civilaffairs.benefits):
one Entitlement per approved application (or application with payments), every Disbursement
row copied as a Payment with its month, amount, status, payment time and note."""

import datetime

from django.db import migrations

STOPPED_STATES = ("terminated",)


def first_of_month(day):
    return day.replace(day=1)


def suspended_on(apps, case):
    """When the grant was suspended: its last "suspend" step (today, should it have none)."""
    CaseEvent = apps.get_model("casework", "CaseEvent")
    event = CaseEvent.objects.filter(case_id=case.pk, transition="suspend").order_by("-at").first()
    return event.at.date() if event is not None else datetime.date.today()


def forwards(apps, schema_editor):
    Application = apps.get_model("assistance", "AssistanceApplication")
    Disbursement = apps.get_model("assistance", "Disbursement")
    Entitlement = apps.get_model("benefits", "Entitlement")
    Payment = apps.get_model("benefits", "Payment")
    with_payments = set(Disbursement.objects.values_list("application_id", flat=True))
    apps_to_move = Application.objects.select_related("case").filter(
        benefit_from__isnull=False
    ) | Application.objects.select_related("case").filter(pk__in=with_payments)
    for app in apps_to_move.distinct().order_by("pk").iterator(chunk_size=1000):
        case = app.case
        rows = list(Disbursement.objects.filter(application_id=app.pk).order_by("month"))
        one_off = app.kind == "linshi"
        start = first_of_month(app.benefit_from or rows[0].month)
        if rows:
            start = min(start, first_of_month(rows[0].month))
        stopped_on = case.closed_at.date() if case.state in STOPPED_STATES and case.closed_at else None
        entitlement = Entitlement.objects.create(
            case_id=case.pk,
            person_id=case.beneficiary_id or case.applicant_id,
            program=case.service,
            kind="one_off" if one_off else "monthly",
            monthly_amount=(app.one_off_amount if one_off else app.monthly_amount) or 0,
            start_month=start,
            end_month=start if one_off else (first_of_month(stopped_on) if stopped_on else None),
            stopped_on=stopped_on,
            suspended_on=suspended_on(apps, case) if case.state == "suspended" else None,
            reason="moved from assistance.Disbursement",
        )
        Payment.objects.bulk_create(
            [
                Payment(
                    entitlement=entitlement,
                    month=row.month,
                    amount=row.amount,
                    status=row.status,  # scheduled / paid / failed / stopped: the same names
                    paid_at=row.paid_at,
                    note=row.note,
                )
                for row in rows
            ]
        )


def backwards(apps, schema_editor):
    Disbursement = apps.get_model("assistance", "Disbursement")
    Entitlement = apps.get_model("benefits", "Entitlement")
    Payment = apps.get_model("benefits", "Payment")
    Application = apps.get_model("assistance", "AssistanceApplication")
    moved = Entitlement.objects.filter(program__startswith="assistance.")
    by_case = dict(Application.objects.values_list("case_id", "pk"))
    for payment in Payment.objects.filter(entitlement__in=moved).select_related("entitlement"):
        Disbursement.objects.create(
            application_id=by_case[payment.entitlement.case_id],
            month=payment.month,
            amount=payment.amount,
            status=payment.status if payment.status != "returned" else "failed",
            paid_at=payment.paid_at,
            note=payment.note,
        )
    Payment.objects.filter(entitlement__in=moved).delete()
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assistance", "0001_initial"),
        ("benefits", "0002_suspension"),
        ("casework", "0007_notification_parties"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

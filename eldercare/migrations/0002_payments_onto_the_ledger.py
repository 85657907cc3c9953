"""Every age-allowance payment moves onto the platform's benefits ledger: one Entitlement per
allowance with a first month (or with payments), every AgeAllowancePayment row copied as a
Payment, the age it was priced at kept in the payment's details."""

from django.db import migrations


def first_of_month(day):
    return day.replace(day=1)


def forwards(apps, schema_editor):
    Allowance = apps.get_model("eldercare", "AgeAllowance")
    OldPayment = apps.get_model("eldercare", "AgeAllowancePayment")
    Entitlement = apps.get_model("benefits", "Entitlement")
    Payment = apps.get_model("benefits", "Payment")
    with_payments = set(OldPayment.objects.values_list("allowance_id", flat=True))
    allowances = Allowance.objects.filter(paid_from__isnull=False) | Allowance.objects.filter(
        pk__in=with_payments
    )
    for allowance in allowances.distinct().order_by("pk").iterator():
        rows = list(OldPayment.objects.filter(allowance_id=allowance.pk).order_by("month"))
        start = first_of_month(allowance.paid_from or rows[0].month)
        if rows:
            start = min(start, first_of_month(rows[0].month))
        stopped = allowance.stopped_on
        entitlement = Entitlement.objects.create(
            case_id=allowance.case_id,
            person_id=allowance.person_id,
            program="eldercare.age_allowance",
            kind="monthly",
            # The amount is priced month by month from the age; the last one stands for it.
            monthly_amount=rows[-1].amount if rows else 1,
            start_month=start,
            end_month=max(start, first_of_month(stopped)) if stopped else None,
            stopped_on=stopped,
            stop_reason=allowance.stop_reason,
            reason="moved from eldercare.AgeAllowancePayment",
        )
        Payment.objects.bulk_create(
            [
                Payment(
                    entitlement=entitlement,
                    month=row.month,
                    amount=row.amount,
                    status=row.status,  # scheduled / paid / stopped: the same names
                    note=row.note,
                    details={"age": row.age},
                )
                for row in rows
            ]
        )


def backwards(apps, schema_editor):
    Allowance = apps.get_model("eldercare", "AgeAllowance")
    OldPayment = apps.get_model("eldercare", "AgeAllowancePayment")
    Entitlement = apps.get_model("benefits", "Entitlement")
    Payment = apps.get_model("benefits", "Payment")
    moved = Entitlement.objects.filter(program="eldercare.age_allowance")
    by_case = dict(Allowance.objects.values_list("case_id", "pk"))
    for payment in Payment.objects.filter(entitlement__in=moved).select_related("entitlement"):
        OldPayment.objects.create(
            allowance_id=by_case[payment.entitlement.case_id],
            month=payment.month,
            age=payment.details.get("age", 0),
            amount=payment.amount,
            status=payment.status if payment.status in ("scheduled", "paid") else "stopped",
            note=payment.note,
        )
    Payment.objects.filter(entitlement__in=moved).delete()
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("eldercare", "0001_initial"),
        ("benefits", "0002_suspension"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

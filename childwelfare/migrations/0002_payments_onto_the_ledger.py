"""Every child-allowance payment moves onto the platform's benefits ledger: one Entitlement per
approved grant (or grant with payments), every AllowancePayment row copied as a Payment."""

from django.db import migrations


def first_of_month(day):
    return day.replace(day=1)


def forwards(apps, schema_editor):
    Grant = apps.get_model("childwelfare", "AllowanceGrant")
    OldPayment = apps.get_model("childwelfare", "AllowancePayment")
    Entitlement = apps.get_model("benefits", "Entitlement")
    Payment = apps.get_model("benefits", "Payment")
    with_payments = set(OldPayment.objects.values_list("grant_id", flat=True))
    grants = Grant.objects.filter(start_month__isnull=False) | Grant.objects.filter(
        pk__in=with_payments
    )
    for grant in grants.distinct().select_related("profile").order_by("pk").iterator():
        rows = list(OldPayment.objects.filter(grant_id=grant.pk).order_by("month"))
        start = first_of_month(grant.start_month or rows[0].month)
        if rows:
            start = min(start, first_of_month(rows[0].month))
        end = grant.last_month
        if grant.ended_on is not None:
            ended = first_of_month(grant.ended_on)
            end = max(start, min(end, ended) if end else ended)
        entitlement = Entitlement.objects.create(
            case_id=grant.case_id,
            person_id=grant.profile.person_id,
            program="childwelfare.allowance",
            kind="monthly",
            monthly_amount=grant.monthly_amount,
            start_month=start,
            end_month=max(end, start) if end else None,
            stopped_on=grant.ended_on,
            stop_reason=grant.end_reason,
            reason="moved from childwelfare.AllowancePayment",
        )
        Payment.objects.bulk_create(
            [
                Payment(
                    entitlement=entitlement,
                    month=row.month,
                    amount=row.amount,
                    status=row.status,  # scheduled / paid / stopped: the same names
                    paid_at=row.paid_at,
                )
                for row in rows
            ]
        )


def backwards(apps, schema_editor):
    Grant = apps.get_model("childwelfare", "AllowanceGrant")
    OldPayment = apps.get_model("childwelfare", "AllowancePayment")
    Entitlement = apps.get_model("benefits", "Entitlement")
    Payment = apps.get_model("benefits", "Payment")
    moved = Entitlement.objects.filter(program="childwelfare.allowance")
    by_case = dict(Grant.objects.values_list("case_id", "pk"))
    for payment in Payment.objects.filter(entitlement__in=moved).select_related("entitlement"):
        OldPayment.objects.create(
            grant_id=by_case[payment.entitlement.case_id],
            month=payment.month,
            amount=payment.amount,
            status=payment.status if payment.status in ("scheduled", "paid") else "stopped",
            paid_at=payment.paid_at,
        )
    Payment.objects.filter(entitlement__in=moved).delete()
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("childwelfare", "0001_initial"),
        ("benefits", "0002_suspension"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

"""The ledger now pays into an account of its own (benefits.Entitlement.bank_account): the
entitlements granted before take the account the household gave in its application."""

from django.db import migrations


def copy_accounts(apps, schema_editor):
    Entitlement = apps.get_model("benefits", "Entitlement")
    Application = apps.get_model("assistance", "AssistanceApplication")
    for app in Application.objects.exclude(bank_account="").only(
        "case_id", "bank_name", "bank_account"
    ):
        Entitlement.objects.filter(
            case_id=app.case_id, program__startswith="assistance.", bank_account=""
        ).update(bank_name=app.bank_name, bank_account="".join(app.bank_account.split()))


class Migration(migrations.Migration):
    dependencies = [
        ("assistance", "0004_objection_handling"),
        ("benefits", "0003_disbursement"),
    ]

    operations = [migrations.RunPython(copy_accounts, migrations.RunPython.noop)]

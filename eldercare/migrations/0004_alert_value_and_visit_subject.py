"""Device alerts are shown as people read them, in each reader's language (issue #16 item 12):
an alert keeps its reading's value beside its kind and is put in words when read, so the text
written once in the language of the moment (and with "1.5E+2" for 150) is dropped. Existing
alerts take the value of their reading.

Urgent home visits have the elder as their subject: a visit opened before had the elder only
as beneficiary, so the queue and the case page named nobody; the elder becomes its applicant
too, as for every case the system opens for a person (the age allowance)."""

from django.db import migrations, models

URGENT_VISIT = "eldercare.urgent_visit"


def forwards(apps, schema_editor):
    Alert = apps.get_model("eldercare", "Alert")
    Case = apps.get_model("casework", "Case")
    for alert in Alert.objects.filter(value__isnull=True).select_related("reading").iterator():
        if alert.reading.value is not None:
            alert.value = alert.reading.value
            alert.save(update_fields=["value"])
    visits = Case.objects.filter(
        service=URGENT_VISIT, applicant__isnull=True, beneficiary__isnull=False
    )
    for case in visits.iterator():
        case.applicant_id = case.beneficiary_id
        case.save(update_fields=["applicant"])


def backwards(apps, schema_editor):
    """Back to alerts with their words written once, in the site's language."""
    from django.conf import settings
    from django.utils import translation

    from eldercare.models import reading_text

    Alert = apps.get_model("eldercare", "Alert")
    with translation.override(settings.LANGUAGE_CODE):
        for alert in Alert.objects.iterator():
            alert.message = reading_text(alert.kind, alert.value)[:300]
            alert.save(update_fields=["message"])


class Migration(migrations.Migration):
    dependencies = [
        ("eldercare", "0003_allowance_payment_removed"),
        ("casework", "0008_event_translations"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="value",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
        ),
        migrations.AddField(
            model_name="historicalalert",
            name="value",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
        ),
        migrations.RunPython(forwards, backwards),
        # A default for the way back (the column is added again to rows that exist).
        migrations.AlterField(
            model_name="alert",
            name="message",
            field=models.CharField(default="", max_length=300, verbose_name="message"),
        ),
        migrations.AlterField(
            model_name="historicalalert",
            name="message",
            field=models.CharField(default="", max_length=300, verbose_name="message"),
        ),
        migrations.RemoveField(model_name="alert", name="message"),
        migrations.RemoveField(model_name="historicalalert", name="message"),
    ]

from django.db import migrations, models


# A case decided before these fields existed: decided when its history first shows an
# outcome other than a withdrawal (its closing time where it has no history), against the
# last promised date its history holds up to then (the date is cleared on decision).
BACKFILL = """
    UPDATE casework_case c
       SET decided_at = coalesce(
               (SELECT min(h.history_date) FROM casework_historicalcase h
                 WHERE h.id = c.id AND h.outcome NOT IN ('', 'withdrawn')),
               c.closed_at)
     WHERE c.outcome NOT IN ('', 'withdrawn') AND c.decided_at IS NULL;
    UPDATE casework_case c
       SET decided_due_at = (SELECT h.due_at FROM casework_historicalcase h
                              WHERE h.id = c.id AND h.due_at IS NOT NULL
                                AND h.history_date <= c.decided_at
                              ORDER BY h.history_date DESC LIMIT 1)
     WHERE c.decided_at IS NOT NULL AND c.decided_due_at IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0010_field_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="decided"),
        ),
        migrations.AddField(
            model_name="case",
            name="decided_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="due when decided"),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="decided"),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="decided_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="due when decided"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]

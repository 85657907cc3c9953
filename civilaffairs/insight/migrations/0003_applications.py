
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_field_labels'),
        ('insight', '0002_figure_levels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(verbose_name='month')),
                ('region_code', models.CharField(max_length=12, verbose_name='region code')),
                ('level', models.PositiveSmallIntegerField(default=0, verbose_name='confidentiality')),
                ('service', models.CharField(max_length=40, verbose_name='service')),
                ('channel', models.CharField(max_length=12, verbose_name='channel')),
                ('submitted', models.PositiveIntegerField(verbose_name='submitted')),
                ('decided', models.PositiveIntegerField(verbose_name='decided')),
                ('approved', models.PositiveIntegerField(verbose_name='approved')),
                ('in_time', models.PositiveIntegerField(verbose_name='decided in time')),
                ('days', models.PositiveIntegerField(verbose_name='days to decide, summed')),
                ('open', models.PositiveIntegerField(verbose_name="open at the month's end")),
                ('overdue', models.PositiveIntegerField(verbose_name="overdue at the month's end")),
            ],
            options={
                'verbose_name': 'application figure',
                'verbose_name_plural': 'application figures',
                'indexes': [models.Index(fields=['region_code', 'month'], name='insight_case_region_month')],
            },
        ),
        migrations.CreateModel(
            name='DomainFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(verbose_name='month')),
                ('region_code', models.CharField(max_length=12, verbose_name='region code')),
                ('level', models.PositiveSmallIntegerField(default=0, verbose_name='confidentiality')),
                ('domain', models.CharField(max_length=40, verbose_name='domain')),
                ('figure', models.CharField(max_length=40, verbose_name='table')),
                ('key', models.CharField(max_length=60, verbose_name='key')),
                ('n', models.PositiveIntegerField(verbose_name='count')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, null=True, verbose_name='amount (yuan)')),
            ],
            options={
                'verbose_name': 'domain figure',
                'verbose_name_plural': 'domain figures',
                'indexes': [models.Index(fields=['domain', 'region_code', 'month'], name='insight_domain_region_month')],
            },
        ),
        migrations.CreateModel(
            name='WorkloadFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('region_code', models.CharField(max_length=12, verbose_name='region code')),
                ('level', models.PositiveSmallIntegerField(default=0, verbose_name='confidentiality')),
                ('service', models.CharField(max_length=40, verbose_name='service')),
                ('state', models.CharField(max_length=40, verbose_name='state')),
                ('open', models.PositiveIntegerField(verbose_name='open')),
                ('overdue', models.PositiveIntegerField(verbose_name='overdue')),
                ('due_soon', models.PositiveIntegerField(verbose_name='due soon')),
                ('counted_at', models.DateTimeField(verbose_name='counted at')),
                ('whole', models.BooleanField(default=False)),
                ('assignee', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('office', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.office')),
            ],
            options={
                'verbose_name': 'workload figure',
                'verbose_name_plural': 'workload figures',
                'indexes': [models.Index(fields=['region_code'], name='insight_workload_region')],
            },
        ),
    ]

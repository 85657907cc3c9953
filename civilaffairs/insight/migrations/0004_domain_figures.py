
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('insight', '0003_applications'),
    ]

    operations = [
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
            ],
            options={
                'verbose_name': 'domain figure',
                'verbose_name_plural': 'domain figures',
                'indexes': [models.Index(fields=['domain', 'region_code', 'month'], name='insight_domain_region_month')],
            },
        ),
    ]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "civilaffairs.people"
    label = "people"
    verbose_name = _("Person master record")

    def ready(self):
        from django.db import models
        from django.db.models.lookups import StartsWith

        # A jurisdiction is a region-code prefix. Region foreign keys hold the code itself, so
        # `residence_region__startswith="6401"` is a range scan on the FK's own index, with no
        # join. Django does not offer startswith on foreign keys by default.
        models.ForeignKey.register_lookup(StartsWith)

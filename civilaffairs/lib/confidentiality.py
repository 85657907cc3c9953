from django.db import models
from django.utils.translation import gettext_lazy as _


class Confidentiality(models.IntegerChoices):
    """Ordered levels (DESIGN §2 Cases). A staff role grants a maximum; the jurisdiction check
    and the level check are applied together in civilaffairs.accounts.access."""

    PUBLIC = 0, _("Public")
    INTERNAL = 1, _("Internal")
    CONFIDENTIAL = 2, _("Confidential")
    # Minors' data and health data (PIPL Art. 28).
    SENSITIVE = 3, _("Sensitive (minors, health)")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "civilaffairs.benefits"
    label = "benefits"
    verbose_name = _("Benefits")

    def ready(self):
        from civilaffairs.people import events

        from . import receivers

        events.person_died.connect(receivers.stop_on_death, dispatch_uid="benefits-stop-on-death")

        from civilaffairs.accounts.access import has_role
        from civilaffairs.casework.registry import register_link

        from .queries import PAYOUT_ROLES

        register_link(
            "staff",
            _("Payments to the bank"),
            "benefits:batches",
            visible=lambda user: user.is_superuser or has_role(user, *PAYOUT_ROLES),
        )

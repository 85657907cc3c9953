from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarriageConfig(AppConfig):
    name = "marriage"
    verbose_name = _("Marriage registration")

    def ready(self):
        from celery.schedules import crontab

        from civilaffairs.casework.registry import register_beat, register_domain

        register_domain("marriage", _("Marriage registration"), order=4, urls="marriage.urls")

        from civilaffairs.exchange.registry import register_marital_check

        from .receivers import marriage_in_force

        register_marital_check(marriage_in_force)

        from civilaffairs.exchange import events as exchange_events

        from .receivers import attach_premarital_check

        exchange_events.premarital_check_reported.connect(
            attach_premarital_check, dispatch_uid="marriage-premarital-check"
        )
        # Periodic tasks, merged into Celery beat's schedule when beat starts.
        register_beat(
            "marriage-divorce-deadlines", "marriage.divorce_deadlines_task", crontab(minute=20)
        )
        register_beat(
            "marriage-generate-slots", "marriage.generate_slots_task", crontab(hour=0, minute=35)
        )
        register_beat(
            "marriage-missed-appointments",
            "marriage.missed_appointments_task",
            crontab(hour=0, minute=50),
        )
        register_beat(
            "marriage-appointment-reminders",
            "marriage.appointment_reminders_task",
            crontab(hour=17, minute=5),
        )
        # The domain tells the platform what it offers; the platform never imports us.
        from civilaffairs.people import events

        from . import receivers

        events.person_died.connect(receivers.end_marriage_at_death, dispatch_uid="marriage-death")
        events.register_merge_check(receivers.refuse_two_marriages_in_force)
        from civilaffairs.accounts.models import StaffRole
        from civilaffairs.casework.registry import Service, register_link, register_service
        from civilaffairs.casework.workflow import register_workflow
        from civilaffairs.lib.confidentiality import Confidentiality
        from civilaffairs.portal.demo import register_demo_step

        from . import workflow

        common = {
            "domain": "marriage",
            "confidentiality": Confidentiality.CONFIDENTIAL,
            # Registries are county bureaus; a case belongs to the registry the couple chose.
            "intake_level": 3,
            # Marriage records are kept permanently (DESIGN §2, Cases).
            "retention_years": None,
            # Only registrars act on these cases (every transition is theirs) and supervisors
            # oversee them; a caseworker has no business reading a couple's file.
            "staff_roles": (StaffRole.Role.REGISTRAR, StaffRole.Role.SUPERVISOR),
        }
        services = [
            (
                Service(
                    code="marriage.registration",
                    name=_("Marriage registration (结婚登记)"),
                    reference_prefix="HYJ",
                    description=_(
                        "Book a time at any marriage registry in the country; both of you come "
                        "with your ID cards and sign the declaration. Registered on the spot."
                    ),
                    apply_url_name="marriage:book-registration",
                    # On the spot (当场登记): one working day from the counter at most.
                    statutory_days=1,
                    promised_days=1,
                    keywords=("结婚", "婚姻登记", "结婚证", "marriage"),
                    **common,
                ),
                workflow.registration(),
            ),
            (
                Service(
                    code="marriage.divorce",
                    name=_("Divorce registration by agreement (协议离婚登记)"),
                    reference_prefix="HYL",
                    description=_(
                        "Both of you file the application with a written agreement; after a "
                        "30-day cooling-off period you collect the divorce certificate together."
                    ),
                    apply_url_name="marriage:book-divorce",
                    # 30 + 30 calendar days (longer on a rest day): about 45 working days.
                    statutory_days=45,
                    promised_days=45,
                    keywords=("离婚", "离婚冷静期", "离婚证", "divorce"),
                    **common,
                ),
                workflow.divorce(),
            ),
            (
                Service(
                    code="marriage.replacement",
                    name=_("Replacement of a marriage or divorce certificate (补领)"),
                    reference_prefix="HYB",
                    description=_("At any registry's counter, with your ID card."),
                    statutory_days=1,
                    promised_days=1,
                    keywords=("补领", "结婚证丢失", "离婚证丢失"),
                    **common,
                ),
                workflow.replacement(),
            ),
        ]
        for service, wf in services:
            register_service(service)
            register_workflow(service.code, wf)

        register_link("citizen", _("My marriage registration"), "marriage:my")
        from .queries import registry_ids_for

        register_link(
            "staff",
            _("Marriage registry"),
            "marriage:staff-appointments",
            visible=lambda user: bool(registry_ids_for(user)),
        )
        # The registry's dashboard figures (/staff/figures/marriage/), counted by the platform.
        from civilaffairs.insight.registry import register_figures

        from .figures import figures

        register_figures(figures())

        register_demo_step(_seed_demo)


def _seed_demo(rng, log):
    from .seed import seed_demo

    seed_demo(rng, log=log)

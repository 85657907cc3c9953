from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldercareConfig(AppConfig):
    name = "eldercare"
    verbose_name = _("Elder care")

    def ready(self):
        from celery.schedules import crontab

        from civilaffairs.casework.registry import register_beat, register_domain

        register_domain("eldercare", _("Elder care"), order=2, urls="eldercare.urls")
        # Periodic tasks, merged into Celery beat's schedule when beat starts.
        register_beat(
            "eldercare-extend-plan-bookings",
            "eldercare.extend_plan_bookings_task",
            crontab(hour=0, minute=47),
        )
        register_beat(
            "eldercare-find-newly-eligible",
            "eldercare.find_newly_eligible_task",
            crontab(hour=1, minute=37),
        )
        # Before the benefits ledger's monthly run (02:05 is earlier, but a stop also stops
        # what that run scheduled): deaths and moves away end the allowance.
        register_beat(
            "eldercare-stop-age-allowances",
            "eldercare.stop_age_allowances_task",
            crontab(hour=2, minute=29),
        )
        # The domain tells the platform what it offers; the platform never imports us.
        from civilaffairs.casework.registry import Service, register_service
        from civilaffairs.casework.workflow import register_workflow
        from civilaffairs.lib.confidentiality import Confidentiality
        from civilaffairs.portal.demo import register_demo_step

        from . import facts, workflow

        facts.register()
        from civilaffairs.casework.registry import register_link

        register_link("citizen", _("Elder care services"), "eldercare:home")
        from .queries import is_staff

        # Not offered to a registrar or a child-welfare worker, who may not open it.
        register_link("staff", _("Elder care"), "eldercare:staff-overview", visible=is_staff)
        register_link("partner", _("Provider bookings"), "eldercare:provider-bookings")
        register_service(
            Service(
                code=workflow.CAREPLAN,
                domain="eldercare",
                name=_("Home-care plan (居家养老服务)"),
                reference_prefix="YLJH",
                description=_(
                    "An assessment of what help you need at home, and a plan of regular visits "
                    "(meals, bathing, cleaning, nursing, rehabilitation) with a subsidy."
                ),
                apply_url_name="eldercare:careplan-apply",
                assisted_url_name="eldercare:careplan-assisted",
                statutory_days=20,
                promised_days=15,
                confidentiality=Confidentiality.CONFIDENTIAL,
                keywords=("养老", "居家", "助餐", "助浴", "护理"),
                intake_level=4,
            )
        )
        register_workflow(workflow.CAREPLAN, workflow.build_careplan())
        register_service(
            Service(
                code=workflow.AGE_ALLOWANCE,
                domain="eldercare",
                name=_("Age allowance (高龄津贴)"),
                reference_prefix="GLJT",
                description=_(
                    "A monthly allowance from the age of 80, higher at 90 and 100. Nobody has to "
                    "apply: it is opened for you when you reach the age."
                ),
                # Proactive (免申即享): no citizen application form; staff can open one.
                apply_url_name=None,
                assisted_url_name="eldercare:allowance-assisted",
                statutory_days=20,
                promised_days=10,
                confidentiality=Confidentiality.CONFIDENTIAL,
                keywords=("高龄", "津贴", "补贴"),
                intake_level=4,
                program=facts.AGE_PROGRAM,
                fact_context=facts.fact_context,
            )
        )
        register_workflow(workflow.AGE_ALLOWANCE, workflow.build_allowance())
        # Paid through the platform's one ledger, each month priced by the age reached.
        from civilaffairs.benefits.registry import Program, register_program

        from .actions import price_month

        register_program(
            Program(workflow.AGE_ALLOWANCE, _("Age allowance (高龄津贴)"), amount_for=price_month)
        )
        from civilaffairs.people import events

        from .actions import do_cancel_visits_after_death

        events.person_died.connect(do_cancel_visits_after_death, dispatch_uid="eldercare-death")
        register_service(
            Service(
                code=workflow.URGENT_VISIT,
                domain="eldercare",
                name=_("Urgent home visit after a health alert"),
                reference_prefix="JJFS",
                description=_("Opened by a severe alert from an elder's health device."),
                statutory_days=1,
                promised_days=1,
                confidentiality=Confidentiality.CONFIDENTIAL,
                # The community office of the elder's residence, else the township's.
                intake_level=5,
            )
        )
        register_workflow(workflow.URGENT_VISIT, workflow.build_visit())
        # Its dashboard figures (/staff/figures/eldercare/), counted with the platform's.
        from . import figures

        figures.register()

        register_demo_step(_seed_demo)


def _seed_demo(rng, log):
    from .seed import seed_demo

    seed_demo(rng, log=log)

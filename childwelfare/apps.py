from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildwelfareConfig(AppConfig):
    name = "childwelfare"
    verbose_name = _("Child welfare")

    def ready(self):
        from celery.schedules import crontab

        from civilaffairs.casework.registry import register_beat, register_domain

        register_domain("childwelfare", _("Child welfare"), order=3, urls="childwelfare.urls")
        # Periodic tasks, merged into Celery beat's schedule when beat starts.
        register_beat(
            "childwelfare-visit-alerts", "childwelfare.visit_alerts_task", crontab(hour=7, minute=5)
        )
        register_beat(
            "childwelfare-plan-reviews",
            "childwelfare.plan_reviews_task",
            crontab(hour=1, minute=35),
        )
        register_beat(
            "childwelfare-end-allowances-at-18",
            "childwelfare.end_allowances_at_18_task",
            crontab(hour=2, minute=25),
        )
        register_beat(
            "childwelfare-close-adult-records",
            "childwelfare.close_adult_records_task",
            crontab(hour=0, minute=45),
        )
        register_beat("childwelfare-prescreen-sweep", "childwelfare.prescreen_sweep_task", 300.0)
        # The domain tells the platform what it offers; the platform never imports us.
        from civilaffairs.people import events

        from .actions import do_close_record_after_death

        events.person_died.connect(do_close_record_after_death, dispatch_uid="childwelfare-death")
        from civilaffairs.benefits.registry import Program, register_program
        from civilaffairs.casework.registry import Service, register_link, register_service
        from civilaffairs.casework.workflow import register_workflow
        from civilaffairs.lib.confidentiality import Confidentiality

        from . import facts, queries, workflow
        from .scope import CHILD_ROLES

        facts.register()
        register_service(
            Service(
                code="childwelfare.intake",
                domain="childwelfare",
                name=_("Report a child in need of protection"),
                reference_prefix="ETBG",
                description=_(
                    "A children's director, school or caseworker reports a child; the child's "
                    "category is identified, needs assessed and support planned."
                ),
                apply_url_name=None,  # reported by staff, never applied for online
                # Staff start a report from a person's page (takes the person's pk).
                assisted_url_name="childwelfare:report-person",
                statutory_days=20,
                promised_days=15,
                confidentiality=Confidentiality.SENSITIVE,
                keywords=("儿童", "孤儿", "留守", "困境", "事实无人抚养"),
                # Routed to the child's community office, or the township where there is none.
                intake_level=5,
                program="",  # the categories are pre-screened by the workflow's follow-up
                retention_years=30,
                fact_context=facts.fact_context,
                # Only staff who may open the child's record see the case (issue 7, item 7).
                staff_roles=CHILD_ROLES,
                staff_scope=queries.case_staff_scope,
            )
        )
        register_workflow("childwelfare.intake", workflow.build_intake())
        register_service(
            Service(
                code="childwelfare.allowance",
                domain="childwelfare",
                name=_("Basic living allowance for orphans and children without a de-facto carer"),
                reference_prefix="ETBZ",
                description=_(
                    "A monthly allowance for orphans and children without a de-facto carer, "
                    "until they turn 18."
                ),
                apply_url_name=None,
                assisted_url_name=None,
                statutory_days=20,
                promised_days=15,
                confidentiality=Confidentiality.SENSITIVE,
                keywords=("孤儿", "基本生活费", "事实无人抚养"),
                intake_level=3,  # the county decides
                program="child_allowance",
                retention_years=30,
                fact_context=facts.fact_context,
                # Only staff who may open the child's record see the case (issue 7, item 7).
                staff_roles=CHILD_ROLES,
                staff_scope=queries.case_staff_scope,
            )
        )
        register_workflow("childwelfare.allowance", workflow.build_allowance())
        # The allowance is paid through the platform's one ledger.
        register_program(Program("childwelfare.allowance", _("Child basic-living allowance")))
        register_link("staff", _("Child welfare"), "childwelfare:home")
        # For guardians; anyone else finds no child there.
        register_link("citizen", _("Children in my care"), "childwelfare:my-children")
        # Its dashboard figures (/staff/figures/childwelfare/), counted with the platform's.
        from . import figures

        figures.register()

        from civilaffairs.portal.demo import register_demo_step

        register_demo_step(_seed_demo)


def _seed_demo(rng, log):
    from .seed import seed_demo

    seed_demo(rng, log=log)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("Social assistance")

    def ready(self):
        from celery.schedules import crontab

        from civilaffairs.casework.registry import register_beat, register_domain

        register_domain("assistance", _("Social assistance"), order=1, urls="assistance.urls")
        from civilaffairs.casework.registry import register_link

        from .disaster_queries import may_see

        register_link("staff", _("Disaster relief"), "assistance:disasters", visible=may_see)

        from civilaffairs.exchange import events as exchange_events

        from .receivers import rescreen_on_reported_income, take_economic_check_answer

        exchange_events.income_reported.connect(
            rescreen_on_reported_income, dispatch_uid="assistance-reported-income"
        )
        exchange_events.economic_check_answered.connect(
            take_economic_check_answer, dispatch_uid="assistance-economic-check"
        )
        # Periodic tasks, merged into Celery beat's schedule when beat starts.
        register_beat("assistance-end-notices", "assistance.end_notices_task", crontab(minute=5))
        register_beat(
            "assistance-objection-answers",
            "assistance.send_objection_answers_task",
            crontab(minute="*/10"),
        )
        register_beat(
            "assistance-start-reviews", "assistance.start_reviews_task", crontab(hour=1, minute=23)
        )
        # The domain tells the platform what it offers; the platform never imports us.
        from civilaffairs.benefits.registry import Program, register_program
        from civilaffairs.casework.registry import Service, register_service
        from civilaffairs.casework.workflow import register_workflow
        from civilaffairs.lib.confidentiality import Confidentiality

        from . import facts, workflow

        facts.register()
        # Its own figures on the dashboards (hardship causes, household sizes, one-off help).
        from . import figures

        figures.register()
        # What an administrator runs after changing a standard (rules admin, Parameters).
        from civilaffairs.rules.registry import register_recompute

        # …and what a decision-support scenario costs (insight's scenarios).
        from . import scenario_cost
        from .actions import do_rescreen_amounts

        scenario_cost.register()
        for kind in ("dibao", "tekun"):
            register_recompute(
                f"assistance.{kind}",
                lambda kind=kind, **kwargs: do_rescreen_amounts(kind=kind, **kwargs),
            )
        wf, linshi = workflow.build(), workflow.build_linshi()
        for code, name, prefix, desc, statutory, promised in (
            (
                "assistance.dibao",
                _("Minimum living allowance (低保)"),
                "DB",
                _(
                    "Monthly support for households whose income per person is below the local standard."
                ),
                40,
                25,
            ),
            (
                "assistance.tekun",
                _("Extreme-poverty support (特困供养)"),
                "TK",
                _(
                    "Support for people unable to work, without income and without anyone able to support them."
                ),
                40,
                25,
            ),
            (
                "assistance.linshi",
                _("Temporary assistance (临时救助)"),
                "LS",
                _("One-off help after a sudden event or a large necessary expense."),
                15,
                10,
            ),
        ):
            kind = code.split(".")[1]
            register_service(
                Service(
                    code=code,
                    domain="assistance",
                    name=name,
                    reference_prefix=prefix,
                    description=desc,
                    apply_url_name=f"assistance:apply-{kind}",
                    assisted_url_name="assistance:assisted-start",
                    statutory_days=statutory,
                    promised_days=promised,
                    confidentiality=Confidentiality.CONFIDENTIAL,
                    intake_level=4,
                    program=kind,
                    fact_context=facts.fact_context,
                )
            )
            # 临时救助 has a process of its own (no public notice, pay first in an emergency).
            register_workflow(code, linshi if kind == "linshi" else wf)
            # Its payments go through the platform's one ledger, under the service's code.
            register_program(Program(code, name))

        from civilaffairs.portal.demo import register_demo_step, register_reference_step

        register_reference_step(_seed_programs)
        register_demo_step(_seed_demo)


def _seed_programs(log):
    from .seed import seed_disaster_norms, seed_programs

    seed_programs(log=log)
    seed_disaster_norms(log=log)


def _seed_demo(rng, log):
    from .seed import seed_demo_cases, seed_demo_disaster, seed_programs

    seed_programs(log=log)
    seed_demo_cases(rng, log=log)
    seed_demo_disaster(log=log)

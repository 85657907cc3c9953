from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .services import (  # noqa: F401 (kept importable from here)
    ALL_SERVICES,
    ANNUAL_REPORT,
    CHANGE,
    DEREGISTER,
    ESTABLISH,
    REGISTRATION_SERVICES,
)


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("Social organizations")

    def ready(self):
        from celery.schedules import crontab

        from civilaffairs.casework.registry import register_beat, register_domain

        register_domain("orgs", _("Social organizations and charity"), order=5, urls="orgs.urls")
        # Periodic tasks, merged into Celery beat's schedule when beat starts.
        register_beat(
            "orgs-flag-late-filers", "orgs.flag_late_filers_task", crontab(hour=2, minute=37)
        )
        register_beat("orgs-run-matching", "orgs.run_matching_task", crontab(minute=17))
        from civilaffairs.casework.registry import register_link
        from civilaffairs.people import events

        from . import receivers

        events.persons_merged.connect(receivers.on_persons_merged, dispatch_uid="orgs-merge")

        register_link("citizen", _("Register of social organizations"), "orgs:register")
        register_link("citizen", _("Charity: needs and donations"), "orgs:needs-public")
        register_link("citizen", _("Public donation ledger"), "orgs:ledger")
        register_link("citizen", _("My organizations"), "orgs:my-orgs")
        register_link("citizen", _("My donations"), "orgs:my-donations")
        # The menu offers only what its reader may open: not a registrar's or a child-welfare
        # worker's, though they are staff of the same bureau.
        from .queries import is_staff, runs_projects_as_staff

        register_link("staff", _("Social organizations"), "orgs:staff-orgs", visible=is_staff)
        register_link("staff", _("Late annual reports"), "orgs:staff-late", visible=is_staff)
        register_link(
            "staff", _("Charity matching"), "orgs:charity-home", visible=runs_projects_as_staff
        )
        # The domain tells the platform what it offers; the platform never imports us.
        from civilaffairs.casework.registry import Service, register_service
        from civilaffairs.casework.workflow import register_workflow
        from civilaffairs.lib.confidentiality import Confidentiality

        from . import workflow

        registration = workflow.registration()
        report = workflow.annual_report()
        # (code, name, prefix, description, statutory, promised, apply page, confidentiality,
        #  retention years, workflow). The statutory limits are the regulations' calendar days
        # (establishment 60, change 30) in working days, rounded down.
        for code, name, prefix, desc, statutory, promised, apply, level, keep, wf in (
            (
                ESTABLISH,
                _("Registration of a social organization (成立登记)"),
                "SZSL",
                _("Register a new social group, social service agency or foundation."),
                40,
                20,
                "orgs:establish-start",
                Confidentiality.CONFIDENTIAL,
                None,  # registration files are kept permanently
                registration,
            ),
            (
                CHANGE,
                _("Change of registration (变更登记)"),
                "SZBG",
                _("Change an organization's name, legal representative, domicile or scope."),
                20,
                10,
                "orgs:my-orgs",
                Confidentiality.CONFIDENTIAL,
                None,
                registration,
            ),
            (
                DEREGISTER,
                _("Deregistration of a social organization (注销登记)"),
                "SZZX",
                _("Close an organization after its liquidation."),
                20,
                15,
                "orgs:my-orgs",
                Confidentiality.CONFIDENTIAL,
                None,
                registration,
            ),
            (
                ANNUAL_REPORT,
                _("Annual report of a social organization (年度报告)"),
                "SZNB",
                _("File the organization's yearly report on activities, finances and governance."),
                30,
                20,
                "orgs:my-orgs",
                Confidentiality.INTERNAL,
                10,
                report,
            ),
        ):
            register_service(
                Service(
                    code=code,
                    domain="orgs",
                    name=name,
                    reference_prefix=prefix,
                    description=desc,
                    apply_url_name=apply,
                    statutory_days=statutory,
                    promised_days=promised,
                    confidentiality=level,
                    keywords=("社会组织", "社会团体", "基金会", "民办非企业"),
                    # The case carries the registration authority's region; the deepest office
                    # covering it at county level or above is that authority.
                    intake_level=3,
                    retention_years=keep,
                )
            )
            register_workflow(code, wf)

        # The register's dashboard figures (/staff/figures/orgs/), counted by the platform.
        from civilaffairs.insight.registry import register_figures

        from .figures import figures

        register_figures(figures())

        from civilaffairs.portal.demo import register_demo_step

        register_demo_step(_seed_demo)


def _seed_demo(rng, log):
    from .seed import seed_demo

    seed_demo(rng, log=log)

"""Periodic work of child welfare. Each task takes no objects, is idempotent, and calls an
action. Schedules (crontab) are registered in apps.py (register_beat)."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="childwelfare.visit_alerts_task", acks_late=True)
def visit_alerts_task():
    """Alert the supervising staff of every overdue visit (one open alert per child)."""
    from .actions import do_raise_overdue_visit_alerts

    return do_raise_overdue_visit_alerts()


@shared_task(name="childwelfare.plan_reviews_task", acks_late=True)
def plan_reviews_task():
    """Put every support plan whose review date has come back in the worker's queue."""
    from .actions import do_start_due_plan_reviews

    return do_start_due_plan_reviews()


@shared_task(name="childwelfare.end_allowances_at_18_task", acks_late=True)
def end_allowances_at_18_task():
    """End the allowances of children who turned 18 (re-runs end nothing more); the payments
    themselves are scheduled by the benefits ledger's monthly run."""
    from .actions import do_end_allowances_at_18

    return do_end_allowances_at_18(timezone.localdate())


@shared_task(name="childwelfare.close_adult_records_task", acks_late=True)
def close_adult_records_task():
    """Close the records of children who turned 18."""
    from .actions import do_close_adult_records

    return do_close_adult_records()


@shared_task(name="childwelfare.prescreen_sweep_task", acks_late=True)
def prescreen_sweep_task():
    """Pre-screen the category of reports whose follow-up did not run (a worker killed between
    routing and pre-screening). Reports still waiting for routing are the platform sweep's."""
    from .actions import do_prescreen_category
    from .models import IntakeReport

    ids = list(
        IntakeReport.objects.filter(prescreened_at__isnull=True)
        .exclude(case__state__in=["draft", "submitted"])
        .values_list("case_id", flat=True)[:500]
    )
    return sum(1 for case_id in ids if do_prescreen_category(case_id) != "skipped")

"""Periodic work of the marriage registry. Each task takes no objects, is idempotent, and
calls an action."""

from celery import shared_task


@shared_task(name="marriage.divorce_deadlines_task", acks_late=True)
def divorce_deadlines_task():
    """Cooling-off over → collection period; collection period over → deemed withdrawn;
    reminders a week before the end. Calendar days; re-runs change nothing."""
    from .actions import do_divorce_deadlines

    return do_divorce_deadlines()


@shared_task(name="marriage.generate_slots_task", acks_late=True)
def generate_slots_task():
    """Open the booking horizon one more day (existing slots stay as they are)."""
    from .actions import do_generate_slots

    return do_generate_slots()


@shared_task(name="marriage.appointment_reminders_task", acks_late=True)
def appointment_reminders_task():
    """Remind both parties of tomorrow's appointments, once each."""
    from .actions import do_send_reminders

    return do_send_reminders()


@shared_task(name="marriage.missed_appointments_task", acks_late=True)
def missed_appointments_task():
    """Mark yesterday's unattended appointments missed and close applications left with none."""
    from .actions import do_mark_missed_appointments

    return do_mark_missed_appointments()

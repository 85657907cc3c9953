"""What social assistance does when the platform tells it something (exchange.events)."""

from .actions import do_take_economic_check_answer, do_take_reported_income


def rescreen_on_reported_income(
    sender, *, person, kind, monthly_amount, month, department, acting_user, **kwargs
):
    do_take_reported_income(
        person,
        kind=kind,
        monthly_amount=monthly_amount,
        month=month,
        department=department,
        acting_user=acting_user,
    )


def take_economic_check_answer(sender, *, check, answer, acting_user, **kwargs):
    do_take_economic_check_answer(check, answer, acting_user=acting_user)

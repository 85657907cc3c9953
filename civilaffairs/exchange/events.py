"""What the exchange announces when another department tells the portal something a domain
must act on (domains connect in their AppConfig.ready, as to people.events). Sent inside the
receiving action's transaction: a receiver that fails undoes the notice.

    income_reported(person, kind, monthly_amount, month, department, acting_user)
        human resources and social security report a person's income of one kind for a month
        (kind: a code of the "income-kind" code list)
    premarital_check_reported(person, advice, checked_on, institution, department, acting_user)
        health reports a premarital medical check (advice: a code of "premarital-advice")
    economic_check_answered(check, answer, acting_user)
        a department answered one source of a household economic-status check
"""

from django.dispatch import Signal

income_reported = Signal()
premarital_check_reported = Signal()
economic_check_answered = Signal()

"""What the case engine announces, for whoever must hear it (the exchange's webhooks): sent
inside do_transition's transaction.

    case_decided(case, acting_user)    the case reached a decided or closing state with an outcome
"""

from django.dispatch import Signal

case_decided = Signal()

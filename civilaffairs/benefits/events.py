"""What the ledger announces, for whoever must hear it (the exchange's webhooks): sent inside
the action's transaction, like the people's life events.

    entitlement_started(entitlement, acting_user)
    entitlement_stopped(entitlement, acting_user)
"""

from django.dispatch import Signal

entitlement_started = Signal()
entitlement_stopped = Signal()

# The casework tests' small service, personas and helpers serve the ledger's tests too.
from tests.casework.conftest import english, no_broker, test_service, world  # noqa: F401

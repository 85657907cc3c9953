"""The endpoints a grant can name. A view declares its endpoint; the grant must list it."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Endpoint:
    code: str
    label: str
    writes: bool = False


ENDPOINTS = (
    Endpoint("persons:read", _("Person by ID number (read)")),
    Endpoint("households:read", _("Household composition (read)")),
    Endpoint("benefits:read", _("Benefit status (read)")),
    Endpoint("marriage:read", _("Marital status (read)")),
    Endpoint("cases:read", _("Case status by reference number (read)")),
    Endpoint("recipients:read", _("Monthly recipient lists (read)")),
    Endpoint("deaths:write", _("Death notices (write)"), writes=True),
    Endpoint("incomes:write", _("Income records (write)"), writes=True),
    Endpoint("disabilities:write", _("Disability grades (write)"), writes=True),
    Endpoint("premarital:write", _("Premarital check results (write)"), writes=True),
    Endpoint(
        "economic-checks:answer",
        _("Household economic-status checks (read requests, answer)"),
        writes=True,
    ),
)
BY_CODE = {e.code: e for e in ENDPOINTS}

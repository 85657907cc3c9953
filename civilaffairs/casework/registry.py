"""The services of every domain, registered in code by each domain's AppConfig.ready.

The platform never imports a domain app; a domain tells the platform what it offers here. The
citizen catalogue, routing, reference numbers and SLA clocks all read this registry.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from civilaffairs.lib.confidentiality import Confidentiality

# The domains, each registered by its own app (register_domain) with the label the citizen
# catalogue shows and its place in it: the platform names none of them.
DOMAINS: dict[str, str] = {}
_domain_order: dict[str, int] = {}
_domain_urls: dict[str, str] = {}
_beat: dict[str, dict] = {}


def register_domain(code: str, label, *, order: int, urls: str | None = None) -> None:
    """A domain app announces itself (in AppConfig.ready, before its services): its label and
    place in the catalogue, and the URLconf (a dotted module path) served under `/<code>/`."""
    DOMAINS[code] = label
    _domain_order[code] = order
    for key in sorted(DOMAINS, key=lambda c: _domain_order[c]):
        DOMAINS[key] = DOMAINS.pop(key)  # kept in catalogue order
    if urls:
        _domain_urls[code] = urls


def domain_urlconfs() -> list[tuple[str, str]]:
    """(URL prefix, URLconf module) of every domain, in catalogue order: civilaffairs.urls
    includes them, so the project's URLconf names no domain."""
    return [(f"{code}/", _domain_urls[code]) for code in DOMAINS if code in _domain_urls]


def register_beat(name: str, task: str, schedule) -> None:
    """A periodic task a domain brings (a crontab or seconds), added to Celery beat's schedule
    when beat starts (civilaffairs.celery): the settings list only the platform's own."""
    _beat[name] = {"task": task, "schedule": schedule}


def beat_entries() -> dict[str, dict]:
    return dict(_beat)


@dataclass(frozen=True)
class Service:
    code: str  # "assistance.dibao": unique, stable, stored on cases
    domain: str  # a key of DOMAINS
    name: str
    reference_prefix: str  # letters at the start of a case reference number, e.g. "DB"
    description: str = ""
    apply_url_name: str | None = None  # where a citizen starts; None = staff-initiated only
    # Where staff start an application on someone's behalf (takes the person's pk).
    assisted_url_name: str | None = None
    statutory_days: int = 20  # 法定时限, working days
    promised_days: int = 20  # 承诺时限, working days, never longer than the statutory one
    confidentiality: int = Confidentiality.CONFIDENTIAL
    keywords: tuple[str, ...] = field(default_factory=tuple)
    # The office level a new case is routed to (township for most first instances).
    intake_level: int = 4
    # The rules program that pre-screens a new case ('' = no automated screening).
    program: str = ""
    # Years a closed case is kept before archiving; None = permanently (marriage records).
    retention_years: int | None = 10
    # Builds the rules engine's FactContext for one case of this service (domain code).
    fact_context: Callable | None = field(default=None, compare=False)
    # Narrows who sees this service's cases beyond region and confidentiality: user -> Q over
    # Case, ANDed into Case.objects.visible_to for cases of this service only (child welfare:
    # only staff who may open the child's record). None = region and level are enough.
    # It must build its Q from the user (id and flags) and grants_for(user) alone, never from
    # rows it reads or the clock while building: what is cached for a user's view of the cases
    # (the counts of a long queue) is keyed by their casework.scope.Scope on that basis (tested
    # in tests/casework/test_queues.py).
    staff_scope: Callable | None = field(default=None, compare=False)
    # The staff roles that see and work this service's cases (within their grant's region and
    # level): by default the general casework roles (accounts.models.CASEWORK_ROLES).
    staff_roles: tuple[str, ...] = field(default_factory=lambda: _casework_roles())

    def __post_init__(self):
        if self.domain not in DOMAINS:
            raise ValueError(f"unknown domain {self.domain!r}: register_domain() it first")
        if self.promised_days > self.statutory_days:
            raise ValueError(f"{self.code}: promised time limit longer than the statutory one")

    @property
    def apply_url(self) -> str | None:
        if not self.apply_url_name:
            return None
        try:
            return reverse(self.apply_url_name)
        except NoReverseMatch:
            return None


def _casework_roles() -> tuple[str, ...]:
    from civilaffairs.accounts.models import CASEWORK_ROLES

    return tuple(str(role) for role in CASEWORK_ROLES)


_services: dict[str, Service] = {}


def register_service(service: Service) -> Service:
    existing = _services.get(service.code)
    if existing is not None and existing != service:
        raise ValueError(f"service {service.code!r} registered twice")
    prefixes = {s.reference_prefix: s.code for s in _services.values()}
    if prefixes.get(service.reference_prefix, service.code) != service.code:
        raise ValueError(f"reference prefix {service.reference_prefix!r} already used")
    _services[service.code] = service
    return service


def get_service(code: str) -> Service:
    return _services[code]


def services_by_staff_roles() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(roles, service codes) for each set of roles that works some services, in a fixed
    order: what Case.objects.visible_to builds its jurisdiction terms from."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for s in sorted(_services.values(), key=lambda s: s.code):
        groups.setdefault(tuple(sorted(s.staff_roles)), []).append(s.code)
    return [(roles, tuple(codes)) for roles, codes in sorted(groups.items())]


def narrowed_services() -> list[Service]:
    """Services whose cases carry a staff_scope of their own."""
    return [s for s in _services.values() if s.staff_scope is not None]


def all_services() -> list[Service]:
    return sorted(_services.values(), key=lambda s: (list(DOMAINS).index(s.domain), s.code))


def service_choices() -> list[tuple[str, str]]:
    return [(s.code, s.name) for s in all_services()]


def catalogue() -> list[tuple[str, str, list[Service]]]:
    """The citizen catalogue: only services a citizen can actually start online, by domain."""
    out = []
    for domain, label in DOMAINS.items():
        items = [s for s in all_services() if s.domain == domain and s.apply_url]
        if items:
            out.append((domain, label, items))
    return out


def assisted_links(person_pk: int) -> list[tuple[str, str]]:
    """(name, url) of every service staff can apply for on someone's behalf, one per URL."""
    seen, out = set(), []
    for s in all_services():
        if not s.assisted_url_name or s.assisted_url_name in seen:
            continue
        seen.add(s.assisted_url_name)
        try:
            out.append((DOMAINS[s.domain], reverse(s.assisted_url_name, args=[person_pk])))
        except NoReverseMatch:
            continue
    return out


# A domain's own pages (a landing page for citizens, a staff overview, a partner's workspace),
# shown on the home page and in the staff menu.
_links: dict[str, list[tuple]] = {"citizen": [], "staff": [], "partner": []}
# Who sees a link (url name and arguments -> predicate(user)): the menu offers only what its
# reader may open.
_link_visible: dict[tuple, Callable] = {}


def register_link(
    kind: str, label, url_name: str, *, args: tuple = (), visible: Callable | None = None
):
    """kind: "citizen" (home page), "staff" (workspace menu) or "partner" (providers, orgs).
    `args`: the URL's arguments, where one view serves many pages (each domain's figures).
    `visible(user) -> bool`: whom the link is for (default: everyone the menu is shown to)."""
    entry = (label, url_name, kind, tuple(args))
    if all(e[1:] != entry[1:] for e in _links[kind]):
        _links[kind].append(entry)
    if visible is not None:
        _link_visible[(url_name, tuple(args))] = visible


def links(kind: str) -> tuple[tuple[str, str], ...]:
    """(label, url) for one kind, skipping URLs that are not routed. Every page's navigation
    asks, so the answer is kept per URL configuration (labels stay lazy: they translate when
    rendered)."""
    routed = _routed_links(kind, get_urlconf(), get_script_prefix(), len(_links[kind]))
    return tuple((label, url) for label, url, _name in routed)


def links_for(kind: str, user) -> tuple[tuple[str, str], ...]:
    """links(kind), less those whose page the user may not open."""
    routed = _routed_links(kind, get_urlconf(), get_script_prefix(), len(_links[kind]))
    return tuple(
        (label, url)
        for label, url, key in routed
        if (check := _link_visible.get(key)) is None or check(user)
    )


@functools.lru_cache(maxsize=64)
def _routed_links(kind: str, _urlconf, _prefix, _registered: int) -> tuple:
    out = []
    for label, url_name, _kind, args in _links[kind]:
        try:
            out.append((label, reverse(url_name, args=args), (url_name, args)))
        except NoReverseMatch:
            continue
    return tuple(out)

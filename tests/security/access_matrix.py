"""The machinery of the access matrix (test_access_matrix.py holds the table itself).

* `site_urls()` walks the project's URL configuration, so the matrix knows every URL the site
  has, including one added tomorrow.
* `Rule` says, for one method of one URL, who may and what everyone else gets; `expected()`
  turns it into one status per (role, sample) cell.
* `Runner` asks the site: one shared, signed-in test client per role, every POST in a savepoint
  that is rolled back, so an allowed action changes nothing the next cell depends on.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.auth import sign_in

# Answers that are more than a status code: a redirect to the site's login page (with `next`)
# and a redirect to the Django admin's own login page.
LOGIN = "302→login"
ADMIN_LOGIN = "302→admin login"


# ----------------------------------------------------------------------------- the URLs


@dataclasses.dataclass(frozen=True)
class SiteURL:
    name: str | None  # "namespace:name", None for an unnamed pattern
    route: str  # e.g. "staff/cases/<int:pk>/"
    kwargs: tuple[str, ...]  # the path converters' names, in order
    positional: int = 0  # unnamed groups of a regular-expression pattern


def _walk(patterns, prefix: str, namespace: str | None) -> Iterator[SiteURL]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = namespace
            if p.namespace:
                inner = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
            regex = p.pattern.regex
            yield SiteURL(
                name,
                prefix + str(p.pattern),
                tuple(p.pattern.converters),
                regex.groups - len(regex.groupindex),
            )


def site_urls() -> list[SiteURL]:
    """Every pattern of the project's URL configuration."""
    return list(_walk(get_resolver().url_patterns, "/", None))


def is_admin(url: SiteURL) -> bool:
    return url.route.startswith("/admin/")


# ----------------------------------------------------------------------------- expectations


@dataclasses.dataclass(frozen=True)
class Rule:
    """One method of one URL.

    `may`: the roles that pass the page's role check. For them the answer is `ok` when the
    sample lies inside their scope (the sample's `inside`, or always for a URL without an
    object) and `outside` otherwise. `reads`: roles that may read the object but not do this
    (e.g. staff of the area who are not its supervisor): `refused` inside their scope,
    `outside` beyond it, since the object is looked up before the right is checked. Other
    signed-in roles get `others`; anonymous gets `anonymous` unless listed in `may`. `cells`
    overrides single cells where a view answers a particular role or sample differently on
    purpose, keyed by (role, sample label), by sample label or by role."""

    may: frozenset
    ok: int | str = 200
    outside: int | str = 404
    others: int | str = 403
    anonymous: int | str = LOGIN
    reads: frozenset = frozenset()
    refused: int | str = 403
    cells: dict = dataclasses.field(default_factory=dict)

    def expect(self, role: str, label: str | None, inside: frozenset | None):
        for key in ((role, label), label, role):
            if key in self.cells:
                return self.cells[key]
        is_inside = inside is None or role in inside
        if role in self.may:
            return self.ok if is_inside else self.outside
        if role in self.reads:
            return self.refused if is_inside else self.outside
        return self.anonymous if role == "anonymous" else self.others


def rule(may, ok=200, **kw) -> Rule:
    if "reads" in kw:
        kw["reads"] = frozenset(kw["reads"])
    return Rule(frozenset(may), ok, **kw)


def wrong_method(anonymous=LOGIN) -> Rule:
    """Refused for its method (405) before anything else, but after the login check for a
    login-only view (anonymous gets the login page)."""
    return Rule(frozenset(), others=405, anonymous=anonymous)


@dataclasses.dataclass(frozen=True)
class Row:
    """One URL name: what its kwargs are filled with and what GET and POST answer."""

    get: Rule
    post: Rule
    sample: str | None = None  # the kind of object the URL names (see matrix_samples)
    key: str = "pk"  # the kwarg that takes the sample's primary key
    fixed: dict = dataclasses.field(default_factory=dict)  # other kwargs (or f(sample) → value)


# ----------------------------------------------------------------------------- asking the site


@dataclasses.dataclass
class Cell:
    method: str
    role: str
    label: str | None
    path: str
    expected: int | str
    got: int | str
    detail: str = ""

    def __str__(self):
        where = f"{self.role}, {self.label}" if self.label else self.role
        text = f"{self.method} {self.path} [{where}]: expected {self.expected}, got {self.got}"
        return f"{text} ({self.detail})" if self.detail else text


def answer(response) -> int | str:
    """The response's status, with a redirect to either login page told apart."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(resolve_url(settings.LOGIN_URL)):
            return LOGIN
    return response.status_code


class Runner:
    """One signed-in client per role, shared by all its cells (a session is made once)."""

    def __init__(self, users: dict):
        self.clients: dict[str, Client] = {}
        for role, user in users.items():
            client = Client(raise_request_exception=False)
            if user is not None:
                sign_in(client, user)
            self.clients[role] = client

    def ask(self, role: str, method: str, path: str):
        client = self.clients[role]
        cookies = copy.deepcopy(client.cookies)
        try:
            if method == "GET":
                return client.get(path)
            # An allowed action really runs: in a savepoint, rolled back at once.
            with transaction.atomic():
                response = client.post(path)
                transaction.set_rollback(True)
            return response
        finally:
            # A cell may sign the client out or change its session; the next one starts from
            # the same cookies (the session row itself is restored by the rollback).
            client.cookies = cookies

    def run(
        self,
        method: str,
        rule_: Rule,
        paths: list[tuple[str | None, str, frozenset | None]],
    ) -> list[Cell]:
        cells = []
        for role in self.clients:
            for label, path, inside in paths:
                expected = rule_.expect(role, label, inside)
                response = self.ask(role, method, path)
                got = answer(response)
                detail = ""
                if got != expected and response.status_code >= 500:
                    exc = getattr(response, "exc_info", None)
                    detail = repr(exc[1]) if exc else ""
                elif got != expected and response.status_code in (301, 302):
                    detail = f"to {response['Location']}"
                cells.append(Cell(method, role, label, path, expected, got, detail))
        return cells


def paths_for(url: SiteURL, row: Row, samples) -> list[tuple[str | None, str, frozenset | None]]:
    """(sample label, path, roles inside) for each sample of the row's kind; one path with no
    label for a URL without an object."""
    if row.sample is None:
        return [(None, reverse(url.name, kwargs=dict(row.fixed)), None)]
    out = []
    for label, sample in samples.of(row.sample).items():
        kwargs = {k: (v(sample) if callable(v) else v) for k, v in row.fixed.items()}
        kwargs[row.key] = sample.pk
        out.append((label, reverse(url.name, kwargs=kwargs), sample.inside))
    return out

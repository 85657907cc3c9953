"""The access matrix: every URL of the site × every role × rows inside and outside the role's
jurisdiction, above its level, and belonging to someone else, with the answer each cell must
get, declared in one table (TABLE, one row per URL name).

The URLs come from the URL configuration itself (access_matrix.site_urls), so a URL added
without a row here fails `test_every_url_of_the_site_has_a_row` with the row to add. The rows
the URLs name come from the demo world (matrix_samples); the roles are conftest.ROLES.

How a row reads: `rule(may, ok)` — the roles in `may` get `ok` for a row inside their scope and
404 for one outside it (or above their level: the same answer, so nobody learns it exists);
roles in `reads` may open the row but not do this (403 inside, 404 outside); every other
signed-in role gets 403 (`others`) and anonymous the login page. A citizen's page is open to
every signed-in account (`rule(SIGNED_IN)`) and its row is inside the scope of its owner only,
so another person's application is answered 404, like none. `wrong_method()` is 405 (after the
login page for anonymous, where the view asks for a login first). Which roles have a row in
scope is written down with the row (matrix_samples), not worked out by the code under test.

A POST that is allowed really runs, inside a savepoint rolled back at once; it sends an empty
form, so most allowed POSTs answer with the form's errors (400 or 200) or a redirect with a
message.
"""

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

from tests.security import matrix_samples
from tests.security.access_matrix import (
    ADMIN_LOGIN,
    LOGIN,
    Row,
    Rule,
    Runner,
    answer,
    is_admin,
    paths_for,
    rule,
    site_urls,
    wrong_method,
)
from tests.security.conftest import ROLES

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
# Holders of a staff grant, and the administrator (accounts.access.is_staff_member).
STAFF = frozenset(
    {
        "caseworker",
        "caseworker_xixia",
        "approver",
        "supervisor",
        "registrar",
        "childworker",
        "director",
        "admin",
    }
)
# Staff of the general casework roles (accounts.models.CASEWORK_ROLES): elder care's and the
# registration authority's staff pages are theirs; a registrar or child-welfare worker is refused.
CASEWORK_STAFF = frozenset({"caseworker", "caseworker_xixia", "approver", "supervisor", "admin"})
# Who may hand out cases: an approver in their office, a supervisor in their area.
SUPERVISING = frozenset({"approver", "supervisor", "admin"})
# Who runs charity projects: an organization's account, the staff of an office.
NEEDING_SIDE = frozenset(
    {"org", "caseworker", "caseworker_xixia", "approver", "supervisor", "admin"}
)
# Marriage registrars (of their own registries) and the administrator.
REGISTRARS = frozenset({"registrar", "admin"})
SUPERVISES_TOWNSHIP = frozenset({"supervisor", "admin"})
# Who may import legacy records (the demo gives the permission to the county's approver).
IMPORTERS = frozenset({"approver", "admin"})
# Accounts bound to a person (real-name verified): they may book for themselves, apply, …
PERSONS = frozenset({"citizen", "family", "org", "donor"})

PUBLIC_PAGE = Row(get=rule(EVERYONE), post=wrong_method(anonymous=405))


def page(may, post=None, **kw) -> Row:
    """A page read with GET (POST refused with 405)."""
    return Row(get=rule(may), post=post or wrong_method(), **kw)


def action(may, ok=302, get=None, **kw) -> Row:
    """A POST-only URL (GET refused with 405)."""
    rule_kw = {k: kw.pop(k) for k in ("reads", "refused", "cells", "others") if k in kw}
    return Row(get=get or wrong_method(), post=rule(may, ok, **rule_kw), **kw)


def transition_name(sample) -> str:
    """A step of the case's own workflow (each service names its own): the view looks the case
    up before it asks whether that step may be taken now."""
    return next(iter(sample.obj.workflow.transitions))


# The inter-agency API answers a token, never a session: every role of the site, signed in or
# not, is 401 there (tests/exchange tries each endpoint with clients' grants).
API_ONLY = Rule(frozenset(), others=401, anonymous=401)
API_ROW = Row(get=API_ONLY, post=API_ONLY)


def _event_place(sample) -> str:
    """The region a disaster was recorded for (a township): its page of households."""
    return sample.obj.regions.get().region_id


TABLE: dict[str, Row] = {
    # ------------------------------------------------------------------ data sharing
    # A token request without a grant type is 400 (RFC 6749 §5.2), whoever sends it.
    "api:token": Row(
        get=Rule(frozenset(), others=405, anonymous=405),
        post=Rule(frozenset(), others=400, anonymous=400),
    ),
    "api:schema": PUBLIC_PAGE,
    "api:docs": PUBLIC_PAGE,
    "api:person": API_ROW,
    "api:household": API_ROW,
    "api:benefits": API_ROW,
    "api:marital-status": API_ROW,
    "api:case": Row(get=API_ONLY, post=API_ONLY, fixed={"reference": "DB-640104-2026-000001"}),
    "api:recipients": API_ROW,
    "api:death-notices": API_ROW,
    "api:income-notices": API_ROW,
    "api:disability-notices": API_ROW,
    "api:premarital-notices": API_ROW,
    "api:economic-checks": API_ROW,
    "api:not-found": Row(
        get=Rule(frozenset(), others=404, anonymous=404),
        post=Rule(frozenset(), others=404, anonymous=404),
        fixed={"rest": "no/such/endpoint/"},
    ),
    "api:economic-check-answer": Row(get=API_ONLY, post=API_ONLY, fixed={"pk": 1}),
    "standards": PUBLIC_PAGE,
    "standards-json": PUBLIC_PAGE,
    "standards-csv": PUBLIC_PAGE,
    "my-data-uses": page(SIGNED_IN),
    # Imports of legacy records: the import permission (the demo gives it to the county's
    # approver) on top of a registry role; a batch is read in its area. Deciding a possible
    # duplicate is a merge: the casework roles, in the area of the imported row.
    "imports:list": Row(get=rule(IMPORTERS), post=rule(IMPORTERS, 400)),
    "imports:template": page(IMPORTERS),
    "imports:detail": page(IMPORTERS, sample="import"),
    "imports:progress": page(IMPORTERS, sample="import"),
    "imports:refused": page(IMPORTERS, sample="import"),
    "imports:resume": action(IMPORTERS, sample="import"),
    "imports:review-queue": page(CASEWORK_STAFF),
    # The figures: the casework roles, each of their own area (a region outside it is 404:
    # tests/insight).
    "insight:benefits": page(CASEWORK_STAFF),
    # Applications: whoever works some service, of the services their roles work; not the
    # child-welfare roles, whose services' cases a role may see only in part
    # (Service.staff_scope): their figures are on child welfare's own page.
    "insight:applications": page(STAFF - {"director", "childworker"}),
    # A domain's own figures (insight.registry), through social assistance's: the casework
    # roles (each domain names its own; tests/<domain>/test_figures.py try the others).
    "insight:domain": page(CASEWORK_STAFF, fixed={"code": "assistance"}),
    # Decision-support scenarios: approvers and supervisors, each of their own area (an empty
    # form is answered with its errors, 400; tests/insight/test_scenarios.py).
    "insight:scenarios": page(SUPERVISING),
    "insight:scenario-new": Row(get=rule(SUPERVISING), post=rule(SUPERVISING, 400)),
    "insight:scenario-compare": page(SUPERVISING),
    "insight:scenario": page(SUPERVISING, sample="scenario"),
    "insight:scenario-print": page(SUPERVISING, sample="scenario"),
    "imports:review": Row(
        sample="candidate", get=rule(CASEWORK_STAFF), post=rule(CASEWORK_STAFF, 400)
    ),
    # ------------------------------------------------------------------ portal and accounts
    "portal:home": PUBLIC_PAGE,
    "portal:accessibility": PUBLIC_PAGE,
    "portal:preferences": Row(get=wrong_method(anonymous=405), post=rule(EVERYONE, 302)),
    "set_language": Row(get=wrong_method(anonymous=405), post=rule(EVERYONE, 302)),
    "accounts:signup": Row(
        get=rule({"anonymous"}, others=302), post=rule({"anonymous"}, others=302)
    ),
    "accounts:login": Row(
        get=rule({"anonymous"}, others=302), post=rule({"anonymous"}, others=302)
    ),
    "accounts:logout": Row(get=wrong_method(anonymous=405), post=rule(EVERYONE, 302)),
    "accounts:profile": Row(get=rule(SIGNED_IN), post=rule(SIGNED_IN)),
    "accounts:password-change": Row(get=rule(SIGNED_IN), post=rule(SIGNED_IN)),
    # The test clients have passed the second factor (tests.auth.sign_in): these pages send
    # everyone on; staff who have not are tested in tests/test_second_factor.py.
    "accounts:second-factor": Row(get=rule(SIGNED_IN, 302), post=rule(SIGNED_IN, 302)),
    "accounts:second-factor-setup": Row(get=rule(SIGNED_IN, 302), post=rule(SIGNED_IN, 302)),
    # A new set of recovery codes: staff only; anyone else is sent to the home page.
    "accounts:recovery-codes": Row(
        get=rule(STAFF, 200, others=302), post=rule(STAFF, 302, others=302)
    ),
    # ------------------------------------------------------------------ the citizen's cases
    "cases:my-cases": page(SIGNED_IN),
    "cases:case-detail": page(SIGNED_IN, sample="citizen_case", post=wrong_method()),
    "cases:case-withdraw": Row(
        sample="citizen_case",
        get=rule(SIGNED_IN),
        post=rule(SIGNED_IN, 302),
    ),
    "cases:document-upload": action(SIGNED_IN, 400, sample="citizen_case"),
    "cases:document-download": page(SIGNED_IN, sample="citizen_document"),
    "cases:inbox": page(SIGNED_IN),
    "cases:inbox-read": action(PERSONS),
    # ------------------------------------------------------------------ payments to the bank
    # The casework roles; a batch is its county's (and those above), an account or a held
    # payment also its township's.
    "benefits:batches": page(CASEWORK_STAFF),
    "benefits:held": page(CASEWORK_STAFF),
    "benefits:batch-prepare": action(CASEWORK_STAFF),
    "benefits:batch": page(CASEWORK_STAFF, sample="batch"),
    "benefits:batch-approve": action(SUPERVISING, sample="batch", reads=CASEWORK_STAFF),
    "benefits:batch-cancel": action(CASEWORK_STAFF, sample="batch"),
    "benefits:batch-export": action(CASEWORK_STAFF, sample="batch"),
    "benefits:batch-results": action(CASEWORK_STAFF, sample="batch"),
    "benefits:account": Row(
        sample="entitlement", get=rule(CASEWORK_STAFF), post=rule(CASEWORK_STAFF, 400)
    ),
    "benefits:payment-retry": action(CASEWORK_STAFF, sample="payment"),
    # ------------------------------------------------------------------ staff: cases
    "casework:queue-mine": page(STAFF),
    "casework:queue-office": page(STAFF),
    "casework:claim-next": action(STAFF),
    "casework:bulk-assign": action(SUPERVISING, reads=STAFF),
    "casework:case-detail": page(STAFF, sample="case"),
    "casework:case-transition": action(STAFF, sample="case", fixed={"name": transition_name}),
    # The cases sit at township offices: the city's supervisor hands them out, not the
    # county's approver (who hands out their own office's).
    "casework:case-assign": action(SUPERVISES_TOWNSHIP, sample="case", reads=STAFF),
    # Taking a case: the staff of the office handling it (the samples are nobody's yet): the
    # township's caseworker, the registry's registrar, the child's director.
    "casework:case-claim": action(
        {"caseworker", "caseworker_xixia", "registrar", "director"}, sample="case", reads=STAFF
    ),
    # Giving it back: only its assignee.
    "casework:case-release": action({"caseworker"}, sample="taken_case", reads=STAFF),
    "casework:case-priority": action(SUPERVISES_TOWNSHIP, 400, sample="case", reads=STAFF),
    "casework:case-note": action(STAFF, 400, sample="case"),
    "casework:document-upload": action(STAFF, 400, sample="case"),
    "casework:document-download": page(STAFF, sample="document"),
    # ------------------------------------------------------------------ staff: people
    "staff:workspace": page(STAFF),
    # A search may be POSTed (so that an ID number stays out of the access log).
    "staff:person-list": Row(get=rule(STAFF), post=rule(STAFF)),
    "staff:person-detail": page(STAFF, sample="person"),
    # The reveal permission: the administrator (registrars print certificates with full ID
    # numbers through their role at the registry, not through this permission).
    "staff:person-reveal": action({"admin"}, 200, sample="person", reads=STAFF),
    "staff:person-history": page(STAFF, sample="person"),
    # Writing the register is for the casework roles in their jurisdiction (issue #16 item 9):
    # a registrar or child-welfare worker of the area is refused (403) before any look-up. An
    # empty form is answered with its errors (400).
    "staff:person-register": Row(get=rule(CASEWORK_STAFF), post=rule(CASEWORK_STAFF, 400)),
    "staff:person-correct": Row(
        sample="person", get=rule(CASEWORK_STAFF), post=rule(CASEWORK_STAFF, 400)
    ),
    "staff:person-duplicates": page(CASEWORK_STAFF, sample="person"),
    "staff:person-merge": Row(
        sample="person_pair",
        fixed={"other": lambda sample: sample.obj.other.pk},
        get=rule(CASEWORK_STAFF),
        post=rule(CASEWORK_STAFF, 400),
    ),
    "staff:household-new": Row(
        sample="person", get=rule(CASEWORK_STAFF), post=rule(CASEWORK_STAFF, 400)
    ),
    "staff:household-detail": page(CASEWORK_STAFF, sample="household"),
    "staff:household-add-member": action(CASEWORK_STAFF, 400, sample="household"),
    "staff:household-end-member": action(CASEWORK_STAFF, 400, sample="household"),
    # ------------------------------------------------------------------ social assistance
    "assistance:apply-dibao": Row(
        get=rule(PERSONS, others=302), post=rule(PERSONS, 302, others=302)
    ),
    "assistance:apply-tekun": Row(
        get=rule(PERSONS, others=302), post=rule(PERSONS, 302, others=302)
    ),
    "assistance:apply-linshi": Row(
        get=rule(PERSONS, others=302), post=rule(PERSONS, 302, others=302)
    ),
    "assistance:application-step": Row(
        sample="draft", fixed={"step": 1}, get=rule(SIGNED_IN), post=rule(SIGNED_IN)
    ),
    "assistance:notices": PUBLIC_PAGE,
    "assistance:objection": Row(sample="notice", get=rule(EVERYONE), post=rule(EVERYONE)),
    # Only a social-assistance case has the check: another service's case is not found here.
    "assistance:economic-check": action(
        STAFF,
        sample="case",
        cells=dict.fromkeys(
            (
                ("supervisor", "marriage"),
                ("registrar", "marriage"),
                ("admin", "marriage"),
                ("childworker", "child"),
                ("director", "child"),
                ("admin", "child"),
            ),
            404,
        ),
    ),
    "assistance:assisted-start": Row(
        sample="person", key="person_pk", get=rule(STAFF), post=rule(STAFF, 302)
    ),
    # Disaster relief: the casework staff of the area read an event (only their part of it)
    # and record relief there; a county's or city's approver or supervisor records an event
    # and counts it again (a township caseworker reads it: 403). An empty form: its errors
    # (400, or said on the page it returns to). tests/assistance/test_disaster.py.
    "assistance:disasters": page(CASEWORK_STAFF),
    "assistance:disaster-new": Row(get=rule(SUPERVISING), post=rule(SUPERVISING, 400)),
    "assistance:disaster": page(CASEWORK_STAFF, sample="disaster"),
    "assistance:disaster-count": action(
        SUPERVISING, sample="disaster", reads={"caseworker", "caseworker_xixia"}
    ),
    "assistance:disaster-end": action(
        SUPERVISING, sample="disaster", reads={"caseworker", "caseworker_xixia"}
    ),
    "assistance:disaster-add-places": Row(
        sample="disaster",
        get=rule(SUPERVISING, reads={"caseworker", "caseworker_xixia"}),
        post=rule(SUPERVISING, 400, reads={"caseworker", "caseworker_xixia"}),
    ),
    "assistance:disaster-place": page(
        CASEWORK_STAFF, sample="disaster", fixed={"code": _event_place}
    ),
    "assistance:disaster-give": action(
        CASEWORK_STAFF, sample="disaster", fixed={"code": _event_place}
    ),
    "assistance:disaster-open-cases": action(
        CASEWORK_STAFF, sample="disaster", fixed={"code": _event_place}
    ),
    "assistance:disaster-correct": action(
        CASEWORK_STAFF, sample="relief", key="relief_pk", fixed={"pk": lambda s: s.obj.event_id}
    ),
    # ------------------------------------------------------------------ elder care: citizens
    "eldercare:home": Row(get=rule(EVERYONE), post=wrong_method(anonymous=405)),
    "eldercare:book": Row(get=rule(SIGNED_IN, 302), post=wrong_method()),
    "eldercare:book-step": Row(
        fixed={"step": "who"},
        get=rule(PERSONS, others=302),
        post=rule(PERSONS, others=302),
    ),
    "eldercare:booking-list": page(SIGNED_IN),
    "eldercare:booking-detail": Row(sample="booking", get=rule(SIGNED_IN), post=wrong_method()),
    "eldercare:booking-cancel": Row(
        sample="booking", get=rule(SIGNED_IN), post=rule(SIGNED_IN, 302)
    ),
    "eldercare:booking-rate": Row(
        sample="booking", get=rule(SIGNED_IN, 302), post=rule(SIGNED_IN, 302)
    ),
    "eldercare:family": Row(get=rule(SIGNED_IN), post=rule(SIGNED_IN)),
    "eldercare:family-answer": action(SIGNED_IN, sample="link", cells={("family", "mine"): 404}),
    "eldercare:family-end": action(SIGNED_IN, sample="link"),
    "eldercare:careplan-apply": Row(get=rule(PERSONS, others=302), post=rule(PERSONS, others=302)),
    "eldercare:invitation": Row(
        sample="invitation", get=rule(SIGNED_IN), post=rule(SIGNED_IN, 302)
    ),
    "eldercare:institution-list": Row(get=rule(EVERYONE), post=wrong_method(anonymous=405)),
    "eldercare:institution-detail": Row(
        sample="institution", get=rule(EVERYONE), post=wrong_method(anonymous=405)
    ),
    # ------------------------------------------------------------------ elder care: providers
    "eldercare:institution-occupancy": Row(
        sample="institution_for_update",
        get=rule(CASEWORK_STAFF | {"provider"}),
        post=rule(CASEWORK_STAFF | {"provider"}),
    ),
    "eldercare:provider-bookings": page({"provider"}),
    "eldercare:provider-booking": page({"provider"}, sample="provider_booking"),
    "eldercare:provider-booking-action": action(
        {"provider"}, sample="provider_booking", fixed={"action": "accept"}
    ),
    "eldercare:provider-ratings": page({"provider"}),
    "eldercare:provider-workers": Row(get=rule({"provider"}), post=rule({"provider"})),
    "eldercare:provider-worker-active": action({"provider"}, sample="worker"),
    # ------------------------------------------------------------------ elder care: staff
    "eldercare:staff-overview": page(CASEWORK_STAFF),
    "eldercare:staff-bookings": page(CASEWORK_STAFF),
    "eldercare:staff-links": page(CASEWORK_STAFF),
    "eldercare:staff-link-confirm": action(CASEWORK_STAFF, sample="pending_link"),
    "eldercare:staff-alerts": page(CASEWORK_STAFF),
    "eldercare:staff-alert-handle": action(CASEWORK_STAFF, sample="elder_alert"),
    "eldercare:staff-institutions": page(CASEWORK_STAFF),
    # Providers with the ratings of the area's elders: another county's provider is 404.
    "eldercare:staff-providers": page(CASEWORK_STAFF),
    "eldercare:staff-provider": page(CASEWORK_STAFF, sample="staff_provider"),
    # The full numbers to call, for the staff who may record the visit (a caseworker or a
    # supervisor of the area; the county approver reads the case but does not go).
    "eldercare:staff-visit-phone": action(
        {"caseworker", "caseworker_xixia", "supervisor", "admin"},
        200,
        sample="visit",
        reads=CASEWORK_STAFF,
    ),
    "eldercare:careplan-assisted": Row(
        sample="person",
        key="person_pk",
        get=rule(CASEWORK_STAFF),
        post=rule(CASEWORK_STAFF, 302),
    ),
    "eldercare:allowance-assisted": Row(
        sample="person",
        key="person_pk",
        get=rule(CASEWORK_STAFF),
        post=rule(CASEWORK_STAFF, 302),
    ),
    "eldercare:plan-edit": Row(sample="plan", get=rule(CASEWORK_STAFF), post=rule(CASEWORK_STAFF)),
    # A device platform's endpoint: its bearer token, not a login (none here: 401).
    "eldercare:api-readings": Row(
        get=wrong_method(anonymous=405), post=rule(frozenset(), others=401, anonymous=401)
    ),
    # ------------------------------------------------------------------ organizations: public
    "orgs:register": PUBLIC_PAGE,
    "orgs:register-detail": Row(
        sample="org_public", get=rule(EVERYONE), post=wrong_method(anonymous=405)
    ),
    "orgs:needs-public": PUBLIC_PAGE,
    "orgs:ledger": PUBLIC_PAGE,
    # ------------------------------------------------------------------ organizations' accounts
    "orgs:my-orgs": page(SIGNED_IN),
    "orgs:my-org": Row(sample="my_org", get=rule(SIGNED_IN), post=wrong_method()),
    "orgs:change-start": action(SIGNED_IN, sample="my_org", fixed={"kind": "change"}),
    "orgs:report-start": action(SIGNED_IN, sample="my_org"),
    "orgs:establish-start": Row(get=rule(PERSONS, others=302), post=rule(PERSONS, others=302)),
    "orgs:application-edit": Row(
        sample="org_application", get=rule(SIGNED_IN), post=rule(SIGNED_IN)
    ),
    "orgs:application-document": action(SIGNED_IN, sample="org_application"),
    "orgs:application-submit": action(SIGNED_IN, sample="org_application"),
    # The demo's report has been sent: no longer the organization's to change.
    "orgs:report-edit": Row(sample="org_report", get=rule(SIGNED_IN), post=rule(SIGNED_IN, 403)),
    "orgs:report-document": action(SIGNED_IN, sample="org_report"),
    "orgs:report-submit": action(SIGNED_IN, sample="org_report"),
    # ------------------------------------------------------------------ charity: the needing side
    "orgs:charity-home": page(NEEDING_SIDE),
    # The administrator runs no office and no organization: no project of theirs to start.
    "orgs:project-new": Row(
        get=rule(NEEDING_SIDE - {"admin"}), post=rule(NEEDING_SIDE - {"admin"})
    ),
    "orgs:need-new": Row(get=rule(NEEDING_SIDE), post=rule(NEEDING_SIDE)),
    "orgs:need-detail": page(SIGNED_IN, sample="need"),
    "orgs:need-propose": action(SIGNED_IN, sample="need"),
    "orgs:need-close": action(SIGNED_IN, sample="need"),
    "orgs:match-accept": action(SIGNED_IN, sample="match"),
    "orgs:match-decline": action(SIGNED_IN, sample="match"),
    "orgs:match-close": action(SIGNED_IN, sample="match_either"),
    "orgs:match-delivery": action(SIGNED_IN, sample="match_either"),
    "orgs:delivery-confirm": action(SIGNED_IN, sample="delivery"),
    # ------------------------------------------------------------------ charity: donors
    "orgs:offer-new": Row(get=rule(SIGNED_IN), post=rule(SIGNED_IN)),
    "orgs:my-donations": page(SIGNED_IN),
    "orgs:offer-detail": page(SIGNED_IN, sample="offer"),
    "orgs:offer-withdraw": action(SIGNED_IN, sample="offer"),
    # ------------------------------------------------------------------ the registration authority
    # Staff lists show what their authority registered (nothing, for a township office or a
    # registrar); an organization of another authority is answered 404 (orgs.queries).
    "orgs:staff-orgs": page(CASEWORK_STAFF),
    "orgs:staff-late": page(CASEWORK_STAFF),
    "orgs:staff-org": page(CASEWORK_STAFF, sample="staff_org"),
    "orgs:staff-org-status": action(CASEWORK_STAFF, 400, sample="staff_org"),
    "orgs:staff-org-charity": action(CASEWORK_STAFF, 400, sample="staff_org"),
    "orgs:staff-org-account": action(CASEWORK_STAFF, 400, sample="staff_org"),
    # ------------------------------------------------------------------ marriage: citizens
    # Pages of a person's own: an account with no person bound is sent home with a message.
    "marriage:my": Row(get=rule(PERSONS, others=302), post=wrong_method()),
    "marriage:book-registration": Row(
        get=rule(PERSONS, others=302), post=rule(PERSONS, 404, others=302)
    ),
    "marriage:book-divorce": Row(
        get=rule(PERSONS, others=302), post=rule(PERSONS, 404, others=302)
    ),
    "marriage:book-collection": Row(
        sample="divorce", get=rule(SIGNED_IN), post=rule(SIGNED_IN, 404)
    ),
    "marriage:refusal-letter": page(SIGNED_IN, sample="marriage_refusal"),
    "marriage:appointment-confirm": Row(
        sample="appointment", get=rule(SIGNED_IN), post=rule(SIGNED_IN, 400)
    ),
    "marriage:appointment-change": Row(
        sample="appointment", get=rule(SIGNED_IN), post=rule(SIGNED_IN, 404)
    ),
    "marriage:appointment-cancel": Row(
        sample="appointment", get=rule(SIGNED_IN), post=rule(SIGNED_IN)
    ),
    # ------------------------------------------------------------------ marriage: registrars
    "marriage:staff-appointments": page(REGISTRARS),
    "marriage:counter": page(REGISTRARS, sample="registry_application"),
    "marriage:counter-check-in": action(REGISTRARS, sample="registry_application"),
    "marriage:staff-refusal-letter": page(REGISTRARS, sample="registry_refusal"),
    "marriage:certificate": page(REGISTRARS, sample="certificate"),
    "marriage:replacement": Row(get=rule(REGISTRARS), post=rule(REGISTRARS, 302)),
    "marriage:statistics": page(REGISTRARS | {"supervisor"}),
    # ------------------------------------------------------------------ child welfare: staff
    "childwelfare:home": page(STAFF),
    "childwelfare:child-list": page(STAFF),
    "childwelfare:child-detail": page(STAFF, sample="child"),
    "childwelfare:child-edit": Row(sample="child", get=rule(STAFF), post=rule(STAFF)),
    "childwelfare:child-category": Row(sample="child", get=rule(STAFF), post=rule(STAFF)),
    "childwelfare:child-director": Row(sample="child", get=rule(STAFF), post=rule(STAFF)),
    "childwelfare:child-parents": Row(
        sample="child",
        get=rule(STAFF),
        # A child with no parents on record has no form to fill: back to the record.
        post=rule(STAFF, cells={("admin", "there"): 302}),
    ),
    "childwelfare:guardian-add": Row(sample="child", get=rule(STAFF), post=rule(STAFF)),
    "childwelfare:visit-new": Row(sample="child", get=rule(STAFF), post=rule(STAFF)),
    "childwelfare:allowance-apply": action(STAFF, sample="child"),
    "childwelfare:guardian-end": action(STAFF, sample="guardian"),
    "childwelfare:item-update": action(STAFF, sample="item"),
    "childwelfare:report-find": Row(get=rule(STAFF), post=rule(STAFF)),
    "childwelfare:report-person": Row(
        sample="person", key="person_pk", get=rule(STAFF), post=rule(STAFF)
    ),
    "childwelfare:alert-list": page(STAFF),
    "childwelfare:alert-resolve": Row(sample="child_alert", get=rule(STAFF), post=rule(STAFF)),
    "childwelfare:resource-list": page(STAFF),
    # ------------------------------------------------------------------ child welfare: guardians
    "childwelfare:my-children": page(SIGNED_IN),
    "childwelfare:my-child": page(SIGNED_IN, sample="my_child"),
}


def check_row(runner: Runner, url, row: Row, samples) -> list:
    paths = paths_for(url, row, samples)
    return runner.run("GET", row.get, paths) + runner.run("POST", row.post, paths)


URLS = {u.name: u for u in site_urls() if u.name and not is_admin(u)}


@pytest.fixture(scope="module")
def matrix(world, django_db_blocker, tmp_path_factory):
    """The rows each URL is tried with and a signed-in client per role, made once for the
    module in a savepoint of the world's transaction (rolled back when the module is done);
    uploads go to a private root of the module's own."""
    root = tmp_path_factory.mktemp("private")
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(STORAGES=storages, PRIVATE_MEDIA_ROOT=root, PASSWORD_HASHERS=fast),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            users = {**world.users, "anonymous": None}
            samples = matrix_samples.build(users)
            with connection.cursor() as cur:
                # The demo world is one uncommitted transaction, which autovacuum never
                # analyses: without statistics the planner takes every table for empty and
                # picks plans (nested loops through the person indexes) that take minutes on
                # the demo's thousands of rows. ANALYZE counts this transaction's own rows.
                cur.execute("ANALYZE")
            yield samples, Runner({role: users[role] for role in ROLES})
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_every_url_of_the_site_has_a_row():
    unnamed = [u.route for u in site_urls() if not u.name and not is_admin(u)]
    assert not unnamed, f"URL patterns without a name (name them, then add a row): {unnamed}"
    missing = [f"{name} ({URLS[name].route})" for name in sorted(set(URLS) - set(TABLE))]
    assert not missing, (
        "URLs with no row in test_access_matrix.TABLE: add one saying who may open each "
        f"and what the others get: {missing}"
    )
    stale = sorted(set(TABLE) - set(URLS))
    assert not stale, f"rows of TABLE for URLs the site no longer has: {stale}"


def test_every_url_with_an_object_is_tried_with_one_someone_may_open(matrix, db):
    samples, _runner = matrix
    never = []
    for name, row in TABLE.items():
        if row.sample is None:
            continue
        insiders = set().union(*(s.inside for s in samples.of(row.sample).values()))
        if not insiders & (row.get.may | row.post.may):
            never.append(name)
    # The device platforms' endpoint aside (its token, not a role, lets a platform in).
    assert never == []


@pytest.mark.parametrize("name", sorted(URLS))
def test_every_role_gets_the_answer_the_table_gives(name, matrix, db):
    samples, runner = matrix
    row = TABLE.get(name)
    if row is None:
        pytest.fail(f"{name} ({URLS[name].route}) has no row in TABLE: add one")
    wrong = [c for c in check_row(runner, URLS[name], row, samples) if c.got != c.expected]
    assert not wrong, "\n".join(map(str, wrong))


# ----------------------------------------------------------------------------- the Django admin
# Covered by pattern: every URL under /admin/ is the administrator's alone; everyone else is sent
# to the admin's own login page (which itself answers everyone). Every model's list and one of
# its rows are opened by the administrator.


# The two admin URLs that do not send a visitor without admin rights to the admin's login.
ADMIN_ANSWERS = {
    "admin:login": 200,  # the login form itself (with a note for a signed-in user)
    "admin:logout": 302,  # to the admin's index (which then asks for the login)
}


def admin_paths() -> list[tuple[str, str]]:
    """(URL name or route, a path) for every pattern of the admin, its kwargs filled with 1."""
    apps = sorted({model._meta.app_label for model in admin.site._registry})
    out = []
    for url in site_urls():
        if not is_admin(url):
            continue
        if url.name == "admin:app_list":
            out += [(url.name, reverse(url.name, args=[app])) for app in apps]
        elif url.route.endswith("(?P<url>.*)$"):
            out.append((url.route, "/admin/no-such-page/"))
        elif url.positional:  # simple_history's pages of one version: ^(id)/history/(id)/$
            out.append((url.name, reverse(url.name, args=["1"] * url.positional)))
        elif url.name:
            out.append((url.name, reverse(url.name, kwargs=dict.fromkeys(url.kwargs, "1"))))
        else:
            out.append((url.route, url.route.replace("<path:object_id>", "1")))
    return out


def test_the_admin_sends_everyone_but_the_administrator_to_its_login(matrix, db):
    _samples, runner = matrix
    wrong = []
    for role in ROLES:
        if role == "admin":
            continue
        for name, path in admin_paths():
            methods = ("GET", "POST") if name.endswith("_delete") else ("GET",)
            for method in methods:
                expected = ADMIN_ANSWERS.get(name, ADMIN_LOGIN)
                got = answer(runner.ask(role, method, path))
                if got != expected:
                    wrong.append(f"{method} {path} [{role}]: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_the_administrator_opens_every_list_and_a_row_of_every_model(matrix, db):
    _samples, runner = matrix
    wrong, opened = [], set()
    paths = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))
            opened.add(meta.app_label)
    for path in paths:
        got = answer(runner.ask("admin", "GET", path))
        if got != 200:
            wrong.append(f"GET {path} [admin]: expected 200, got {got}")
    assert not wrong, "\n".join(wrong)
    # Every app of the admin has at least one row opened (the world has rows of each).
    assert opened == {model._meta.app_label for model in admin.site._registry}


def test_a_rule_gives_each_cell_one_answer():
    """How the table's rules read (no request made): inside, outside, refused, others."""
    case_page = rule({"caseworker"}, reads={"approver"}, cells={("caseworker", "odd"): 302})
    inside = frozenset({"caseworker", "approver"})
    assert case_page.expect("caseworker", "here", inside) == 200
    assert case_page.expect("caseworker", "there", frozenset()) == 404
    assert case_page.expect("approver", "here", inside) == 403
    assert case_page.expect("approver", "there", frozenset()) == 404
    assert case_page.expect("citizen", "here", inside) == 403
    assert case_page.expect("anonymous", "here", inside) == LOGIN
    assert case_page.expect("caseworker", "odd", inside) == 302
    assert wrong_method().expect("citizen", None, None) == 405
    assert wrong_method().expect("anonymous", None, None) == LOGIN

"""The legal checks the registry runs at the counter, each with its result and its reason.

A check says "pass", "fail" (the registration is refused for this reason) or "refer" (a person
must look: the registration is stopped for review). Results are plain dicts so they can be
stored on the application and shown to the registrar exactly as they were when decided; each
keeps its name and reason in every language of the site ("texts"), and `shown()` reads them
back in the reader's. The checks are built once per language (the records adapter is asked
once per language: an adapter to another department's system answers from what it fetched
for the first).
"""

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from civilaffairs.people.models import Membership, Person

from .adapters import RecordsAdapter, get_adapter
from .models import MIN_AGE, MarriageApplication

PASS, FAIL, REFER = "pass", "fail", "refer"


@dataclass
class Check:
    code: str
    label: str
    outcome: str
    reason: str
    refusal: str = ""  # the MarriageApplication.Refusal a failure leads to

    def as_dict(self):
        return asdict(self)


def in_languages(build) -> list[dict]:
    """The checks `build()` makes, as dicts in the current language, each with its label and
    reason in every language of the site ("texts")."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    built = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            built[code] = [c.as_dict() for c in build()]
    results = built.get(current) or built[settings.LANGUAGE_CODE]
    for i, check in enumerate(results):
        check["texts"] = {
            code: {"label": checks[i]["label"], "reason": checks[i]["reason"]}
            for code, checks in built.items()
        }
    return results


def overall(checks: list[dict]) -> str:
    outcomes = {c["outcome"] for c in checks}
    if FAIL in outcomes:
        return FAIL
    if REFER in outcomes:
        return REFER
    return PASS


def first_failure(checks: list[dict]) -> dict | None:
    return next((c for c in checks if c["outcome"] == FAIL), None)


def _identity(person: Person, adapter: RecordsAdapter) -> Check:
    result = adapter.verify_identity(person)
    return Check(
        f"identity-{person.pk}",
        _("Identity of %(name)s") % {"name": person.name},
        PASS if result.ok else FAIL,
        f"{result.reason} ({result.source})" if result.source else result.reason,
        "" if result.ok else MarriageApplication.Refusal.IDENTITY,
    )


def _age(person: Person, on: dt.date) -> Check:
    minimum = MIN_AGE[person.sex]
    age = person.age_on(on)
    sex = _("men") if person.sex == Person.Sex.MALE else _("women")
    if age >= minimum:
        return Check(
            f"age-{person.pk}",
            _("Legal age of %(name)s") % {"name": person.name},
            PASS,
            _("%(age)d years old on %(day)s; the minimum for %(sex)s is %(min)d.")
            % {"age": age, "day": on.isoformat(), "sex": sex, "min": minimum},
        )
    return Check(
        f"age-{person.pk}",
        _("Legal age of %(name)s") % {"name": person.name},
        FAIL,
        _(
            "%(name)s is %(age)d years old on %(day)s; %(sex)s may marry from %(min)d "
            "(Civil Code Art. 1047)."
        )
        % {"name": person.name, "age": age, "day": on.isoformat(), "sex": sex, "min": minimum},
        MarriageApplication.Refusal.UNDER_AGE,
    )


def _not_married(person: Person, adapter: RecordsAdapter) -> Check:
    """Married according to the marriage records or the master record: either is enough to
    stop (the master record may know of a marriage registered before the portal existed)."""
    label = _("%(name)s is not married") % {"name": person.name}
    info = adapter.current_marriage_of(person)
    if info is not None:
        return Check(
            f"married-{person.pk}",
            label,
            FAIL,
            _(
                "%(name)s is married to %(spouse)s since %(day)s (certificate %(number)s, "
                "source: %(source)s). Bigamy is prohibited (Civil Code Art. 1042, 1051)."
            )
            % {
                "name": person.name,
                "spouse": info.spouse_name,
                "day": info.registered_on.isoformat() if info.registered_on else "?",
                "number": info.certificate_number or "?",
                "source": info.source,
            },
            MarriageApplication.Refusal.MARRIED,
        )
    if person.marital_status == Person.MaritalStatus.MARRIED:
        return Check(
            f"married-{person.pk}",
            label,
            FAIL,
            _(
                "The person master record shows %(name)s as married; no divorce or death of a "
                "spouse is recorded (Civil Code Art. 1042, 1051)."
            )
            % {"name": person.name},
            MarriageApplication.Refusal.MARRIED,
        )
    return Check(
        f"married-{person.pk}",
        label,
        PASS,
        _("No marriage in force in the marriage records; master record: %(status)s.")
        % {"status": person.get_marital_status_display()},
    )


def _sexes(a: Person, b: Person) -> Check:
    if a.sex != b.sex:
        return Check("sexes", _("A man and a woman"), PASS, _("One man and one woman."))
    return Check(
        "sexes",
        _("A man and a woman"),
        FAIL,
        _("Marriage is registered between a man and a woman (Civil Code Art. 1049)."),
        MarriageApplication.Refusal.SAME_SEX,
    )


R = Membership.Relation
# Relations to the household head that mean a blood line to the head (generations: + above).
_GEN = {R.HEAD: 0, R.SON: -1, R.DAUGHTER: -1, R.GRANDCHILD: -2, R.PARENT: 1, R.GRANDPARENT: 2}


def relation_between(ra: str, rb: str) -> tuple[str, str] | None:
    """What two relations to the same head say about the two people: ("prohibited", why) when
    the data show direct blood relatives or collateral relatives within three generations,
    ("unclear", why) when a blood relation is possible but the data cannot tell, else None.
    """
    pair = {ra, rb}
    if R.NON_RELATIVE in pair:
        return None
    if R.OTHER_RELATIVE in pair:
        return ("unclear", _("one is recorded only as “other relative” of the head"))
    if R.SPOUSE in pair:
        other = rb if ra == R.SPOUSE else ra
        if other in (R.SPOUSE, R.HEAD):
            return None
        if other == R.SIBLING:
            return None  # the head's spouse and the head's sibling: in-laws
        # The head's spouse and the head's child, grandchild, parent: a parent or a step-parent.
        return ("unclear", _("the head's spouse may be a parent or a step-parent of the other"))
    if ra == rb and ra in (R.PARENT, R.GRANDPARENT, R.HEAD):
        return None  # the head's parents (or grandparents): normally each other's spouse
    if R.SIBLING in pair:
        other = rb if ra == R.SIBLING else ra
        if other == R.SIBLING:
            return ("prohibited", _("both are siblings of the head: siblings or half-siblings"))
        if other == R.HEAD:
            return ("prohibited", _("siblings"))
        if other in (R.SON, R.DAUGHTER):
            return ("prohibited", _("uncle or aunt and nephew or niece"))
        if other in (R.PARENT, R.GRANDPARENT):
            return ("prohibited", _("parent (or grandparent) and child"))
        if other == R.GRANDCHILD:
            return None  # four generations apart from the common ancestor
    ga, gb = _GEN.get(ra), _GEN.get(rb)
    if ga is None or gb is None:
        return None
    if ra == R.HEAD or rb == R.HEAD:
        return ("prohibited", _("direct blood relatives (parent, child or grandparent)"))
    if (ga > 0) != (gb > 0) or ga == 0 or gb == 0:
        # One above the head and one below: a lineal line through the head.
        return ("prohibited", _("direct blood relatives through the head"))
    if ga < 0 and gb < 0:
        if ga == gb == -1:
            return ("prohibited", _("siblings (both children of the head)"))
        if ga == gb == -2:
            return ("prohibited", _("siblings or first cousins (both grandchildren of the head)"))
        return ("prohibited", _("parent and child, or uncle or aunt and nephew or niece"))
    # Both above the head (parent and grandparent): parent and child.
    return ("prohibited", _("direct blood relatives (parent and grandparent of the head)"))


def _relation(a: Person, b: Person) -> Check:
    """Art. 1048 from the household data: every household both have belonged to, now or
    before, and their recorded relations to its head."""
    rows = list(
        Membership.objects.filter(person__in=[a, b])
        .select_related("household__head")
        .order_by("household_id", "person_id")
    )
    by_house: dict[int, dict[int, Membership]] = {}
    for m in rows:
        by_house.setdefault(m.household_id, {})[m.person_id] = m
    label = _("No prohibited kinship")
    findings = []
    worst = None
    for members in by_house.values():
        if a.pk not in members or b.pk not in members:
            continue
        ma, mb = members[a.pk], members[b.pk]
        found = relation_between(ma.relation, mb.relation)
        if found is None:
            continue
        kind, why = found
        worst = "prohibited" if kind == "prohibited" else (worst or "unclear")
        head = ma.household.head.name if ma.household.head else "?"
        findings.append(
            _(
                "In the household of %(head)s, %(a)s is recorded as “%(ra)s” and %(b)s as "
                "“%(rb)s”: %(why)s."
            )
            % {
                "head": head,
                "a": a.name,
                "ra": ma.get_relation_display(),
                "b": b.name,
                "rb": mb.get_relation_display(),
                "why": why,
            }
        )
    if not findings:
        return Check(
            "relation",
            label,
            PASS,
            _("The household records show no kinship between the parties; both declare none."),
        )
    lead = (
        _(
            "Stopped for review: the master record shows a prohibited relation (Civil Code Art. 1048)."
        )
        if worst == "prohibited"
        else _("Stopped for review: the master record shows a possible blood relation.")
    )
    return Check(
        "relation",
        label,
        REFER,
        " ".join([lead, *findings]),
        MarriageApplication.Refusal.RELATION,
    )


def registration_checks(a: Person, b: Person, on: dt.date, adapter=None) -> list[dict]:
    """Everything the law asks before a marriage is registered (Civil Code Art. 1046-1051;
    Marriage Registration Regulations 2025): identity, age, not married, one man and one
    woman, no prohibited kinship."""
    adapter = adapter or get_adapter()
    return in_languages(
        lambda: [
            _identity(a, adapter),
            _identity(b, adapter),
            _sexes(a, b),
            _age(a, on),
            _age(b, on),
            _not_married(a, adapter),
            _not_married(b, adapter),
            _relation(a, b),
        ]
    )


def divorce_checks(a: Person, b: Person, adapter=None) -> list[dict]:
    """Before a divorce application is received and before the certificate is issued: both
    identities, and a marriage in force between exactly these two people."""
    adapter = adapter or get_adapter()
    return in_languages(lambda: _divorce_checks(a, b, adapter))


def _divorce_checks(a: Person, b: Person, adapter) -> list[Check]:
    checks = [_identity(a, adapter), _identity(b, adapter)]
    info = adapter.current_marriage_of(a)
    label = _("Married to each other")
    if info is not None and info.spouse_person_id == b.pk:
        checks.append(
            Check(
                "marriage",
                label,
                PASS,
                _("Married since %(day)s, certificate %(number)s (%(source)s).")
                % {
                    "day": info.registered_on.isoformat() if info.registered_on else "?",
                    "number": info.certificate_number,
                    "source": info.source,
                },
            )
        )
    else:
        checks.append(
            Check(
                "marriage",
                label,
                FAIL,
                _(
                    "The marriage records hold no marriage in force between %(a)s and %(b)s; "
                    "divorce by agreement is registered only for a recorded marriage."
                )
                % {"a": a.name, "b": b.name},
                MarriageApplication.Refusal.NO_MARRIAGE,
            )
        )
    return checks

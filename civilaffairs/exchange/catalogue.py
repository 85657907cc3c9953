"""The data standard: every data element the portal shares, with its code lists.

One catalogue (《智慧民政数据标准手册》's part that this portal implements), served at
/standards/ and as JSON and CSV. An element's names come from the model field it publishes
(its verbose_name in each language) unless given here; its type from the API serializer field
that carries it. `tests/exchange/test_catalogue.py` fails when an API field has no element here
or a value goes out that its code list does not list.

Code lists are national standards where one exists; the portal stores some values in its own
form (sex as M/F, marital status as words) and the API sends the standard's codes (`to_code`).
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.confidentiality import Confidentiality

LANGS = ("zh-hans", "en")


@dataclass(frozen=True)
class CodeList:
    code: str
    name: str
    source: str
    # (code, label) in the standard's order; labels are lazy translations.
    values: tuple = ()
    # The stored value -> the standard's code, where the portal stores its own form.
    from_stored: dict = field(default_factory=dict)
    # Values are a table rather than a short list (regions): listed on their own download.
    table: str = ""

    def codes(self) -> set[str]:
        return {str(c) for c, _label in self.values}

    def to_code(self, stored):
        if stored is None or stored == "":
            return None
        return self.from_stored.get(stored, str(stored))


def _choices(model_label: str, field_name: str):
    model = apps.get_model(model_label)
    return tuple((str(v), label) for v, label in model._meta.get_field(field_name).choices)


def _programs():
    from civilaffairs.benefits.registry import all_programs

    return tuple((p.code, p.label) for p in all_programs())


def _case_states():
    from civilaffairs.casework.workflow import all_workflows

    seen = {}
    for wf in all_workflows().values():
        for state in wf.states.values():
            seen.setdefault(state.name, state.label)
    return tuple(sorted(seen.items()))


# Kinds of countable income another department may report (human resources and social
# security: wages, pensions, unemployment insurance; tax: business and property income).
INCOME_KINDS = (
    ("wages", _("Wages")),
    ("business", _("Net business income")),
    ("property", _("Property income (rent, interest)")),
    ("transfer", _("Transfers (pensions, maintenance)")),
    ("agriculture", _("Farming income")),
)


# The medical advice of a premarital check (母婴保健法 Art. 9-10; the check itself is voluntary
# since the 2003 marriage registration regulations).
PREMARITAL_ADVICE = (
    ("no_finding", _("No medical reason against marrying was found")),
    ("postpone", _("Advised to postpone the marriage")),
    ("not_to_bear", _("Advised not to have children")),
    ("measures", _("Advised to take medical measures")),
)


def code_lists() -> dict[str, CodeList]:
    """Built when asked (the registries fill as apps load; labels stay lazy)."""
    return {
        cl.code: cl
        for cl in (
            CodeList(
                "GB/T 2260",
                _("Administrative divisions"),
                "GB/T 2260-2007, with township (GB/T 10114) and village codes",
                table="regions",
            ),
            CodeList(
                "GB/T 2261.1",
                _("Sex"),
                "GB/T 2261.1-2003",
                values=(
                    ("0", _("Unknown")),
                    ("1", _("Male")),
                    ("2", _("Female")),
                    ("9", _("Not stated")),
                ),
                from_stored={"M": "1", "F": "2"},
            ),
            CodeList(
                "GB/T 2261.2",
                _("Marital status"),
                "GB/T 2261.2-2003",
                values=(
                    ("10", _("Never married")),
                    ("20", _("Married")),
                    ("30", _("Widowed")),
                    ("40", _("Divorced")),
                    ("90", _("Not stated")),
                ),
                from_stored={"unmarried": "10", "married": "20", "widowed": "30", "divorced": "40"},
            ),
            CodeList(
                "GB/T 4761",
                _("Relation to the head of household"),
                "GB/T 4761-2008",
                values=_choices("people.Membership", "relation"),
            ),
            CodeList(
                "GB/T 26341",
                _("Disability grade"),
                "GB/T 26341-2010 (0: none)",
                values=_choices("people.Person", "disability_grade"),
            ),
            CodeList(
                "document-type",
                _("Identity document type"),
                _("This portal"),
                values=_choices("people.Person", "id_type"),
            ),
            CodeList(
                "hukou-type",
                _("Household registration type"),
                _("This portal"),
                values=_choices("people.Household", "hukou_type"),
            ),
            CodeList("program", _("Benefit program"), _("This portal"), values=_programs()),
            CodeList(
                "premarital-advice",
                _("Premarital check advice"),
                _("Maternal and Infant Health Care Law, Art. 9-10"),
                values=PREMARITAL_ADVICE,
            ),
            CodeList(
                "income-kind",
                _("Kind of income"),
                _("This portal (income counted by the minimum living allowance rules)"),
                values=INCOME_KINDS,
            ),
            CodeList("case-state", _("Case state"), _("This portal"), values=_case_states()),
            CodeList(
                "confidentiality",
                _("Sensitivity class"),
                _("This portal (PIPL Art. 28 for sensitive data)"),
                values=tuple((str(v), label) for v, label in Confidentiality.choices),
            ),
        )
    }


@dataclass(frozen=True)
class Element:
    """One shared data element. `model_field` ("app.Model.field") names where it is kept;
    names come from there unless `name` is given."""

    code: str
    model_field: str = ""
    name: object = None
    format: str = ""
    code_list: str = ""
    sensitivity: int = Confidentiality.INTERNAL
    type: str = ""  # filled from the serializer field when the catalogue is built

    def names(self) -> dict[str, str]:
        label = self.name
        if label is None and self.model_field:
            app_model, field_name = self.model_field.rsplit(".", 1)
            label = apps.get_model(app_model)._meta.get_field(field_name).verbose_name
        out = {}
        for lang in LANGS:
            with translation.override(lang):
                out[lang] = str(label) if label is not None else self.code
        return out


ID = "GB 11643-1999: 18 characters, the last a check digit (0-9 or X)"
DATE = "ISO 8601 date, YYYY-MM-DD"
MONTH = "ISO 8601 month, YYYY-MM"
MONEY = "yuan, decimal with 2 places, as a string"
C = Confidentiality

ELEMENTS = (
    # A person (the master record).
    Element("person.id_number", "people.Person.id_number", format=ID, sensitivity=C.CONFIDENTIAL),
    Element("person.id_number_masked", name=_("ID number (masked)"), format=ID + "; masked"),
    Element("person.name", "people.Person.name", sensitivity=C.INTERNAL),
    Element("person.sex", "people.Person.sex", code_list="GB/T 2261.1"),
    Element("person.birth_date", "people.Person.birth_date", format=DATE),
    Element("person.ethnicity", "people.Person.ethnicity"),
    Element("person.hukou_region", "people.Person.hukou_region", code_list="GB/T 2260"),
    Element("person.residence_region", "people.Person.residence_region", code_list="GB/T 2260"),
    Element("person.marital_status", "people.Person.marital_status", code_list="GB/T 2261.2"),
    Element(
        "person.disability_grade",
        "people.Person.disability_grade",
        code_list="GB/T 26341",
        sensitivity=C.SENSITIVE,
    ),
    Element("person.date_of_death", "people.Person.date_of_death", format=DATE),
    Element("person.living", name=_("living"), format="true / false"),
    # A household.
    Element("household.region", "people.Household.region", code_list="GB/T 2260"),
    Element("household.hukou_type", "people.Household.hukou_type", code_list="hukou-type"),
    Element("household.members", name=_("members")),
    Element("member.name", "people.Person.name"),
    Element("member.id_number_masked", name=_("ID number (masked)"), format=ID + "; masked"),
    Element("member.relation", "people.Membership.relation", code_list="GB/T 4761"),
    Element("member.birth_date", "people.Person.birth_date", format=DATE),
    Element("member.since", "people.Membership.start_date", format=DATE),
    # Benefits (the ledger).
    Element("benefit.program", "benefits.Entitlement.program", code_list="program"),
    Element("benefit.program_name", name=_("program name")),
    Element("benefit.since", "benefits.Entitlement.start_month", format=MONTH),
    Element("benefit.until", "benefits.Entitlement.end_month", format=MONTH),
    Element("benefit.monthly_amount", "benefits.Entitlement.monthly_amount", format=MONEY),
    Element("benefit.receiving", name=_("receiving now"), format="true / false"),
    # A case.
    Element("case.reference", "casework.Case.reference"),
    Element("case.service", "casework.Case.service"),
    Element("case.state", "casework.Case.state", code_list="case-state"),
    Element("case.state_name", name=_("state name")),
    Element("case.submitted_at", "casework.Case.submitted_at", format="ISO 8601 date-time"),
    Element("case.closed_at", "casework.Case.closed_at", format="ISO 8601 date-time"),
    Element("case.region", "casework.Case.region", code_list="GB/T 2260"),
    # A recipient list's row.
    Element("recipient.person_id", name=_("person number"), format="integer, this portal's"),
    Element("recipient.name", "people.Person.name"),
    Element("recipient.id_number_masked", name=_("ID number (masked)"), format=ID + "; masked"),
    Element("recipient.region", "people.Person.residence_region", code_list="GB/T 2260"),
    Element("recipient.program", "benefits.Entitlement.program", code_list="program"),
    Element("recipient.monthly_amount", "benefits.Entitlement.monthly_amount", format=MONEY),
    Element("recipient.since", "benefits.Entitlement.start_month", format=MONTH),
)
BY_CODE = {e.code: e for e in ELEMENTS}


def element(code: str) -> Element:
    return BY_CODE[code]

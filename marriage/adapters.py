"""Identity and marriage-record checks behind one interface.

The registry asks two questions of outside systems: is this person who the ID card says
(public security's identity service), and is this person married now (the national marriage
database). `LocalRecords`, the built-in implementation, answers from the person master record
and the portal's own marriage records. A real client is plugged in by settings:

    MARRIAGE_RECORDS_ADAPTER = "somewhere.NationalMarriageDatabase"

The class is instantiated per check run with no arguments and must implement `RecordsAdapter`.
"""

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

DEFAULT_ADAPTER = "marriage.adapters.LocalRecords"


@dataclass(frozen=True)
class IdentityResult:
    ok: bool
    reason: str
    source: str = ""


@dataclass(frozen=True)
class MarriageInfo:
    """A marriage in force, as a record source reports it."""

    spouse_name: str
    registered_on: dt.date | None
    certificate_number: str
    source: str
    registry_name: str = ""
    spouse_person_id: int | None = None
    record_id: int | None = None


class RecordsAdapter(ABC):
    """What the registry needs from identity and marriage-record services."""

    name = "?"

    @abstractmethod
    def verify_identity(self, person) -> IdentityResult:
        """Whether the person's identity document is valid and belongs to a living person."""

    @abstractmethod
    def current_marriage_of(self, person) -> MarriageInfo | None:
        """The person's marriage in force, or None when they are not married."""


class LocalRecords(RecordsAdapter):
    """The person master record and the portal's own marriage records."""

    name = "local"

    def verify_identity(self, person) -> IdentityResult:
        from civilaffairs.people.models import Person, parse_id_number

        source = _("person master record")
        if person.merged_into_id is not None:
            return IdentityResult(False, _("This record was merged into another one."), source)
        if person.date_of_death is not None:
            return IdentityResult(
                False,
                _("The master record shows %(name)s as deceased.") % {"name": person.name},
                source,
            )
        if person.id_type != Person.IdType.RESIDENT_ID:
            if not person.id_number:
                return IdentityResult(False, _("No identity document number is recorded."), source)
            # Passports and permits are checked by the registrar against the document itself.
            return IdentityResult(
                True,
                _("%(doc)s recorded; check the document at the counter.")
                % {"doc": person.get_id_type_display()},
                source,
            )
        try:
            parsed = parse_id_number(person.id_number or "")
        except ValidationError as exc:
            return IdentityResult(False, "; ".join(exc.messages), source)
        if parsed.birth_date != person.birth_date or parsed.sex != person.sex:
            return IdentityResult(
                False, _("The date of birth or sex differs from the ID number."), source
            )
        return IdentityResult(
            True, _("Resident ID card number valid; name and number match the record."), source
        )

    def current_marriage_of(self, person) -> MarriageInfo | None:
        from .models import MarriageRecord

        record = (
            MarriageRecord.objects.in_force()
            .of_person(person)
            .select_related("man", "woman", "registry")
            .first()
        )
        if record is None:
            return None
        spouse = record.spouse_of(person)
        return MarriageInfo(
            spouse_name=spouse.name,
            registered_on=record.registered_on,
            certificate_number=record.certificate_number,
            source=_("marriage records of this portal"),
            registry_name=record.registry.name,
            spouse_person_id=spouse.pk,
            record_id=record.pk,
        )


def adapter_path() -> str:
    return getattr(settings, "MARRIAGE_RECORDS_ADAPTER", DEFAULT_ADAPTER)


def get_adapter() -> RecordsAdapter:
    adapter = import_string(adapter_path())()
    if not isinstance(adapter, RecordsAdapter):
        raise TypeError(f"{adapter_path()} does not implement marriage.adapters.RecordsAdapter")
    return adapter

"""What goes out, field by field. Each field names its catalogue element (`element`); a field
whose element is more sensitive than the client's grant allows is left out of the answer, and
an ID number is masked unless the grant shows full numbers. The fields a call returned are
written to its log line (ApiCall.fields)."""

from rest_framework import serializers

from civilaffairs.accounts.access import ServicePrincipal

from .catalogue import BY_CODE, code_lists


def mask_for_api(value: str | None) -> str:
    """The address part only: a masked number must not be rebuilt from the date of birth and
    sex the same answer carries, so the birth date and sequence digits stay hidden."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 6) if len(value) > 6 else "*" * len(value)


class CodeField(serializers.Field):
    """A value from a code list, sent as the standard's code."""

    def __init__(self, code_list: str, **kwargs):
        self.code_list = code_list
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return code_lists()[self.code_list].to_code(value)


class CatalogueSerializer(serializers.Serializer):
    """Fields named "<dataset>.<field>" in the catalogue; the answer keeps only those the
    client's grant may read, and records which went out."""

    dataset = ""

    def get_fields(self):
        fields = super().get_fields()
        principal = self.context.get("principal")
        if not isinstance(principal, ServicePrincipal):
            # Read for the schema: any field may be left out for a grant of a lower level, so
            # none is promised in every answer.
            for f in fields.values():
                f.required = False
            return fields
        if isinstance(principal, ServicePrincipal):
            level = principal.grant.max_level
            fields = {
                name: f
                for name, f in fields.items()
                if BY_CODE[f"{self.dataset}.{name}"].sensitivity <= level
            }
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        sent = self.context.get("sent")
        if sent is not None:
            sent.update(f"{self.dataset}.{name}" for name in data)
        return data


class PersonOut(CatalogueSerializer):
    dataset = "person"
    id_number = serializers.SerializerMethodField()
    name = serializers.CharField()
    sex = CodeField("GB/T 2261.1")
    birth_date = serializers.DateField()
    ethnicity = serializers.CharField()
    hukou_region = serializers.CharField(source="hukou_region_id", allow_null=True)
    residence_region = serializers.CharField(source="residence_region_id", allow_null=True)
    marital_status = CodeField("GB/T 2261.2")
    disability_grade = serializers.IntegerField()
    living = serializers.SerializerMethodField()
    date_of_death = serializers.DateField(allow_null=True)

    def get_id_number(self, person) -> str:
        principal = self.context.get("principal")
        if getattr(principal, "may_see_id_number", False):
            return person.id_number or ""
        return mask_for_api(person.id_number)

    def get_living(self, person) -> bool:
        return person.date_of_death is None


class MemberOut(CatalogueSerializer):
    dataset = "member"
    name = serializers.CharField(source="person.name")
    id_number_masked = serializers.SerializerMethodField()
    relation = CodeField("GB/T 4761")
    birth_date = serializers.DateField(source="person.birth_date")
    since = serializers.DateField(source="start_date")

    def get_id_number_masked(self, membership) -> str:
        return mask_for_api(membership.person.id_number)


class HouseholdOut(CatalogueSerializer):
    dataset = "household"
    region = serializers.CharField(source="region_id")
    hukou_type = CodeField("hukou-type")
    members = serializers.SerializerMethodField()

    def get_members(self, household) -> list[dict]:
        return MemberOut(self.context["members"], many=True, context=self.context).data


class BenefitOut(CatalogueSerializer):
    dataset = "benefit"
    program = serializers.CharField()
    program_name = serializers.SerializerMethodField()
    receiving = serializers.SerializerMethodField()
    since = serializers.DateField(source="start_month", format="%Y-%m")
    until = serializers.DateField(source="end_month", format="%Y-%m", allow_null=True)
    monthly_amount = serializers.DecimalField(max_digits=10, decimal_places=2)

    def get_program_name(self, entitlement) -> dict:
        from civilaffairs.benefits.registry import program_label

        from .errors import both

        return both(program_label(entitlement.program))

    def get_receiving(self, entitlement) -> bool:
        return (
            entitlement.stopped_on is None
            and entitlement.suspended_on is None
            and (entitlement.end_month is None or entitlement.end_month >= self.context["month"])
        )


class CaseOut(CatalogueSerializer):
    dataset = "case"
    reference = serializers.CharField()
    service = serializers.CharField()
    state = serializers.CharField()
    state_name = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    region = serializers.CharField(source="region_id")

    def get_state_name(self, case) -> dict:
        from civilaffairs.casework.workflow import workflow_for

        from .errors import both

        try:
            label = workflow_for(case.service).states[case.state].label
        except KeyError:
            return {"zh-hans": case.state, "en": case.state}
        return both(label)


class RecipientOut(CatalogueSerializer):
    dataset = "recipient"
    person_id = serializers.IntegerField()
    name = serializers.CharField(source="person.name")
    id_number_masked = serializers.SerializerMethodField()
    region = serializers.CharField(source="person.residence_region_id")
    program = serializers.CharField()
    monthly_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    since = serializers.DateField(source="start_month", format="%Y-%m")

    def get_id_number_masked(self, entitlement) -> str:
        return mask_for_api(entitlement.person.id_number)


PUBLISHED = (PersonOut, MemberOut, HouseholdOut, BenefitOut, CaseOut, RecipientOut)

_TYPES = {
    "CharField": "string",
    "DateField": "date",
    "DateTimeField": "date-time",
    "IntegerField": "integer",
    "DecimalField": "decimal",
    "BooleanField": "boolean",
    "CodeField": "code",
}


def element_types() -> dict[str, str]:
    """The type of each catalogue element, read off the serializer field that carries it."""
    out = {}
    for serializer in PUBLISHED:
        for name, f in serializer().fields.items():
            kind = _TYPES.get(type(f).__name__, "")
            if isinstance(f, serializers.SerializerMethodField):
                hint = getattr(getattr(serializer, f"get_{name}"), "__annotations__", {})
                kind = {
                    "str": "string",
                    "bool": "boolean",
                    "dict": "object",
                    "list[dict]": "list",
                }.get(
                    str(hint.get("return", "")).replace("<class '", "").replace("'>", ""), "string"
                )
            out[f"{serializer.dataset}.{name}"] = kind
    return out

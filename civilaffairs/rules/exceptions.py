"""Errors of the rules engine that callers are expected to handle."""

from django.utils.translation import gettext as _


class RulesError(Exception):
    """Base class: a configuration problem, not a bug."""


class MissingParameter(RulesError, LookupError):
    """No value of a parameter applies to a region on a date."""

    def __init__(self, key: str, region_code: str, as_of):
        self.key, self.region_code, self.as_of = key, region_code, as_of
        super().__init__(
            _(
                "The parameter “%(key)s” has no value for region %(region)s on %(date)s. "
                "Set one for the region or a region above it."
            )
            % {"key": key, "region": region_code, "date": as_of}
        )


class NoRulesInForce(RulesError):
    def __init__(self, program, as_of):
        self.program, self.as_of = program, as_of
        super().__init__(
            _("No rule set of “%(program)s” is in force on %(date)s.")
            % {"program": program, "date": as_of}
        )


class FactNotQueryable(RulesError):
    """A rule uses a fact that has no SQL expression, so the registry cannot be filtered."""

    def __init__(self, names):
        self.names = sorted(names)
        super().__init__(
            _(
                "These facts can only be read from an application, not computed for the whole "
                "registry: %(facts)s."
            )
            % {"facts": ", ".join(self.names)}
        )

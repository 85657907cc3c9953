"""Saving a history-tracked row with its author (the one helper every `do_*` action uses),
and reading a row's history back as people read it: each field's old → new."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def save_with_history(obj, acting_user, reason: str | None = None, **save_kwargs):
    """Save `obj` with `acting_user` on its django-simple-history row (which reads
    `_history_user`) and an optional change reason (the history column holds 100 characters).
    `acting_user` None, or an unsaved user, means the system acted."""
    if acting_user is not None and getattr(acting_user, "pk", None):
        obj._history_user = acting_user
    if reason:
        obj._change_reason = str(reason)[:100]
    obj.save(**save_kwargs)
    return obj


# ----------------------------------------------------------------------------- reading history


@dataclass(frozen=True)
class FieldChange:
    """One field of one change, as people read it: "电话: 139****0001 → 138****1234"."""

    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One historical row: when, who, what kind of change, why, and each field's old → new."""

    at: dt.datetime
    user: str
    kind: str  # "+" created, "~" changed, "-" deleted (simple-history's history_type)
    what: str  # the model's name, for lists that mix models (a case and its application)
    reason: str
    changes: tuple[FieldChange, ...]
    record_id: int = 0

    @property
    def kind_label(self) -> str:
        return str(
            {"+": _("created"), "~": _("changed"), "-": _("deleted")}.get(self.kind, self.kind)
        )


# Columns that say nothing to the reader of a history.
NOT_SHOWN = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "queue_rank",
        # Bookkeeping of the portal's own: how far a draft got, when a reminder went out, how
        # far a plan's visits are booked.
        "step",
        "reminded_at",
        "window_reminded_at",
        "generated_until",
    }
)


def _plain(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _related_label(obj) -> str:
    """A related row as a history shows it: a person or user by name, anything else by its own
    text. A user's plain text may be a mobile number (masked by User.__str__)."""
    name = getattr(obj, "display_name", None)
    return str(name if name else obj)


def _reason(code: str, label: Callable[[str], str] | None) -> str:
    """A change's reason as the reader reads it: the code an action saved (a step's name,
    "claimed") through `label`, which answers the code itself when it has no words for it."""
    return str(label(code)) if code and label is not None else code


def field_history(
    records: list,
    *,
    older=None,
    what: str = "",
    masks: dict[str, Callable] | None = None,
    value_labels: dict[str, Callable] | None = None,
    excluded: Iterable[str] = (),
    reason_label: Callable[[str], str] | None = None,
) -> list[HistoryEntry]:
    """The field-by-field changes of `records`, historical rows of ONE object, newest first
    (simple-history's `diff_against` between neighbours); `older` is the row just before the
    last one, when there is one (the next page's first). Personal numbers are shown through
    their mask (`masks`, by field name: lib.masked_fields.MASKS), choices through their
    labels, related rows through one query per related model (not one per row), and a field
    whose stored value needs words (a workflow's state) through `value_labels`.

    The rows should come with `history_user__person` selected, so naming who acted costs
    nothing more."""
    if masks is None:
        from .masked_fields import MASKS as masks
    value_labels = value_labels or {}
    excluded = NOT_SHOWN | set(excluded)
    rows = list(records)
    if rows:
        # Structured data (the marriage checks, a match's score) is shown by the page's own
        # sections; here it would be a raw dump of a list of dicts.
        excluded |= {
            f.name
            for f in rows[0].instance_type._meta.concrete_fields
            if isinstance(f, models.JSONField)
        }
    pairs = []
    for i, record in enumerate(rows):
        previous = rows[i + 1] if i + 1 < len(rows) else older
        delta = None
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, excluded_fields=excluded)
        pairs.append((record, delta))
    # Related rows named in any change, fetched once per related model.
    wanted: dict = {}
    model = rows[0].instance_type if rows else None
    for _record, delta in pairs:
        for change in delta.changes if delta else ():
            field = model._meta.get_field(change.field)
            if field.is_relation and field.related_model is not None:
                ids = wanted.setdefault(field.related_model, set())
                ids.update(v for v in (change.old, change.new) if v is not None)
    related = {}
    for rel_model, ids in wanted.items():
        qs = rel_model._default_manager.filter(pk__in=ids)
        if any(f.name == "person" and f.is_relation for f in rel_model._meta.fields):
            qs = qs.select_related("person")  # a user's name is their person's
        related[rel_model] = {obj.pk: _related_label(obj) for obj in qs}

    def shown(field, value) -> str:
        if value is None or value == "":
            return "—"
        if field.name in masks:
            return masks[field.name](value) or "—"
        if field.name in value_labels:
            return str(value_labels[field.name](value))
        if field.is_relation and field.related_model is not None:
            return related.get(field.related_model, {}).get(value, f"#{value}")
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return _plain(value)

    entries = []
    for record, delta in pairs:
        changes = []
        for change in delta.changes if delta else ():
            field = model._meta.get_field(change.field)
            changes.append(
                FieldChange(
                    field=change.field,
                    label=str(field.verbose_name),
                    old=shown(field, change.old),
                    new=shown(field, change.new),
                )
            )
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=_related_label(user) if user is not None else "",
                kind=record.history_type,
                what=what,
                reason=_reason(record.history_change_reason or "", reason_label),
                changes=tuple(changes),
                record_id=record.history_id,
            )
        )
    return entries

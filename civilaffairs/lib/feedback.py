"""What a page tells the user when an action refuses: one helper for every view."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _


def add_form_errors(form, exc: ValidationError) -> None:
    """An action's refusal on the form alone: next to each field it names that the form has,
    the rest (and a refusal that names no field) above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def error_messages(request, exc, *, form=None, denied: str | None = None) -> None:
    """An action's refusal, in the page's messages: each message of a ValidationError (also
    next to the fields it names, or above the form, when the page has the form), or for a
    PermissionDenied the sentence `denied` (by default "You may not do this."): its own text
    is for the log, not the user."""
    if isinstance(exc, PermissionDenied):
        messages.error(request, denied or _("You may not do this."))
        return
    if form is not None:
        add_form_errors(form, exc)
    for text in exc.messages:
        messages.error(request, text)


class Outcome:
    """What `run_action` answers: true when the action went through, false when it was
    refused; `value` is what the action returned (None when refused)."""

    __slots__ = ("ok", "value")

    def __init__(self, ok: bool, value=None):
        self.ok, self.value = ok, value

    def __bool__(self) -> bool:
        return self.ok


def run_action(
    request,
    action,
    *,
    done="",
    form=None,
    form_only: bool = False,
    denied: str | None = None,
    denied_status: int | None = None,
) -> Outcome:
    """The form → action → message pattern of a view: call `action()`; on success say `done`
    (a text, or a function of what the action returned, for a message that names it) and
    answer a true Outcome carrying the action's value; on a refusal (ValidationError or
    PermissionDenied) show why and answer a false one, nothing having been saved (actions
    are atomic). A PermissionDenied is shown as the sentence `denied`, or, with
    `denied_status`, answered as an error page instead: 404 for a thing the user may not know
    exists (another office's record reached by its number), 403 where the page has always
    refused outright (a button the user should never have been shown). With `form_only` a
    refusal's reasons go on the form alone (beside its fields, the rest above it), not into
    the messages as well: for a page that is its form, where saying it twice is noise."""
    if denied_status not in (None, 403, 404):
        raise ValueError(f"denied_status must be 403 or 404, not {denied_status!r}")
    if form_only and form is None:
        raise ValueError("form_only needs the form to put the refusal on")
    try:
        value = action()
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied) and denied_status == 404:
            raise Http404 from None
        if isinstance(exc, PermissionDenied) and denied_status == 403:
            raise
        if form_only and isinstance(exc, ValidationError):
            add_form_errors(form, exc)
        else:
            error_messages(request, exc, form=form, denied=denied)
        return Outcome(False)
    if callable(done):
        done = done(value)
    if done:
        messages.success(request, done)
    return Outcome(True, value)

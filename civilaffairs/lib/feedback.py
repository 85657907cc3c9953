"""What a page tells the user when an action refuses: one helper for every view."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def error_messages(request, exc, *, form=None, denied: str | None = None) -> None:
    """An action's refusal, in the page's messages: each message of a ValidationError (also
    next to the fields it names, or above the form, when the page has the form), or for a
    PermissionDenied the sentence `denied` (by default "You may not do this."): its own text
    is for the log, not the user."""
    if isinstance(exc, PermissionDenied):
        messages.error(request, denied or _("You may not do this."))
        return
    if form is not None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
    for text in exc.messages:
        messages.error(request, text)


def run_action(request, action, *, done: str = "", form=None, denied: str | None = None) -> bool:
    """The form → action → message pattern of a view: call `action()`; on success say `done`
    and answer True; on a refusal (ValidationError or PermissionDenied) show why and answer
    False, nothing having been saved (actions are atomic)."""
    from django.core.exceptions import ValidationError

    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        error_messages(request, exc, form=form, denied=denied)
        return False
    if done:
        messages.success(request, done)
    return True

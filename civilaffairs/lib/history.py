"""Saving a history-tracked row with its author: the one helper every `do_*` action uses."""


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

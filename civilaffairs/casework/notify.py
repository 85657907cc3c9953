"""The one way the portal tells a person something: `notify(person, title, body, …)`.

The inbox entry is written in the caller's transaction, so it can never be lost between a
commit and a callback (and is gone with a rolled-back change: nobody hears of what did not
happen). The copies that leave the system (e-mail, SMS) go after the commit, through the
backends named in settings, and each sets its own `*_at` stamp when it went out.

Titles and bodies are written in the recipient's language, not in whatever language the
request or the worker thread happens to speak: pass lazy strings or callables, which are
evaluated under the recipient's language (`lambda: _("Paid: %(n)s") % {"n": n}`; a lazy string
formatted with % is evaluated at once, in the current language, so it must be wrapped). A
callable is also kept in every language of the site (`Notification.translations`): a reader
who switches language reads their inbox in the new one; the copies that left the system were
written in the recipient's.
"""

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from .models import Notification

log = logging.getLogger(__name__)

Text = str | Callable[[], str]


def language_of(person) -> str:
    """The language a person reads: their account's, else the site's default (zh-Hans)."""
    account = getattr(person, "account", None) if person is not None else None
    return (getattr(account, "language", "") or "") or settings.LANGUAGE_CODE


def _in_languages(title, body) -> dict | None:
    """Title and body in each language of the site, when the system writes them (callables
    or lazy strings); None for text kept as given."""
    if isinstance(title, str) and isinstance(body, str):
        return None
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = {"title": _text(title)[:200], "body": _text(body)}
    return texts


def _text(value) -> str:
    if callable(value):
        value = value()
    return str(value or "")


def notify(
    person,
    title: Text,
    body: Text = "",
    *,
    case=None,
    event=None,
) -> Notification | None:
    """Put a message in `person`'s inbox now (this transaction) and send its copies after the
    commit. `event`: the timeline event it tells of; a person hears of one event once, so a
    second call for the same event and person returns the existing entry. Returns None when
    there is nobody to tell."""
    if person is None:
        return None
    with translation.override(language_of(person)):
        title_text, body_text = _text(title)[:200], _text(body)
    fields = {
        "case": case if case is not None else getattr(event, "case", None),
        "translations": _in_languages(title, body),
    }
    if event is not None:
        note, created = Notification.objects.get_or_create(
            event=event,
            person=person,
            defaults={**fields, "title": title_text, "body": body_text},
        )
        if not created:
            return note
    else:
        note = Notification.objects.create(
            person=person, title=title_text, body=body_text, **fields
        )
    transaction.on_commit(lambda pk=note.pk: send_copies(pk))
    return note


def notify_all(people: Iterable, title: Text, body: Text = "", **kwargs) -> int:
    """notify() for each distinct person (an applicant who is also the beneficiary hears once)."""
    seen, sent = set(), 0
    for person in people:
        if person is None or person.pk in seen:
            continue
        seen.add(person.pk)
        if notify(person, title, body, **kwargs) is not None:
            sent += 1
    return sent


def send_copies(note_id: int) -> None:
    """Send an inbox entry's e-mail and SMS copies, each once. Runs after the commit that wrote
    the entry; a failed send is logged, not raised: the entry is in the inbox either way."""
    note = Notification.objects.select_related("person__account").filter(pk=note_id).first()
    if note is None:
        return
    account = getattr(note.person, "account", None)
    address = getattr(account, "email", "") if account is not None else ""
    if address and note.emailed_at is None:
        try:
            send_mail(note.title, note.body or note.title, None, [address])
        except Exception:  # any transport error: the inbox has it; never fail the caller
            log.warning("e-mail copy of notification %s not sent", note.pk, exc_info=True)
        else:
            Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
    backend = sms_backend()
    if backend is not None and note.sms_at is None:
        try:
            if backend(note):
                Notification.objects.filter(pk=note.pk).update(sms_at=timezone.now())
        except Exception:
            log.warning("SMS copy of notification %s not sent", note.pk, exc_info=True)


def sms_backend() -> Callable | None:
    """settings.NOTIFY_SMS_BACKEND: a dotted path to `send(notification) -> bool` (True when
    sent), or empty for none. The phone number is the backend's to read from the person and
    must never be logged."""
    path = getattr(settings, "NOTIFY_SMS_BACKEND", "")
    return import_string(path) if path else None


# Messages an SMS backend for tests and demos keeps (notification ids only: never a number).
sent_sms: list[int] = []


def memory_sms_backend(note) -> bool:
    """An SMS backend that keeps what it would have sent, for tests and `make run`."""
    sent_sms.append(note.pk)
    return True

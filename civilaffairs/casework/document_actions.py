"""Adding evidence to a case (DESIGN §3.1: only actions change state).

The file is checked by its content before anything is written; a refused file leaves no row
and no bytes behind. The stored name is random (models.document_path), the uploaded name is
only a label, and images arrive re-encoded without EXIF (documents.check_upload).
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from .actions import add_event
from .documents import check_upload
from .models import Case, CaseEvent, Document

log = logging.getLogger(__name__)


def _check_may_add(case: Case, user):
    """The applicant or beneficiary of the case, or staff whose scope covers it."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    if not case.is_party_or_visible_to(user):
        raise PermissionDenied


@transaction.atomic
def do_add_document(
    case: Case, uploaded, kind: str, *, acting_user, shared: bool | None = None
) -> Document:
    """Check `uploaded` (a Django UploadedFile) and attach it to the case; write the event.

    Raises ValidationError with a message the uploader can act on (wrong kind of file, too
    large, a name that tries to be a path, a closed case) and stores nothing in that case.
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    _check_may_add(case, acting_user)
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of document this is.")})
    if not case.is_open:
        raise ValidationError(_("This case is closed; no more documents can be added."))
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)  # a form or a domain page may have looked at it already
    checked = check_upload(uploaded)  # raises before a single byte is stored
    doc = Document(
        case=case,
        kind=kind,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        confidentiality=case.confidentiality,
        uploaded_by=acting_user,
        # By default the applicant sees what they (or staff filling in for them) uploaded, not
        # what staff add while investigating.
        shared_with_applicant=shared if shared is not None else _is_party(case, acting_user),
    )
    doc.file.save(checked.name, ContentFile(checked.content), save=False)
    try:
        doc.save()
        add_event(
            case,
            CaseEvent.Kind.DOCUMENT,
            actor=acting_user,
            public=False,
            message=lambda: (
                _("Document added: %(kind)s, %(name)s")
                % {"kind": doc.get_kind_display(), "name": doc.original_name}
            ),
            data={"document": doc.pk, "kind": kind, "sha256": doc.sha256},
        )
    except Exception:
        # The row is rolled back with the transaction; the bytes must go with it.
        doc.file.storage.delete(doc.file.name)
        raise
    return doc


def _is_party(case: Case, user) -> bool:
    return bool(user.person_id) and user.person_id in (case.applicant_id, case.beneficiary_id)

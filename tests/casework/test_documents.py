"""Evidence uploads: checked by content, refused with a clear message, nothing stored when
refused; downloads only after the permission check, as attachments, without EXIF."""

import io
from urllib.parse import quote

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from PIL import ExifTags, Image

from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework import views
from civilaffairs.casework.actions import do_assign_case
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case, CaseEvent, Document
from tests.auth import sign_in

from .conftest import MINIMAL_PDF, make_case, pdf_upload, resident, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world, private_media):
    case = make_case(world.citizen.person)
    do_assign_case(case, world.caseworker, acting_user=world.supervisor)
    return Case.objects.get(pk=case.pk)


def _upload(client, case, file, kind="income_proof"):
    return client.post(
        reverse("casework:document-upload", args=[case.pk]),
        {"kind": kind, "file": file},
    )


def _nothing_stored(case, root):
    assert not Document.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.DOCUMENT).exists()
    assert stored_files(root) == []


def test_an_html_file_renamed_pdf_is_refused_and_nothing_is_stored(
    client, world, case, private_media
):
    sign_in(client, world.caseworker)
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    response = _upload(client, case, SimpleUploadedFile("payslip.pdf", html, "application/pdf"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Only PDF, JPEG and PNG files are accepted" in page
    assert "whatever its name says" in page
    _nothing_stored(case, private_media)


def test_an_oversize_file_is_refused_and_nothing_is_stored(
    client, world, case, private_media, settings
):
    settings.UPLOAD_MAX_BYTES = 2048
    sign_in(client, world.caseworker)
    big = MINIMAL_PDF[:-6] + b" " * 4096 + b"%%EOF\n"
    response = _upload(client, case, pdf_upload("big.pdf", big))
    assert response.status_code == 400
    assert "The file is too large" in response.content.decode()
    _nothing_stored(case, private_media)


def test_a_path_traversal_name_is_refused_with_a_message_and_nothing_is_stored(
    rf, world, case, private_media
):
    # Django's multipart parser already strips directories from a browser's file name; a
    # name that still carries a path (another client, an import) is refused, not repaired.
    sneaky = pdf_upload("x.pdf")
    sneaky._name = "../../etc/passwd.pdf"  # bypasses UploadedFile's own basename()
    request = rf.post(
        reverse("casework:document-upload", args=[case.pk]),
        {"kind": "other", "file": pdf_upload("x.pdf")},
    )
    request.user = world.caseworker
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.POST  # noqa: B018 - parse the body first, then put the raw upload in its place
    request._files = MultiValueDict({"file": [sneaky]})
    with translation.override("en"):
        response = views.document_upload(request, case.pk)
    assert response.status_code == 400
    assert "is not allowed. Please rename the file." in response.content.decode()
    _nothing_stored(case, private_media)


def test_a_path_in_a_browser_file_name_never_leaves_the_private_root(
    client, world, case, private_media, tmp_path
):
    sign_in(client, world.caseworker)
    response = _upload(client, case, pdf_upload("../../etc/passwd.pdf"))
    assert response.status_code == 302
    doc = Document.objects.get(case=case)
    assert "/" not in doc.original_name and ".." not in doc.original_name
    assert "passwd" not in doc.file.name  # stored under a random name
    files = stored_files(private_media)
    assert len(files) == 1 and files[0].is_relative_to(private_media)
    assert list(tmp_path.rglob("passwd*")) == []


def test_direct_action_call_with_bad_files_raises_and_stores_nothing(world, case, private_media):
    from django.core.exceptions import ValidationError

    for bad in (
        SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf"),
        SimpleUploadedFile(".htaccess", MINIMAL_PDF),
    ):
        with pytest.raises(ValidationError):
            do_add_document(case, bad, "other", acting_user=world.caseworker)
    _nothing_stored(case, private_media)


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (38.0, 28.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 16.0, 30.0)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_jpeg_with_gps_comes_back_without_exif(client, world, case, private_media):
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # sanity
    sign_in(client, world.citizen)
    response = client.post(
        reverse("cases:document-upload", args=[case.pk]),
        {"kind": "photo", "file": SimpleUploadedFile("家门口.jpg", original, "image/jpeg")},
    )
    assert response.status_code == 302
    doc = Document.objects.get(case=case)
    response = client.get(reverse("cases:document-download", args=[doc.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(body))
    assert image.format == "JPEG" and image.size == (40, 30)
    assert len(image.getexif()) == 0
    assert b"Exif" not in body and b"SpyCam" not in body


def test_a_download_is_an_attachment_with_the_original_chinese_name(
    client, world, case, private_media
):
    sign_in(client, world.caseworker)
    assert _upload(client, case, pdf_upload("收入证明 2025.pdf")).status_code == 302
    doc = Document.objects.get(case=case)
    response = client.get(reverse("casework:document-download", args=[doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" + quote("收入证明 2025.pdf") in disposition
    # Each staff download is traceable.
    log = AccessLog.objects.get(object_id=str(doc.pk))
    assert log.user == world.caseworker and log.action == AccessLog.Action.VIEW_RECORD


def test_an_upload_writes_an_internal_event_and_the_document_gets_the_cases_level(
    client, world, case, private_media
):
    sign_in(client, world.caseworker)
    _upload(client, case, pdf_upload())
    doc = Document.objects.get(case=case)
    assert doc.confidentiality == case.confidentiality
    assert doc.uploaded_by == world.caseworker and doc.size == len(MINIMAL_PDF)
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.DOCUMENT)
    assert not event.public and event.data["document"] == doc.pk


def test_a_citizen_adds_evidence_to_their_own_open_case_only(client, world, case, private_media):
    stranger_case = make_case(resident())
    sign_in(client, world.citizen)
    url = reverse("cases:document-upload", args=[stranger_case.pk])
    assert client.post(url, {"kind": "other", "file": pdf_upload()}).status_code == 404
    assert not Document.objects.exists()
    url = reverse("cases:document-upload", args=[case.pk])
    assert client.post(url, {"kind": "other", "file": pdf_upload()}).status_code == 302
    assert Document.objects.get().uploaded_by == world.citizen


def test_nothing_can_be_added_to_a_closed_case(client, world, case, private_media):
    sign_in(client, world.citizen)
    client.post(reverse("cases:case-withdraw", args=[case.pk]))
    response = client.post(
        reverse("cases:document-upload", args=[case.pk]),
        {"kind": "other", "file": pdf_upload()},
    )
    assert response.status_code == 400
    assert "This case is closed" in response.content.decode()
    _nothing_stored(case, private_media)


def test_a_citizen_cannot_download_another_citizens_document(client, world, private_media):
    other = make_case(resident())
    doc = do_add_document(other, pdf_upload(), "other", acting_user=world.caseworker)
    sign_in(client, world.citizen)
    assert client.get(reverse("cases:document-download", args=[doc.pk])).status_code == 404
    assert client.get(reverse("casework:document-download", args=[doc.pk])).status_code == 403


def test_an_upload_posted_from_a_domain_page_goes_back_there_with_the_outcome(
    client, world, case, private_media
):
    sign_in(client, world.citizen)
    url = reverse("cases:document-upload", args=[case.pk])
    back = reverse("cases:my-cases")
    response = client.post(url, {"kind": "other", "file": pdf_upload(), "next": back})
    assert response.status_code == 302 and response["Location"] == back
    bad = SimpleUploadedFile("a.pdf", b"<html></html>")
    response = client.post(url, {"kind": "other", "file": bad, "next": back}, follow=True)
    assert "The document was not added" in response.content.decode()
    assert Document.objects.filter(case=case).count() == 1
    response = client.post(
        url, {"kind": "other", "file": pdf_upload(), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])


def test_the_case_page_lists_only_documents_at_a_level_the_viewer_may_open(
    client, world, case, private_media
):
    """The case page reads its documents with the level the viewer's grants allow in the
    case's region (queries.documents_visible_to with the case read in scope): a document
    marked more sensitive than the caseworker's grant is neither listed nor downloadable,
    and a grant that allows it shows it on the next page. (Uploads take their case's level;
    a document above it is set here directly.)"""

    def listed(page):
        section = page.split('id="documents"', 1)[1].split("</section>", 1)[0]
        return {name for name in ("ordinary.pdf", "medical.pdf") if name in section}

    from civilaffairs.accounts.actions import do_grant_role
    from civilaffairs.lib.confidentiality import Confidentiality

    from .conftest import CW

    ordinary = do_add_document(
        case, pdf_upload("ordinary.pdf"), "income_proof", acting_user=world.caseworker
    )
    secret = do_add_document(
        case, pdf_upload("medical.pdf"), "medical", acting_user=world.caseworker
    )
    Document.objects.filter(pk=secret.pk).update(confidentiality=Confidentiality.SENSITIVE)
    sign_in(client, world.caseworker)
    page = client.get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert listed(page) == {"ordinary.pdf"}
    download = reverse("casework:document-download", args=[secret.pk])
    assert client.get(download).status_code == 404
    assert client.get(reverse("casework:document-download", args=[ordinary.pk])).status_code == 200
    do_grant_role(
        world.caseworker,
        world.township,
        CW,
        acting_user=None,
        max_confidentiality=Confidentiality.SENSITIVE,
    )
    page = client.get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert listed(page) == {"ordinary.pdf", "medical.pdf"}
    assert client.get(download).status_code == 200

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from assistance import actions
from tests.auth import sign_in
from tests.pages import page_text

pytestmark = pytest.mark.django_db


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def private_root(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def test_staff_investigation_documents_stay_internal_unless_shared(
    client, assistance_setup, household, private_root
):
    p = assistance_setup
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    sign_in(client, p.citizen)
    client.post(
        reverse("cases:document-upload", args=[app.case.pk]),
        {
            "kind": "income_proof",
            "file": SimpleUploadedFile("收入证明.png", png_bytes(), "image/png"),
        },
    )
    sign_in(client, p.caseworker)
    client.post(
        reverse("casework:document-upload", args=[app.case.pk]),
        {"kind": "photo", "file": SimpleUploadedFile("visit.png", png_bytes(), "image/png")},
    )
    docs = {d.original_name: d for d in app.case.documents.all()}
    assert (
        docs["收入证明.png"].shared_with_applicant and not docs["visit.png"].shared_with_applicant
    )
    sign_in(client, p.citizen)
    page = page_text(client.get(reverse("cases:case-detail", args=[app.case.pk])))
    assert "收入证明.png" in page and "visit.png" not in page
    assert (
        client.get(reverse("cases:document-download", args=[docs["visit.png"].pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("cases:document-download", args=[docs["收入证明.png"].pk])).status_code
        == 200
    )

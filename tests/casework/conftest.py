"""A small test service and workflow on the one Case table, and helpers to make cases.

Workflow of "test.simple":

    draft → submitted → screened (queued) → accepted → approved (terminal, approved)
                                       ↘  refused (terminal, needs a reason)
    submitted / screened → withdrawn (the citizen's "withdraw")
    submitted → screened is the system's "screen"
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civilaffairs.accounts.actions import do_update_office
from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.actions import (
    do_claim_next,
    do_create_case,
    do_screen_and_route,
    do_submit_case,
)
from civilaffairs.casework.models import Case
from civilaffairs.casework.registry import Service, register_service
from civilaffairs.casework.workflow import State, Transition, Workflow, register_workflow
from civilaffairs.people.models import Region
from tests.factories import PersonFactory, office_for

SERVICE = "test.simple"
HOME = "640104001002"  # a community of 凤凰北街街道, 兴庆区: the caseworker's township
ELSEWHERE = "640105001002"  # a community of 西夏区: another county
CW = StaffRole.Role.CASEWORKER
AP = StaffRole.Role.APPROVER

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def register_test_service():
    register_service(
        Service(
            code=SERVICE,
            domain="assistance",
            name="Test service",
            reference_prefix="TS",
            promised_days=5,
            statutory_days=10,
            intake_level=4,
        )
    )
    register_workflow(
        SERVICE,
        Workflow.build(
            SERVICE,
            [
                State("draft", "Draft", public=False, queued=False),
                State("submitted", "Submitted", citizen_label="Received", queued=False),
                # Internal: the citizen is not told about it (nor notified).
                State("screened", "Screened", public=False, citizen_label="Being checked"),
                State("accepted", "Accepted", citizen_label="Being examined"),
                State("approved", "Approved", terminal=True, outcome="approved", queued=False),
                State("refused", "Refused", terminal=True, outcome="refused", queued=False),
                State("withdrawn", "Withdrawn", terminal=True, outcome="withdrawn", queued=False),
            ],
            [
                Transition("screen", ("submitted",), "screened", "Screen", system=True),
                Transition("accept", ("screened",), "accepted", "Accept", roles=(CW,)),
                Transition(
                    "approve",
                    ("accepted",),
                    "approved",
                    "Approve",
                    roles=(AP,),
                    assignee_only=False,
                    style="success",
                ),
                Transition(
                    "refuse",
                    ("screened", "accepted"),
                    "refused",
                    "Refuse",
                    roles=(CW, AP),
                    needs_reason=True,
                    style="danger",
                ),
                Transition(
                    "withdraw", ("submitted", "screened"), "withdrawn", "Withdraw", citizen=True
                ),
            ],
        ),
    )


@pytest.fixture(scope="session", autouse=True)
def test_service():
    register_test_service()
    return SERVICE


def give_offices_the_service(p):
    for office in (p.township, p.county, p.city, p.other_township, office_for("640105")):
        if SERVICE not in office.services:
            do_update_office(office, acting_user=None, services=[*office.services, SERVICE])


@pytest.fixture
def world(personas):
    give_offices_the_service(personas)
    return personas


@pytest.fixture
def world_tx(personas_tx):
    give_offices_the_service(personas_tx)
    return personas_tx


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, so assertions on messages hold whatever the zh catalogue says."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    # Submissions queue screening after commit; the tests screen synchronously instead.
    monkeypatch.setattr("civilaffairs.casework.actions.enqueue_screening", lambda pk: False)


@pytest.fixture
def private_media(settings, tmp_path):
    """Uploads go to a fresh private root for the test."""
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


_regions: dict[str, Region] = {}


def region(code: str) -> Region:
    if code not in _regions:
        _regions[code] = Region.objects.get(code=code)
    return _regions[code]


def resident(code: str = HOME, **kwargs):
    return PersonFactory(hukou_region=region(code), **kwargs)


def make_case(applicant=None, *, code: str = HOME, until: str = "screened", priority: int = 0):
    """A case of the test service taken by the real actions up to `until`."""
    applicant = applicant or resident(code)
    case = do_create_case(
        acting_user=None,
        service=SERVICE,
        region=region(code),
        applicant=applicant,
        priority=priority,
    )
    if until != "draft":
        do_submit_case(case, acting_user=None)
        if until != "submitted":
            do_screen_and_route(case.pk)
    return Case.objects.get(pk=case.pk)


def claimed_case(user, **kwargs) -> Case:
    """A screened case in the user's township, claimed by them."""
    case = make_case(**kwargs)
    claimed = do_claim_next(acting_user=user)
    assert claimed.pk == case.pk
    return Case.objects.get(pk=case.pk)


def pdf_upload(name="evidence.pdf", content=MINIMAL_PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")

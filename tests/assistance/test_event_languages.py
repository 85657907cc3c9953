"""What the system writes on a timeline is read in the reader's language (issue #16, item 13):
a step's message is kept in every language of the site, so the Chinese caseworker and the
English applicant each read their own; what a person typed is shown as typed."""

import pytest
from django.urls import reverse

from civilaffairs.casework.actions import do_screen_and_route, do_transition
from tests.assistance.test_process import submitted_dibao
from tests.auth import sign_in
from tests.pages import page_text

pytestmark = pytest.mark.django_db


def test_a_timeline_entry_reads_in_each_readers_language(client, assistance_setup, household):
    p = assistance_setup
    p.citizen.language = "en"
    p.citizen.save(update_fields=["language"])
    app = submitted_dibao(p, household)
    do_screen_and_route(app.case.pk)
    case = do_transition(app.case, "accept", acting_user=p.caseworker)
    import datetime as dt

    from assistance import actions

    actions.do_record_investigation(
        app, acting_user=p.caseworker, visit_date=dt.date.today(), findings="属实"
    )
    actions.do_start_notice(app, acting_user=p.caseworker)
    event = case.events.get(transition="start_notice")
    assert set(event.translations) == {"zh-hans", "en"}
    assert "Your application is on public notice until" in event.translations["en"]
    assert "公示" in event.translations["zh-hans"]
    # The caseworker reads Chinese; the applicant, whose account says English, reads English.
    sign_in(client, p.caseworker)
    staff_page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert event.translations["zh-hans"] in staff_page
    assert "Your application is on public notice" not in staff_page
    sign_in(client, p.citizen)
    client.cookies["lang"] = "en"
    mine = page_text(client.get(reverse("cases:case-detail", args=[case.pk])))
    assert event.translations["en"] in mine
    client.cookies["lang"] = "zh-hans"
    mine = page_text(client.get(reverse("cases:case-detail", args=[case.pk])))
    assert event.translations["zh-hans"] in mine


def test_what_the_system_writes_for_routing_documents_and_objections_is_in_every_language(
    assistance_setup, household
):
    """The routing step, an added document and an objection were written in one language (the
    site's, the uploader's, the objector's) and shown so on the other language's pages (found
    walking the 低保 journey in English)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assistance import actions
    from civilaffairs.casework.document_actions import do_add_document
    from civilaffairs.casework.models import CaseEvent
    from tests.assistance.test_process import walk_to_county
    from tests.casework.conftest import MINIMAL_PDF

    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    routed = app.case.events.filter(kind=CaseEvent.Kind.ROUTING).first()
    assert routed.translations["en"].startswith("Sent to ")
    assert routed.translations["zh-hans"].startswith("已转至")
    pdf = SimpleUploadedFile("proof.pdf", MINIMAL_PDF, content_type="application/pdf")
    do_add_document(app.case, pdf, "income_proof", acting_user=p.caseworker)
    added = app.case.events.get(kind=CaseEvent.Kind.DOCUMENT)
    assert added.translations["en"].startswith("Document added: ")
    assert added.translations["zh-hans"].startswith("已添加材料")

    actions.do_lodge_objection(app, text="Not true.", language="en")
    event = app.case.events.get(transition="reinvestigate")
    assert event.translations["en"].startswith("An objection was lodged")
    assert event.translations["zh-hans"] == "公示期间收到异议，将对该家庭重新核查。"

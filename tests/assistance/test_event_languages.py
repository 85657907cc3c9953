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

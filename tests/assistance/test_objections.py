"""An objection to the public notice is handled to its end (issue #16, item 1): the township
reads it, investigates, records a finding with reasons, answers the objector who left a way to
be reached, and the household goes on a new notice (or the county is asked to refuse); the
county can decide only then. Before, the objection could never be resolved and blocked the
case for good."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from assistance import actions
from assistance.models import Objection
from assistance.tasks import send_objection_answers_task
from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.actions import do_transition
from civilaffairs.casework.models import Case
from tests.auth import sign_in
from tests.pages import page_text

from .test_process import submitted_dibao, walk_to_county

pytestmark = pytest.mark.django_db

STEP = "t-resolve_objection-"


def objected(p, household, *, contact="", language="zh-hans"):
    app = walk_to_county(p, submitted_dibao(p, household))
    actions.do_lodge_objection(
        app, text="该户经营一家小卖部，收入未申报。", contact=contact, language=language
    )
    app.refresh_from_db()
    return app


def finding(**values) -> dict:
    data = {
        "visit_date": dt.date.today().isoformat(),
        "findings": "再次入户：小卖部已于去年关闭，有工商注销证明。",
        "verified_income": "",
        "finding": "not_upheld",
        "reasons": "经核实，小卖部已注销，无经营收入。",
        "answered_by": "",
        "answer": "",
    }
    data.update(values)
    return {STEP + k: v for k, v in data.items()}


def resolve(client, app, **values):
    url = reverse("casework:case-transition", args=[app.case.pk, "resolve_objection"])
    return client.post(url, finding(**values))


def test_an_objection_is_investigated_answered_and_the_household_goes_on_a_new_notice_then_approved(
    client, assistance_setup, household, django_capture_on_commit_callbacks
):
    p = assistance_setup
    app = objected(p, household, contact="objector@example.cn", language="en")
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "objection" and case.assignee == p.caseworker
    first_notice_end = app.notice_end
    # The county cannot be asked while the objection is open, not even after the notice ends.
    with (
        time_machine.travel(first_notice_end + dt.timedelta(days=1)),
        pytest.raises(ValidationError),
    ):
        actions.do_end_notice(app, acting_user=p.caseworker)

    # The caseworker reads it on the case page, with the contact to answer (a logged reveal).
    sign_in(client, p.caseworker)
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert "该户经营一家小卖部，收入未申报。" in page
    assert "objector@example.cn" in page  # in the step form of the one who answers
    assert AccessLog.objects.filter(
        user=p.caseworker, action=AccessLog.Action.REVEAL_PHONE, detail="objection"
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = resolve(
            client,
            app,
            answered_by="email",
            answer="We checked again: the shop was closed last year, so the objection is not upheld.",
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    app.refresh_from_db()
    assert case.state == "investigated"
    objection = Objection.objects.get()
    assert objection.finding == "not_upheld" and objection.resolved_by == p.caseworker
    assert objection.reasons == "经核实，小卖部已注销，无经营收入。"
    # The earlier investigation is in the history; the new one is the current one.
    assert app.findings.startswith("再次入户") and app.notice_end is None
    assert app.history.filter(findings="家中确无劳动力，孙子在读小学。").exists()
    # Answered by e-mail, once, in the language the objector wrote in.
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["objector@example.cn"]
    assert "Your objection to the public notice of case" in sent.subject
    assert "Finding: Not upheld" in sent.body and "the shop was closed" in sent.body
    assert objection.answered_at is not None
    assert send_objection_answers_task() == 0 and len(mail.outbox) == 1  # never twice
    # All on the timeline; the staff page shows the finding and the answer.
    assert case.events.filter(transition="resolve_objection").exists()
    assert case.events.filter(message="异议人的答复已通过电子邮件发出。").exists()
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert "不成立" in page and "经核实，小卖部已注销，无经营收入。" in page

    # Without a new notice the county cannot approve.
    case.refresh_from_db()
    actions.do_start_notice(app, acting_user=p.caseworker)
    app.refresh_from_db()
    assert app.notice_start == dt.date.today() and app.notice_end >= first_notice_end
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        actions.do_approve(app, acting_user=p.approver)
    assert Case.objects.get(pk=case.pk).state == "approved"


def test_an_upheld_objection_leads_to_a_proposed_refusal_the_county_cannot_approve(
    client, assistance_setup, household
):
    p = assistance_setup
    app = objected(p, household, contact="138 0013 8000")
    sign_in(client, p.caseworker)
    response = resolve(
        client,
        app,
        finding="upheld",
        reasons="小卖部仍在经营，月收入约3000元。",
        verified_income="3600",
        answered_by="phone",
        answer="经核实，您反映的情况属实。",
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.answered_by == "phone" and objection.answered_at is not None
    assert mail.outbox == []
    app.refresh_from_db()
    assert str(app.verified_income) == "3600.00"
    case = do_transition(
        app.case,
        "propose_refusal",
        acting_user=p.caseworker,
        reason="异议成立：家庭人均收入高于低保标准。",
    )
    assert case.state == "county_review" and case.office == p.county
    with pytest.raises(ValidationError) as refused:
        actions.do_approve(app, acting_user=p.approver)
    assert "公示" in str(refused.value)
    actions.do_refuse(app, acting_user=p.approver, reason="家庭人均收入高于当地低保标准。")
    assert Case.objects.get(pk=case.pk).state == "refused"


def test_the_finding_form_refuses_what_is_missing_and_keeps_the_case_where_it_was(
    client, assistance_setup, household
):
    p = assistance_setup
    app = objected(p, household, contact="13800138000")
    sign_in(client, p.caseworker)
    # A contact was left: how and what the objector was told are required.
    response = resolve(client, app)
    assert response.status_code == 400
    page = response.content.decode()
    assert "异议人留有联系方式：请说明如何答复。" in page
    assert "请填写告知异议人的内容。" in page
    # An e-mail answer to a telephone number.
    response = resolve(client, app, answered_by="email", answer="不成立。")
    assert "异议人没有留下电子邮箱。" in response.content.decode()
    # A visit before the objection was lodged is not an investigation of it.
    response = resolve(client, app, answered_by="phone", answer="不成立。", visit_date="2020-01-01")
    assert response.status_code == 400
    assert "新的调查日期不能早于异议提出的日期。" in response.content.decode()
    # No finding, no reasons.
    response = resolve(client, app, answered_by="phone", answer="x", finding="", reasons="")
    assert response.status_code == 400
    assert Case.objects.get(pk=app.case.pk).state == "objection"
    assert Objection.objects.get().resolved_at is None


def test_an_anonymous_objection_is_resolved_without_an_answer(client, assistance_setup, household):
    p = assistance_setup
    app = objected(p, household)
    sign_in(client, p.caseworker)
    response = resolve(client, app, answered_by="phone", answer="x")
    assert "异议人没有留下联系方式，无法答复。" in response.content.decode()
    assert resolve(client, app).status_code == 302
    objection = Objection.objects.get()
    assert objection.resolved_at is not None and objection.answered_by == ""


def test_staff_who_do_not_answer_see_the_contact_masked_and_others_nothing(
    client, assistance_setup, household
):
    p = assistance_setup
    app = objected(p, household, contact="13800138000")
    url = reverse("casework:case-detail", args=[app.case.pk])
    sign_in(client, p.approver)  # the county reads the case; the township answers
    page = page_text(client.get(url))
    assert "该户经营一家小卖部" in page and "138****8000" in page and "13800138000" not in page
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_PHONE).exists()
    sign_in(client, p.other_caseworker)
    assert client.get(url).status_code == 404
    assert resolve(client, app).status_code == 404
    sign_in(client, p.approver)  # may read the case, may not take the township's step
    response = resolve(client, app)
    assert response.status_code == 302
    assert "您无权对此办件执行此操作。" in page_text(client.get(response["Location"]))
    sign_in(client, p.citizen)
    assert resolve(client, app).status_code == 403
    assert Case.objects.get(pk=app.case.pk).state == "objection"


def test_the_public_objection_form_checks_the_contact(client, assistance_setup, household):
    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    url = reverse("assistance:objection", args=[app.pk])
    response = client.post(url, {"text": "收入未申报", "contact": "张三"})
    assert response.status_code == 200
    assert "请留下电话号码或电子邮箱，也可以不填。" in response.content.decode()
    response = client.post(url, {"text": "   ", "contact": ""})
    assert "请填写异议内容。" in response.content.decode()
    assert not Objection.objects.exists()
    client.cookies["lang"] = "en"
    response = client.post(url, {"text": "Undeclared income", "contact": "a@b.example"})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.language == "en" and objection.contact == "a@b.example"
    assert Case.objects.get(pk=app.case.pk).state == "objection"


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is away")


def test_an_answer_that_could_not_be_sent_goes_out_once_with_the_next_sweep(
    client, assistance_setup, household, settings, django_capture_on_commit_callbacks
):
    p = assistance_setup
    app = objected(p, household, contact="objector@example.cn")
    sign_in(client, p.caseworker)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = resolve(client, app, answered_by="email", answer="不成立。")
    assert response.status_code == 302
    assert Objection.objects.get().answered_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_objection_answers_task() == 1
    assert send_objection_answers_task() == 0
    assert len(mail.outbox) == 1 and "异议" in mail.outbox[0].subject  # zh: the default
    assert Objection.objects.get().answered_at is not None

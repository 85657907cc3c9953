"""The assistance pages: the citizen's steps with drafts, staff pages in jurisdiction only,
and the public notice without personal data."""

import datetime as dt

import pytest
from django.db.models import Q
from django.urls import reverse

from assistance import actions
from assistance.models import AssistanceApplication
from civilaffairs.casework.actions import do_claim_next, do_screen_and_route, do_transition
from civilaffairs.casework.models import Case
from tests.assistance.conftest import fill_dibao
from tests.auth import sign_in
from tests.pages import page_text

pytestmark = pytest.mark.django_db


def test_a_citizen_applies_step_by_step_and_can_resume_a_draft(client, assistance_setup, household):
    p = assistance_setup
    sign_in(client, p.citizen)
    response = client.post(reverse("assistance:apply-dibao"))
    app = AssistanceApplication.objects.get(case__applicant=p.citizen.person)
    assert response["Location"] == reverse("assistance:application-step", args=[app.pk, 1])
    step1 = reverse("assistance:application-step", args=[app.pk, 1])
    assert "李明" in client.get(step1).content.decode()  # household members from the master record
    response = client.post(
        step1, {"hardship_cause": "old_age", "situation": "年老", "save_exit": "1"}
    )
    assert response.status_code == 302
    # Starting again resumes the same draft at the step reached.
    response = client.post(reverse("assistance:apply-dibao"))
    assert response["Location"] == reverse("assistance:application-step", args=[app.pk, 2])
    members = list(app.case.household.current_members())
    data = {f"p{m.person_id}-wages": "0" for m in members}
    data[f"p{members[0].person_id}-transfer"] = "600"
    data[f"p{members[0].person_id}-age_allowance"] = "100"
    assert (
        client.post(reverse("assistance:application-step", args=[app.pk, 2]), data).status_code
        == 302
    )
    app.refresh_from_db()
    assert app.step == 3 and app.incomes.exists()  # the incomes saved with the step reached
    response = client.post(
        reverse("assistance:application-step", args=[app.pk, 3]),
        {
            "financial_assets": "5000",
            "vehicles": "0",
            "extra_housing": "0",
            "bank_name": "宁夏银行",
            "bank_account": "6222021234567890",
        },
    )
    assert response.status_code == 302
    assert client.post(reverse("assistance:application-step", args=[app.pk, 4])).status_code == 302
    page = page_text(client.get(reverse("assistance:application-step", args=[app.pk, 5])))
    assert "300.00" in page  # countable income per person; the age allowance is not counted
    assert "6222021234567890" not in page and "7890" in page
    response = client.post(
        reverse("assistance:application-step", args=[app.pk, 5]), {"declaration": "on"}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=app.case.pk).state == "submitted"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_refused_submission_keeps_neither_the_declaration_nor_the_state(
    client, assistance_setup, household, language
):
    """The last step signs the declaration and submits in one action: when the application
    is incomplete the page says what is missing, in the page's language, and nothing of it
    is kept (the tick included)."""
    from django.utils import translation

    p = assistance_setup
    sign_in(client, p.citizen)
    client.cookies["lang"] = language
    client.post(reverse("assistance:apply-dibao"))
    app = AssistanceApplication.objects.get(case__applicant=p.citizen.person)
    response = client.post(
        reverse("assistance:application-step", args=[app.pk, 5]), {"declaration": "on"}, follow=True
    )
    with translation.override(language):
        missing = translation.gettext("the bank account for payments")
    assert missing in page_text(response)
    app.refresh_from_db()
    assert not app.declaration and app.case.state == "draft"


def test_negative_income_is_refused_with_a_message_and_nothing_saved(
    client, assistance_setup, household
):
    p = assistance_setup
    sign_in(client, p.citizen)
    client.post(reverse("assistance:apply-dibao"))
    app = AssistanceApplication.objects.get(case__applicant=p.citizen.person)
    member = app.case.household.current_members().first()
    response = client.post(
        reverse("assistance:application-step", args=[app.pk, 2]),
        {f"p{member.person_id}-wages": "-5"},
    )
    assert response.status_code == 200
    assert app.incomes.count() == 0


def test_another_citizen_cannot_open_my_draft(client, assistance_setup, household):
    from tests.factories import PersonFactory, UserFactory

    p = assistance_setup
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    stranger = UserFactory(person=PersonFactory())
    sign_in(client, stranger)
    assert client.get(reverse("assistance:application-step", args=[app.pk, 1])).status_code == 404


def _app_in(state, p):
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    fill_dibao(app, p.citizen)
    actions.do_submit_application(app, acting_user=p.citizen)
    do_screen_and_route(app.case.pk)
    if state != "screened":
        case = do_claim_next(acting_user=p.caseworker)
        do_transition(case, "accept", acting_user=p.caseworker)
    return AssistanceApplication.objects.get(pk=app.pk)


STEPS = ["record_investigation", "start_notice", "approve", "complete_review"]


@pytest.mark.parametrize("name", STEPS)
def test_staff_of_another_county_get_404_on_every_assistance_step(
    client, assistance_setup, household, name
):
    """The domain's steps are posted to the case's one transition URL, which answers 404
    outside the user's jurisdiction and refuses a citizen."""
    p = assistance_setup
    app = _app_in("accepted", p)
    url = reverse("casework:case-transition", args=[app.case.pk, name])
    for user in (p.other_caseworker, p.other_approver):
        sign_in(client, user)
        assert client.post(url).status_code == 404
    sign_in(client, p.citizen)
    assert client.post(url).status_code == 403
    assert Case.objects.get(pk=app.case.pk).state == "accepted"


def test_staff_of_another_county_cannot_apply_for_someone_here(client, assistance_setup, household):
    p = assistance_setup
    sign_in(client, p.other_caseworker)
    url = reverse("assistance:assisted-start", args=[p.citizen.person.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "dibao"}).status_code == 404
    assert not AssistanceApplication.objects.exists()


def test_staff_apply_on_behalf_and_the_channel_is_recorded(client, assistance_setup, household):
    p = assistance_setup
    sign_in(client, p.caseworker)
    response = client.post(
        reverse("assistance:assisted-start", args=[p.citizen.person.pk]), {"kind": "tekun"}
    )
    app = AssistanceApplication.objects.get()
    assert response["Location"] == reverse("assistance:application-step", args=[app.pk, 1])
    assert app.case.channel == "assisted" and app.case.created_by == p.caseworker
    # The pages speak to the staff member filling it in, not to "you" the applicant.
    page = page_text(client.get(response["Location"]))
    assert "申请人情况" in page and "您的家庭" not in page
    sign_in(client, p.citizen)  # the applicant's own pages still speak to her
    own = page_text(client.get(response["Location"]))
    assert "申请人情况" not in own


def test_staff_on_the_assets_step_see_the_stored_bank_account_masked_and_keep_it_by_leaving_it_empty(
    client, assistance_setup, household
):
    p = assistance_setup
    sign_in(client, p.caseworker)
    client.post(reverse("assistance:assisted-start", args=[p.citizen.person.pk]), {"kind": "dibao"})
    app = fill_dibao(AssistanceApplication.objects.get(), p.caseworker)
    url = reverse("assistance:application-step", args=[app.pk, 3])
    page = page_text(client.get(url))
    assert "6222021234567890" not in page and 'placeholder="**** 7890"' in page
    data = {"financial_assets": "5000", "vehicles": "0", "extra_housing": "0"}
    assert (
        client.post(url, {**data, "bank_name": "宁夏银行", "bank_account": ""}).status_code == 302
    )
    app.refresh_from_db()
    assert app.bank_account == "6222021234567890"
    client.post(url, {**data, "bank_name": "宁夏银行", "bank_account": "6217001234567891234"})
    app.refresh_from_db()
    assert app.bank_account == "6217001234567891234"


def test_the_case_page_records_the_visit_through_the_steps_form(
    client, assistance_setup, household
):
    p = assistance_setup
    app = _app_in("accepted", p)
    sign_in(client, p.caseworker)
    page = client.get(reverse("casework:case-detail", args=[app.case.pk])).content.decode()
    assert 'name="t-record_investigation-visit_date"' in page
    url = reverse("casework:case-transition", args=[app.case.pk, "record_investigation"])
    prefix = "t-record_investigation-"
    response = client.post(url, {prefix + "visit_date": "2099-01-01", prefix + "findings": "x"})
    assert response.status_code == 400  # a future date is refused, on the form
    assert "入户调查日期不能晚于今天。" in response.content.decode()  # the caseworker reads Chinese
    assert Case.objects.get(pk=app.case.pk).state == "accepted"
    response = client.post(
        url,
        {
            prefix + "visit_date": dt.date.today().isoformat(),
            prefix + "findings": "属实",
            prefix + "neighbour_interviews": "",
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=app.case.pk).state == "investigated"
    app.refresh_from_db()
    assert app.findings == "属实" and app.visit_date == dt.date.today()


def test_the_public_notice_shows_no_personal_data(client, assistance_setup, household):
    p = assistance_setup
    app = _app_in("accepted", p)
    actions.do_record_investigation(
        app, acting_user=p.caseworker, visit_date=dt.date.today(), findings="属实"
    )
    actions.do_start_notice(app, acting_user=p.caseworker)
    page = page_text(client.get(reverse("assistance:notices")))
    person = p.citizen.person
    assert "王**" in page and "崇安社区居委会" in page and "1100.00" in page
    assert person.name not in page and person.id_number not in page
    assert "6222021234567890" not in page and "7890" not in page
    response = client.post(
        reverse("assistance:objection", args=[app.pk]), {"text": "有隐瞒收入", "contact": ""}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=app.case.pk).state == "objection"


def test_the_case_page_lists_declared_incomes_in_the_same_queries_for_any_household_size(
    client, assistance_setup, household, django_assert_num_queries
):
    """Each declared income names its member; the names come with the rows (no query per
    row), so a household of seven costs what a household of two does."""
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assistance.models import IncomeKind
    from civilaffairs.people.models import Membership
    from tests.factories import PersonFactory

    p = assistance_setup
    app = _app_in("accepted", p)
    sign_in(client, p.caseworker)
    url = reverse("casework:case-detail", args=[app.case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        html = client.get(url).content.decode()
    assert "李明" in html  # the grandson's income row names him
    # Five more members, each with an income row.
    for i in range(5):
        member = PersonFactory(name=f"成员{i}", hukou_region=p.citizen.person.hukou_region)
        Membership.objects.create(
            household=household, person=member, relation=Membership.Relation.OTHER_RELATIVE
        )
        app.incomes.create(person=member, kind=IncomeKind.WAGES, monthly_amount=Decimal(100))
    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert all(f"成员{i}" in html for i in range(5))


def test_the_per_capita_income_on_the_case_page_follows_the_rule(
    client, assistance_setup, household
):
    """per_capita_income() works from the declared rows the case page reads anyway (no
    aggregate queries of its own): uncounted kinds left out, members counted once, a
    verified income taking precedence, half-up rounding; it agrees with the same sums done
    in SQL, and the page shows it."""
    from decimal import Decimal

    from django.db.models import Count, Sum

    from assistance.models import IncomeKind

    p = assistance_setup
    app = _app_in("accepted", p)  # 600 counted + 100 age allowance (not counted), 2 members
    in_sql = app.incomes.aggregate(
        counted=Sum("monthly_amount", filter=Q(kind__in=IncomeKind.countable())),
        members=Count("person", distinct=True),
    )
    fresh = AssistanceApplication.objects.get(pk=app.pk)
    assert fresh.per_capita_income() == Decimal("300.00")
    assert fresh.per_capita_income() == in_sql["counted"] / in_sql["members"]
    sign_in(client, p.caseworker)
    page = client.get(reverse("casework:case-detail", args=[app.case.pk])).content.decode()
    assert "300.00" in page
    AssistanceApplication.objects.filter(pk=app.pk).update(verified_income=Decimal("1000.01"))
    fresh = AssistanceApplication.objects.get(pk=app.pk)
    assert fresh.per_capita_income() == Decimal("500.01")


def test_the_application_steps_are_listed_in_the_readers_language(
    client, assistance_setup, household
):
    p = assistance_setup
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    sign_in(client, p.citizen)
    url = reverse("assistance:application-step", args=[app.pk, 1])
    client.cookies["lang"] = "en"
    page = page_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Household income" in page and "家庭收入" not in page
    client.cookies["lang"] = "zh-hans"
    page = page_text(client.get(url))
    assert "家庭收入" in page and "Household income" not in page


def test_a_bank_account_typed_on_the_assets_step_is_kept_when_another_field_is_wrong(
    client, assistance_setup, household
):
    """With vehicles at -1, the page came back with every field but the account just typed
    (found walking the 低保 application); the stored account stays out of the page."""
    p = assistance_setup
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    sign_in(client, p.citizen)
    url = reverse("assistance:application-step", args=[app.pk, 3])
    sent = {
        "financial_assets": "5000",
        "vehicles": "-1",
        "extra_housing": "0",
        "bank_name": "宁夏银行",
        "bank_account": "6217001234567891234",
    }
    response = client.post(url, sent)
    page = page_text(response, 200)
    assert 'value="6217001234567891234"' in page
    app.refresh_from_db()
    assert app.bank_account == ""  # nothing saved with the error
    # A stored account is still never written into the page, on an error either.
    AssistanceApplication.objects.filter(pk=app.pk).update(bank_account="6222021234567890")
    page = page_text(client.post(url, {**sent, "bank_account": ""}), 200)
    assert "6222021234567890" not in page and 'placeholder="**** 7890"' in page

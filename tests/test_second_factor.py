"""The second factor of staff and administrators (issue #14 item 5): who is asked, where, how
wrong codes are refused and slowed down, recovery codes, and an administrator's reset."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from civilaffairs.accounts import second_factor
from civilaffairs.accounts.actions import do_verify_second_factor
from civilaffairs.accounts.forms import RecoveryCodeForm, SecondFactorCodeForm
from civilaffairs.accounts.models import AccessLog, User
from tests.auth import a_code_other_than, a_wrong_code, sign_in, totp_code, totp_device
from tests.factories import PASSWORD
from tests.sql import statements

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/second-factor/"
SETUP = "/accounts/second-factor/setup/"


def log_in_with_password(client, user):
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, "the password was refused"
    return client


def zh(text: str) -> str:
    """A message as the page shows it: in Chinese (the default) and HTML-escaped."""
    with translation.override("zh-hans"):
        return escape(str(text() if callable(text) else translation.gettext(text)))


def assert_sent_to_second_factor(response, next_url: str):
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={next_url}"


def enrol_through_the_pages(client, user) -> list[str]:
    """Set the app up as a member of staff would: the setup page's secret, the code for it,
    then the recovery codes page. Returns the recovery codes it showed."""
    page = client.get(SETUP)
    assert page.status_code == 200
    key = client.session[second_factor.SETUP_KEY_SESSION_KEY]
    assert second_factor.base32_secret(key) in page.content.decode()
    response = client.post(SETUP, {"code": second_factor.code_at(key), "next": "/staff/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:recovery-codes") + "?next=%2Fstaff%2F"
    return client.get(response["Location"]).context["codes"]


# ------------------------------------------------------------------ who is asked, where


@pytest.mark.parametrize(
    "who, url_name",
    [
        ("caseworker", "casework:queue-office"),  # a staff page
        ("caseworker", "cases:my-cases"),  # a citizen's page
        ("caseworker", "portal:home"),  # the public home page
        ("admin", "admin:index"),  # the Django admin
        ("admin", "admin:accounts_user_changelist"),
        ("admin", "casework:queue-office"),
    ],
)
def test_staff_who_gave_only_the_password_are_sent_to_the_second_factor_from_any_page(
    client, personas, who, url_name
):
    log_in_with_password(client, getattr(personas, who))
    url = reverse(url_name)
    assert_sent_to_second_factor(client.get(url), url)


def test_the_admins_own_login_form_is_no_way_around_the_second_factor(client, personas):
    response = client.post(
        reverse("admin:login"),
        {"username": "admin", "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302  # the password was right
    assert_sent_to_second_factor(client.get("/admin/"), "/admin/")
    assert_sent_to_second_factor(client.get(reverse("admin:login")), reverse("admin:login"))


def test_without_an_app_the_second_factor_page_sends_staff_to_set_one_up(client, personas):
    log_in_with_password(client, personas.approver)
    response = client.get(f"{VERIFY}?next=/staff/cases/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fstaff%2Fcases%2F"


def test_a_right_code_leads_on_to_the_page_that_was_asked_for(client, personas):
    log_in_with_password(client, personas.caseworker)
    queue = reverse("casework:queue-office")
    response = client.post(VERIFY, {"code": totp_code(personas.caseworker), "next": queue})
    assert response.status_code == 302 and response["Location"] == queue
    assert client.get(queue).status_code == 200


def test_a_next_address_on_another_site_is_not_followed(client, personas):
    log_in_with_password(client, personas.caseworker)
    response = client.post(
        VERIFY, {"code": totp_code(personas.caseworker), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    "next_url",
    ["/\r\nSet-Cookie: x=1", "//evil.example/", "\\\\evil.example", "java\nscript:x", "queue"],
)
def test_a_hostile_next_address_never_leaves_the_site_nor_breaks_the_page(
    client, personas, next_url
):
    totp_device(personas.caseworker)
    log_in_with_password(client, personas.caseworker)
    assert client.get(VERIFY, {"next": next_url}).status_code == 200
    response = client.post(VERIFY, {"code": totp_code(personas.caseworker), "next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\n" not in location and "\r" not in location


def test_a_next_address_with_a_nul_is_refused_before_the_page(client, personas):
    """A NUL is refused for every page (portal.middleware.BadInputMiddleware): 400, and the
    member of staff is still asked for the second factor."""
    totp_device(personas.caseworker)
    log_in_with_password(client, personas.caseworker)
    assert client.get(VERIFY, {"next": "/\x00"}).status_code == 400
    response = client.post(VERIFY, {"code": totp_code(personas.caseworker), "next": "/\x00"})
    assert response.status_code == 400
    assert client.get(reverse("casework:queue-office")).status_code == 302


def test_the_language_switch_and_logging_out_work_before_the_second_factor(client, personas):
    totp_device(personas.caseworker)
    log_in_with_password(client, personas.caseworker)
    response = client.post(reverse("set_language"), {"language": "en", "next": VERIFY})
    assert response.status_code == 302 and response["Location"] == VERIFY
    page = client.get(VERIFY)
    assert page.status_code == 200 and "Enter your one-time code" in page.content.decode()
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_htmx_request_before_the_second_factor_sends_the_whole_window_there(client, personas):
    log_in_with_password(client, personas.caseworker)
    queue = reverse("casework:queue-office")
    response = client.get(queue, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{VERIFY}?next={queue}"


def test_a_post_before_the_second_factor_changes_nothing_and_is_sent_to_it(client, personas):
    log_in_with_password(client, personas.caseworker)
    response = client.post(reverse("accounts:profile"), {"phone": "13911112222", "address": ""})
    assert response.status_code == 302 and response["Location"] == VERIFY
    personas.caseworker.refresh_from_db()
    assert personas.caseworker.phone == ""


def test_a_verified_staff_page_asks_the_database_nothing_about_the_second_factor(
    client, personas, settings
):
    sign_in(client, personas.caseworker)
    queue = reverse("casework:queue-office")

    def queries():
        client.get(queue)  # caches warm
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(queue).status_code == 200
        return statements(ctx)

    checked = queries()
    assert [sql for sql in checked if "otp_" in sql] == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "SecondFactor" not in m]
    assert len(checked) == len(queries())  # the same page without the check


# ------------------------------------------------------------------ wrong codes


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(client, personas):
    user = personas.caseworker
    log_in_with_password(client, user)
    # The clock stands still between the two tries: the second comes within the second.
    with time_machine.travel(timezone.now(), tick=False):
        wrong = client.post(VERIFY, {"code": a_wrong_code(user)})
        assert wrong.status_code == 200
        assert zh(second_factor.wrong_app_code_message) in wrong.content.decode()

        # Even the right code is not looked at until the wait is over.
        too_soon = client.post(VERIFY, {"code": totp_code(user)})
        assert too_soon.status_code == 200
        assert zh(lambda: second_factor.throttled_message(None)) in too_soon.content.decode()
    assert_sent_to_second_factor(client.get("/staff/"), "/staff/")

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2), tick=False):
        later = client.post(VERIFY, {"code": totp_code(user)})
    assert later.status_code == 302
    device = TOTPDevice.objects.get(user=user)
    assert device.throttling_failure_count == 0  # a right code resets the wait


def test_each_wrong_code_doubles_the_wait(personas):
    user = personas.caseworker
    wrong = a_wrong_code(user)
    start = timezone.now()
    for failures, wait in enumerate([1, 2, 4, 8], start=1):
        with time_machine.travel(start + dt.timedelta(seconds=100 * failures), tick=False):
            with pytest.raises(ValidationError) as refused:
                do_verify_second_factor(user, acting_user=user, code=wrong)
            # Asked, and wrong (not refused unasked: the last wait was over).
            assert refused.value.messages == [second_factor.wrong_app_code_message()]
            device = TOTPDevice.objects.get(user=user)
            assert device.throttling_failure_count == failures
            allowed, info = device.verify_is_allowed()
            assert not allowed
            assert info["locked_until"] - device.throttling_failure_timestamp == dt.timedelta(
                seconds=wait
            )


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "²²²²²²", "١٢٣٤٥٦", "12 34 5"])
def test_a_code_that_is_not_six_digits_is_refused_with_a_clear_message(typed):
    with translation.override("en"):
        form = SecondFactorCodeForm({"code": typed})
        assert not form.is_valid()
        assert form.errors["code"] == ["Please enter the 6 digits your app shows."]


def test_a_code_with_a_nul_character_is_refused_with_a_clear_message():
    with translation.override("en"):
        form = SecondFactorCodeForm({"code": "123\x00456"})
        assert not form.is_valid()
        assert form.errors["code"] == ["Null characters are not allowed."]


def test_a_code_typed_in_full_width_digits_or_with_spaces_is_read_as_its_digits():
    form = SecondFactorCodeForm({"code": "１２３\u3000４５６ "})
    assert form.is_valid()
    assert form.cleaned_data["code"] == "123456"


def test_a_code_already_used_does_not_work_a_second_time(client, personas):
    user = personas.caseworker
    code = totp_code(user)
    log_in_with_password(client, user)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    other = type(client)()
    log_in_with_password(other, user)
    replay = other.post(VERIFY, {"code": code})
    assert replay.status_code == 200
    assert zh(second_factor.wrong_app_code_message) in replay.content.decode()


# ------------------------------------------------------------------ enrolment, recovery codes


def test_setting_up_the_app_shows_a_qr_code_and_the_key_then_the_recovery_codes_once(
    client, personas
):
    user = personas.supervisor
    log_in_with_password(client, user)
    page = client.get(SETUP).content.decode()
    assert re.search(r'<div[^>]*role="img"[^>]*aria-label="[^"]+"[^>]*><svg', page)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert not TOTPDevice.objects.filter(user=user).exists()  # nothing kept before confirming

    key = client.session[second_factor.SETUP_KEY_SESSION_KEY]
    wrong = client.post(SETUP, {"code": a_code_other_than(key)})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(user=user).exists()

    codes = enrol_through_the_pages(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=user).confirmed
    assert (
        sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
        == codes
    )
    again = client.get(reverse("accounts:recovery-codes")).content.decode()
    assert not any(code in again for code in codes)  # shown once
    assert client.get(reverse("casework:queue-office")).status_code == 200  # verified


def test_with_an_app_set_up_a_password_alone_cannot_set_up_another(client, personas):
    user = personas.caseworker
    totp_device(user)
    log_in_with_password(client, user)
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    response = client.post(SETUP, {"code": "123456"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_a_recovery_code_works_once(client, personas):
    user = personas.approver
    log_in_with_password(client, user)
    codes = enrol_through_the_pages(client, user)
    client.post(reverse("accounts:logout"))

    log_in_with_password(client, user)
    typed = f"{codes[0][:4].upper()}-{codes[0][4:].upper()}"  # as printed, in capitals
    used = client.post(VERIFY, {"recovery_code": typed, "next": "/staff/"})
    assert used.status_code == 302 and used["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9
    client.post(reverse("accounts:logout"))

    log_in_with_password(client, user)
    again = client.post(VERIFY, {"recovery_code": codes[0]})
    assert again.status_code == 200
    assert zh(second_factor.wrong_recovery_code_message) in again.content.decode()
    assert_sent_to_second_factor(client.get("/staff/"), "/staff/")


def test_a_recovery_code_of_the_wrong_shape_is_refused_with_a_clear_message():
    with translation.override("en"):
        form = RecoveryCodeForm({"recovery_code": "abc"})
        assert not form.is_valid()
        assert form.errors["recovery_code"] == [
            "A recovery code has 8 letters and digits, for example abcd2345."
        ]


def test_a_new_set_of_recovery_codes_ends_the_old_one(client, personas):
    user = personas.approver
    log_in_with_password(client, user)
    old = enrol_through_the_pages(client, user)
    response = client.post(reverse("accounts:recovery-codes"))
    new = client.get(response["Location"]).context["codes"]
    assert len(new) == 10 and not set(old) & set(new)
    assert StaticDevice.objects.filter(user=user).count() == 1


# ------------------------------------------------------------------ the administrator's reset


def test_the_administrators_reset_is_logged_ends_the_sessions_and_asks_for_a_new_app(
    client, personas
):
    user, admin = personas.caseworker, personas.admin
    enrol_through_the_pages(log_in_with_password(client, user), user)
    queue = reverse("casework:queue-office")
    assert client.get(queue).status_code == 200

    admin_browser = sign_in(type(client)(), admin)
    before = timezone.now()
    response = admin_browser.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302

    entry = AccessLog.objects.get(action=AccessLog.Action.RESET_SECOND_FACTOR)
    assert entry.user == admin  # who
    assert entry.content_type == ContentType.objects.get_for_model(User)
    assert entry.object_id == str(user.pk)  # whom
    assert entry.at >= before  # when
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()

    # The session that had passed the second factor is over ...
    ended = client.get(queue)
    assert ended.status_code == 302 and ended["Location"].startswith(reverse("accounts:login"))
    # ... and after the password they set up a new app.
    log_in_with_password(client, user)
    assert_sent_to_second_factor(client.get(queue), queue)
    assert client.get(VERIFY)["Location"].startswith(SETUP)
    # The administrator's own session goes on.
    assert admin_browser.get(reverse("admin:index")).status_code == 200


def test_the_user_list_shows_who_has_set_up_a_second_factor(client, personas):
    totp_device(personas.caseworker)
    sign_in(client, personas.admin)
    page = client.get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200
    rows = {u.username: u._has_second_factor for u in page.context["cl"].result_list}
    assert rows["caseworker"] is True and rows["approver"] is False


# ------------------------------------------------------------------ citizens


def test_citizens_never_see_any_of_it(client, personas):
    citizen = personas.citizen
    log_in_with_password(client, citizen)
    for url in ("/", reverse("cases:my-cases"), reverse("accounts:profile")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "second-factor" not in response.content.decode(), url
    for url in (VERIFY, SETUP, reverse("accounts:recovery-codes")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/", url
    assert not TOTPDevice.objects.filter(user=citizen).exists()
    assert not StaticDevice.objects.filter(user=citizen).exists()
    assert second_factor.SETUP_KEY_SESSION_KEY not in client.session

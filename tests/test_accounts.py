import datetime as dt

import pytest
from django.urls import reverse

from civilaffairs.accounts.models import User
from civilaffairs.lib import idnumber
from civilaffairs.people.models import Person
from tests.auth import sign_in, totp_code
from tests.factories import PASSWORD, PersonFactory, UserFactory, valid_id
from tests.pages import page_text
from tests.sql import statements

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "黄河远上白云间-2026"


def signup(client, **overrides):
    data = {
        "name": "赵桂芳",
        "id_number": valid_id("640104", dt.date(1962, 8, 9), "F"),
        "phone": "13712345678",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("accounts:signup"), data), data


def test_sign_up_creates_the_person_and_binds_the_account(client, regions):
    response, data = signup(client)
    assert response.status_code == 302
    user = User.objects.get(phone="13712345678")
    assert user.person.id_number == data["id_number"]
    assert user.person.birth_date == dt.date(1962, 8, 9)
    assert user.person.sex == "F"
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_sign_up_binds_to_the_existing_person_record(client, regions):
    person = PersonFactory(name="赵桂芳", sex="F", birth_date=dt.date(1962, 8, 9))
    response, _ = signup(client, id_number=person.id_number)
    assert response.status_code == 302
    assert User.objects.get(phone="13712345678").person_id == person.pk
    assert Person.objects.filter(id_number=person.id_number).count() == 1


def test_sign_up_with_a_wrong_check_digit_is_refused_with_the_reason_and_nothing_saved(
    client, regions
):
    good = valid_id("640104", dt.date(1962, 8, 9), "F")
    wrong_last = "0" if good[-1] != "0" else "1"
    response, _ = signup(client, id_number=good[:-1] + wrong_last)
    assert response.status_code == 200
    assert "check digit" in response.content.decode() or "校验" in response.content.decode()
    assert not User.objects.filter(phone="13712345678").exists()
    assert not Person.objects.filter(name="赵桂芳").exists()


def test_the_check_digit_error_is_shown_in_chinese_by_default(client, regions):
    good = valid_id("640104", dt.date(1962, 8, 9), "F")
    response, _ = signup(client, id_number=good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert "校验位" in response.content.decode()


def test_sign_up_with_a_name_that_does_not_match_the_record_is_refused(client, regions):
    person = PersonFactory(name="钱文华")
    response, _ = signup(client, id_number=person.id_number, name="孙文华")
    assert response.status_code == 200
    assert not User.objects.filter(phone="13712345678").exists()


def test_one_account_per_person(client, regions):
    person = PersonFactory(name="赵桂芳", sex="F", birth_date=dt.date(1962, 8, 9))
    UserFactory(person=person, phone="13700000000", username="13700000000")
    response, _ = signup(client, id_number=person.id_number)
    assert response.status_code == 200
    assert User.objects.filter(person=person).count() == 1


@pytest.mark.parametrize("password", ["short-1", "password1234", "123456789012345"])
def test_weak_passwords_are_refused(client, regions, password):
    response, _ = signup(client, password1=password, password2=password)
    assert response.status_code == 200
    assert not User.objects.filter(phone="13712345678").exists()


def test_an_unknown_address_code_is_refused(client, regions):
    response, _ = signup(client, id_number=idnumber.make("990101", dt.date(1962, 8, 9), 22))
    assert response.status_code == 200
    assert "990101" in response.content.decode()


def test_citizens_log_in_with_their_mobile_number(client, regions):
    UserFactory(username="13612345678", phone="13612345678")
    response = client.post(
        reverse("accounts:login"), {"username": "13612345678", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_five_failed_logins_lock_the_account_for_a_while(client, regions):
    UserFactory(username="13612345678", phone="13612345678")
    for _ in range(5):
        client.post(
            reverse("accounts:login"), {"username": "13612345678", "password": "wrong-password-x"}
        )
    response = client.post(
        reverse("accounts:login"), {"username": "13612345678", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, regions):
    user = UserFactory()
    sign_in(client, user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


def test_a_citizen_updates_contact_details_with_history(client, regions):
    person = PersonFactory()
    user = UserFactory(person=person, phone="13600000000", username="13600000000")
    sign_in(client, user)
    response = client.post(
        reverse("accounts:profile"), {"phone": "13600000009", "address": "新地址 1 号"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    user.refresh_from_db()
    assert user.phone == "13600000009" and user.username == "13600000009"
    assert person.address == "新地址 1 号"
    assert person.history.first().history_user == user


def test_a_taken_mobile_number_is_refused_on_the_profile(client, regions):
    UserFactory(phone="13600000009", username="other")
    user = UserFactory(person=PersonFactory(), phone="13600000000", username="13600000000")
    sign_in(client, user)
    response = client.post(reverse("accounts:profile"), {"phone": "13600000009", "address": ""})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.phone == "13600000000"


def _staffrole_reads(ctx) -> int:
    return sum("accounts_staffrole" in sql for sql in statements(ctx))


def test_a_citizens_pages_do_not_ask_for_staff_roles_and_a_new_role_shows_at_once(client, personas):
    """Signed in through the form, the user is read with their grants in one statement, so
    no page queries the roles a second time; a role granted to them shows on their next page,
    and staff get their grants the same way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civilaffairs.accounts.actions import do_grant_role, do_revoke_role

    citizen = personas.citizen
    response = client.post(
        reverse("accounts:login"), {"username": citizen.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    workspace = reverse("staff:workspace")
    with CaptureQueriesContext(connection) as ctx:
        page = page_text(client.get(reverse("cases:my-cases")))
    assert _staffrole_reads(ctx) == 1  # the user's own read, nothing more
    assert f'href="{workspace}"' not in page
    assert client.get(workspace).status_code == 403  # the check itself, not only the link
    grant = do_grant_role(citizen, personas.township, "caseworker", acting_user=None)
    # Staff now: the very next page asks for the second factor first.
    response = client.get(reverse("cases:my-cases"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second-factor"))
    client.post(reverse("accounts:second-factor"), {"code": totp_code(citizen)})
    page = client.get(reverse("cases:my-cases")).content.decode()
    assert f'href="{workspace}"' in page
    assert client.get(workspace).status_code == 200
    do_revoke_role(grant, acting_user=None)
    assert client.get(workspace).status_code == 403
    # A member of staff signed in the same way gets their grants with the user, too.
    client.post(reverse("accounts:logout"))
    client.post(
        reverse("accounts:login"),
        {"username": personas.caseworker.username, "password": PASSWORD},
    )
    client.post(reverse("accounts:second-factor"), {"code": totp_code(personas.caseworker)})
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("casework:queue-office")).content.decode()
    assert _staffrole_reads(ctx) == 1
    assert f'href="{workspace}"' in page


def test_the_signed_in_user_comes_with_their_permissions_in_one_statement(personas):
    """The session's user is read with their grants and permissions together
    (access.user_with_grants): has_perm, which the staff menu asks on every staff page for the
    import link, costs no query, and answers what Django's own reading would."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Group, Permission
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civilaffairs.accounts.backends import PhoneOrUsernameBackend

    staff_user = personas.caseworker
    staff_user.user_permissions.add(Permission.objects.get(codename="run_import"))
    group = Group.objects.create(name="registry clerks")
    group.permissions.add(Permission.objects.get(codename="view_person"))
    staff_user.groups.add(group)
    with CaptureQueriesContext(connection) as read:
        user = PhoneOrUsernameBackend().get_user(staff_user.pk)
        assert user.has_perm("imports.run_import") and user.has_perm("people.view_person")
        assert not user.has_perm("people.delete_person")
    assert len(read) == 1
    fresh = User.objects.get(pk=staff_user.pk)
    assert user.get_all_permissions() == ModelBackend().get_all_permissions(fresh)
    assert PhoneOrUsernameBackend().get_user(personas.citizen.pk).get_all_permissions() == set()
    # A superuser has every permission there is, as Django says, not only the rows they hold.
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    read = PhoneOrUsernameBackend().get_user(root.pk)
    assert read.has_perm("people.delete_person")
    assert read.get_all_permissions() == ModelBackend().get_all_permissions(
        User.objects.get(pk=root.pk)
    )
    assert len(read.get_all_permissions()) == Permission.objects.count()

"""The demo's second factor: every demo member of staff has the committed demo key, nobody
else has an app, `manage.py demo_otp_code` gives a code the site accepts, and `make run`'s
banner lists every README login and marks exactly the staff."""

import importlib.util
import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from civilaffairs.accounts import second_factor
from civilaffairs.accounts.models import User
from civilaffairs.portal import demo
from tests.factories import PASSWORD

from .conftest import ROLES

ROOT = Path(__file__).resolve().parents[2]
DEMO_KEY = second_factor.key_from_base32(demo.DEMO_TOTP_SECRET)


def devserver():
    spec = importlib.util.spec_from_file_location("devserver", ROOT / "scripts" / "devserver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readme_logins() -> list[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("### Demo logins", 1)[1].split("\n\n| user name |", 1)[1]
    rows = table.split("\n\n", 1)[0].splitlines()[2:]
    return [re.match(r"\| `([^`]+)`", row).group(1) for row in rows]


def test_every_demo_member_of_staff_has_the_demo_app_and_nobody_else_has_one(world, db):
    apps = {d.user_id: d for d in TOTPDevice.objects.all()}
    staff = 0
    for user in User.objects.all():
        if second_factor.requires_second_factor(user):
            staff += 1
            device = apps.get(user.pk)
            assert device is not None and device.confirmed, f"{user.username} has no app"
            assert device.key == DEMO_KEY, user.username
        else:
            assert user.pk not in apps, f"{user.username} is not staff but has an app"
    assert staff > 300  # the generated tw…/cw…/ap…/sv…/rg… staff are among them
    for role in ("caseworker", "registrar", "childworker", "director", "admin"):
        assert world.user(role).pk in apps, role


def test_loading_the_demo_again_gives_no_one_a_second_app(world, db):
    before = TOTPDevice.objects.count()
    demo.give_staff_the_demo_second_factor(log=lambda *args: None)
    assert TOTPDevice.objects.count() == before


def test_the_demo_code_command_gives_a_code_the_second_factor_page_accepts(world, db, client):
    user = world.user("caseworker")
    user.set_password(PASSWORD)  # the test settings' fast hasher
    user.save()
    client.post(reverse("accounts:login"), {"username": "caseworker", "password": PASSWORD})
    queue = reverse("casework:queue-office")
    assert client.get(queue).status_code == 302  # the password alone is not enough

    out = io.StringIO()
    call_command("demo_otp_code", "caseworker", stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    assert re.fullmatch(r"[0-9]{6}", code)
    assert client.post(reverse("accounts:second-factor"), {"code": code}).status_code == 302
    assert client.get(queue).status_code == 200

    # The next code for the same account is a new one: a code works once per account.
    again = io.StringIO()
    call_command("demo_otp_code", "caseworker", stdout=again, stderr=io.StringIO())
    assert again.getvalue().strip() != code


def test_the_demo_code_command_without_a_user_name_needs_no_database():
    before = second_factor.code_at(DEMO_KEY)
    out = io.StringIO()
    call_command("demo_otp_code", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() in {before, second_factor.code_at(DEMO_KEY)}


def test_the_demo_code_command_refuses_accounts_without_the_demo_key(world, db):
    with pytest.raises(CommandError, match="no authenticator app"):
        call_command("demo_otp_code", "citizen", stdout=io.StringIO())
    TOTPDevice.objects.filter(user=world.user("approver")).update(key="00" * 20)
    with pytest.raises(CommandError, match="does not use the demo secret"):
        call_command("demo_otp_code", "approver", stdout=io.StringIO())


def test_the_make_run_banner_lists_every_readme_login_and_marks_exactly_the_staff(world, db):
    script = devserver()
    accounts = {name: staff for name, _zh, _en, staff in script.DEMO_ACCOUNTS}
    assert list(accounts) == readme_logins()
    assert set(accounts) <= set(ROLES)
    for name, staff in accounts.items():
        assert second_factor.requires_second_factor(world.user(name)) == staff, name
    assert script.DEMO_TOTP_SECRET == demo.DEMO_TOTP_SECRET
    assert script.DEMO_PASSWORD == demo.DEMO_PASSWORD
    banner = script.banner("http://127.0.0.1:8000/")
    for name in accounts:
        assert f"  {name} " in banner
    assert demo.DEMO_TOTP_SECRET in banner and "demo_otp_code" in banner

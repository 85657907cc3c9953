"""Signing a test client in.

`sign_in` is the one way tests sign a user in without the login form: it stands for a login
that has passed every step the site asks for (password and, for staff, the second factor).
Browser tests log in through the forms and, for staff, type the code `totp_code` gives.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from civilaffairs.accounts import second_factor
from civilaffairs.accounts.access import forget_grants

# The secret of the app tests give to staff who have none yet (base32, as an app shows it).
TEST_TOTP_SECRET = "TEST TOTP SECR ETFO RSTA FFAC COUN TS22"


def needs_second_factor(user) -> bool:
    forget_grants(user)  # roles granted since the object was read count too
    return second_factor.requires_second_factor(user)


def totp_device(user) -> TOTPDevice:
    """The user's confirmed authenticator app: the one they have (the demo data's, say), or
    one set up now with TEST_TOTP_SECRET."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user,
            name="test authenticator app",
            key=second_factor.key_from_base32(TEST_TOTP_SECRET),
            confirmed=True,
        )
    return device


def totp_code(user) -> str:
    """A code the user's app would show that the site accepts now: the current one, or the
    next one when the current one was used already (each code works once per account; the
    site accepts the next one early, within its tolerance)."""
    device = totp_device(user)
    device.refresh_from_db()
    step = max(second_factor.step_now(), device.last_t + 1)
    return second_factor.code_at(device.key, step * second_factor.STEP)


def a_code_other_than(key: str) -> str:
    """Six digits that none of the codes the site would accept now for this secret is."""
    step = second_factor.step_now()
    accepted = {second_factor.code_at(key, (step + d) * second_factor.STEP) for d in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in accepted)


def a_wrong_code(user) -> str:
    return a_code_other_than(totp_device(user).key)


def sign_in(client, user):
    client.force_login(user)
    if needs_second_factor(user):
        # What the second-factor page does on a right code (django-otp's own login).
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
    return client


def pass_second_factor(page, user):
    """In a browser, right after the password was submitted: for staff, type the code their
    app shows now and land where the login was going; for anyone else, nothing. `user` is a
    User or a user name. A member of staff without an app is given one (TEST_TOTP_SECRET)
    rather than sent through the enrolment, which has tests of its own."""
    import re

    from playwright.sync_api import expect

    from civilaffairs.accounts.forms import SecondFactorCodeForm
    from civilaffairs.accounts.models import User
    from tests.browser.conftest import label_of, label_pattern

    if isinstance(user, str):
        user = User.objects.get(username=user)
    if not needs_second_factor(user):
        return
    totp_device(user)
    if "/second-factor/setup/" in page.url:
        page.goto(page.url.replace("/second-factor/setup/", "/second-factor/"))
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/"))
    language = "en" if page.locator("html").get_attribute("lang") == "en" else "zh-hans"
    field = page.get_by_label(label_pattern(label_of(SecondFactorCodeForm, "code", language)))
    field.fill(totp_code(user))
    with page.expect_navigation():
        field.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/accounts/second-factor/"))

"""State changes of accounts, offices and staff roles."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.actions import do_register_person
from civilaffairs.people.models import Person, Region

from .access import forget_grants, log_access
from .models import AccessLog, Office, StaffRole, User


@transaction.atomic
def do_register_citizen(
    *, name: str, id_number: str, phone: str, password: str, elder_mode=False
) -> User:
    """Real-name sign-up: the name and ID number must match the master record when the person
    is known, and create the record when not. One account per person."""
    name = name.strip()
    phone = phone.strip()
    person, created = do_register_person(
        acting_user=None, name=name, id_number=id_number, phone=phone
    )
    if not created and person.name != name:
        # Do not say which part is wrong: that would let anyone probe names behind ID numbers.
        raise ValidationError(
            _("The name and ID number do not match our records."), code="name_mismatch"
        )
    if not created and person.date_of_death is not None:
        raise ValidationError(
            _("The name and ID number do not match our records."), code="name_mismatch"
        )
    if User.objects.filter(person=person).exists():
        raise ValidationError(
            _(
                "An account already exists for this ID number. Please log in, or ask any township office to help you recover it."
            ),
            code="account_exists",
        )
    if User.objects.filter(phone=phone).exists() or User.objects.filter(username=phone).exists():
        raise ValidationError(
            {"phone": _("This mobile number is already used by another account.")}
        )
    user = User(username=phone, phone=phone, person=person, first_name=name, elder_mode=elder_mode)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            _("An account already exists for this ID number or mobile number.")
        ) from None
    return user


@transaction.atomic
def do_set_elder_mode(user: User, *, acting_user, enabled: bool) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.elder_mode = enabled
    user.save(update_fields=["elder_mode"])
    return user


@transaction.atomic
def do_set_language(user: User, *, acting_user, language: str) -> User:
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


@transaction.atomic
def do_create_office(
    *, acting_user, name: str, region: Region, level: int | None = None, services=(), **fields
) -> Office:
    office = Office(
        name=name,
        region=region,
        level=level or min(region.level, Office.Level.COMMUNITY),
        services=sorted(set(services)),
        **fields,
    )
    office.sync_region_prefix()
    office.full_clean()
    return _save(office, acting_user)


@transaction.atomic
def do_update_office(office: Office, *, acting_user, **changes) -> Office:
    office = Office.objects.select_for_update().get(pk=office.pk)
    for k, v in changes.items():
        setattr(office, k, v)
    office.sync_region_prefix()
    office.full_clean()
    return _save(office, acting_user)


@transaction.atomic
def do_grant_role(
    user: User, office: Office, role: str, *, acting_user, max_confidentiality=None
) -> StaffRole:
    level = (
        max_confidentiality
        if max_confidentiality is not None
        else StaffRole.DEFAULT_LEVEL.get(role, Confidentiality.CONFIDENTIAL)
    )
    grant = (
        StaffRole.objects.select_for_update().filter(user=user, office=office, role=role).first()
    )
    if grant is None:
        grant = StaffRole(user=user, office=office, role=role)
    grant.max_confidentiality = level
    grant.is_active = True
    _save(grant, acting_user)
    forget_grants(user)
    return grant


@transaction.atomic
def do_revoke_role(grant: StaffRole, *, acting_user) -> StaffRole:
    grant = StaffRole.objects.select_for_update().get(pk=grant.pk)
    grant.is_active = False
    _save(grant, acting_user)
    forget_grants(grant.user)
    return grant


def do_reveal_id_number(person: Person, *, acting_user, request=None) -> str:
    """The full number, for a user with the permission; every reveal is logged."""
    if not acting_user.has_perm("accounts.reveal_id_number"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    log_access(acting_user, AccessLog.Action.REVEAL_ID, person, request=request)
    return person.id_number or ""


def do_log_look_up(person: Person, *, acting_user, request=None):
    """A member of staff opened a person's record without a case of theirs for it: kept, and
    shown to the person on "who used my data" (exchange.pages.my_data_uses)."""
    return log_access(acting_user, AccessLog.Action.VIEW_RECORD, person, request=request)


def do_reveal_phone(person: Person, *, acting_user, request=None) -> str:
    if not acting_user.has_perm("accounts.reveal_id_number"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    log_access(acting_user, AccessLog.Action.REVEAL_PHONE, person, request=request)
    return person.phone or ""


@transaction.atomic
def do_update_contact(user: User, *, acting_user, phone: str, address: str) -> User:
    """A citizen updates their own mobile number and address (in the master record too)."""
    from civilaffairs.people.actions import do_update_person

    phone = phone.strip()
    user = User.objects.select_for_update().get(pk=user.pk)
    if phone != user.phone and User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise ValidationError(
            {"phone": _("This mobile number is already used by another account.")}
        )
    if user.username == user.phone:
        user.username = phone
    user.phone = phone
    user.save(update_fields=["phone", "username"])
    if user.person_id:
        do_update_person(
            user.person,
            acting_user=acting_user,
            phone=phone,
            address=address.strip(),
            reason="updated by the citizen",
        )
    return user


# ------------------------------------------------------------------ second factor


def _replace_recovery_codes(user: User) -> list[str]:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    from .second_factor import new_recovery_codes

    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = new_recovery_codes()
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def do_enrol_second_factor(user: User, *, acting_user, key: str, code: str):
    """A staff member's authenticator app, confirmed by a code it shows, and a fresh set of
    recovery codes, returned once to be shown once. Refused while a confirmed app is enrolled:
    only an administrator's reset makes room for another, so a stolen password cannot swap in
    the thief's phone. (No throttle here: whoever enrols already holds the secret.)"""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import second_factor

    user = User.objects.select_for_update().get(pk=user.pk)  # one enrolment at a time
    if second_factor.has_app_device(user):
        raise ValidationError(
            _("A second factor is already set up for this account."), code="enrolled"
        )
    step = second_factor.matching_step(key, code)
    if step is None:
        raise ValidationError(
            _(
                "That code does not match. Check that the app shows the code for this account "
                "and enter the code it shows now."
            ),
            code="wrong_code",
        )
    TOTPDevice.objects.filter(user=user).delete()  # unconfirmed leftovers, if any
    device = TOTPDevice.objects.create(
        user=user,
        name="authenticator app",
        key=key,
        step=second_factor.STEP,
        digits=second_factor.DIGITS,
        tolerance=second_factor.TOLERANCE,
        confirmed=True,
        last_t=step,  # the confirming code cannot be used again
    )
    return device, _replace_recovery_codes(user)


def do_verify_second_factor(user: User, *, acting_user, code: str, recovery: bool = False):
    """The device that accepts `code` (a code from the app, or a recovery code, which is used
    up), or ValidationError saying why not. A wrong code makes django-otp's throttle wait
    longer before the next try; a throttled device is not even asked."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import second_factor

    model = StaticDevice if recovery else TOTPDevice
    refusal = (
        second_factor.wrong_recovery_code_message()
        if recovery
        else second_factor.wrong_app_code_message()
    )
    # The failure count is written by the device and must outlive the refusal: the error is
    # raised after the transaction has committed.
    with transaction.atomic():
        devices = model.objects.devices_for_user(user, confirmed=True).select_for_update()
        for device in devices.order_by("pk"):
            allowed, info = device.verify_is_allowed()
            if not allowed:
                refusal = second_factor.throttled_message(info)
                continue
            if device.verify_token(code):
                return device
    raise ValidationError(refusal, code="refused")


@transaction.atomic
def do_new_recovery_codes(user: User, *, acting_user) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    user = User.objects.select_for_update().get(pk=user.pk)
    return _replace_recovery_codes(user)


@transaction.atomic
def do_reset_second_factor(user: User, *, acting_user, request=None) -> User:
    """An administrator's answer to a lost phone: every device of the user is deleted, every
    session of the user ends (the middleware trusts a session's second-factor flag only
    because of this), and the reset is logged with who, whom and when. The user sets up a new
    app at their next login."""
    from django_otp import devices_for_user

    user = User.objects.select_for_update().get(pk=user.pk)
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    user.session_generation += 1
    user.save(update_fields=["session_generation"])
    log_access(acting_user, AccessLog.Action.RESET_SECOND_FACTOR, user, request=request)
    return user

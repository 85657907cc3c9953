"""The second factor of staff and administrators: who needs it, and what a session that passed
it carries.

Everyone who is staff (an active staff role, `is_staff` or `is_superuser`) proves a second
factor after the password, before any other page: a TOTP code from an authenticator app
(django-otp's TOTPDevice), or one of ten recovery codes (a StaticDevice). Passing it stores the
device in the session the way django-otp's own `login` does (DEVICE_ID_SESSION_KEY); the
middleware trusts that flag without reading the device again, which keeps a query off every
staff page. The flag can be trusted because the one way a device goes away, an administrator's
reset (actions.do_reset_second_factor), also ends every session of the user (the user's
`session_generation` is part of the session hash Django checks on every request).
"""

import base64
import binascii
import re
import time

import segno
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from .access import is_staff_member

# Where the enrolment page keeps the secret it shows until a code confirms it (never in the
# database before that, so an abandoned enrolment leaves nothing behind), and where the
# recovery codes wait to be shown, once.
SETUP_KEY_SESSION_KEY = "otp_setup_key"
NEW_CODES_SESSION_KEY = "otp_new_recovery_codes"

RECOVERY_CODE_COUNT = 10
# The TOTP parameters every authenticator app understands (RFC 6238 defaults).
STEP = 30
DIGITS = 6
TOLERANCE = 1  # the code before and after the current one also pass: clocks drift

_APP_CODE = re.compile(r"[0-9]{6}")
_RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")


def requires_second_factor(user) -> bool:
    """Staff and administrators. The grants come with the signed-in user (access.user_with_
    grants), so asking costs no query."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.is_superuser or is_staff_member(user)


def is_verified(request) -> bool:
    return DEVICE_ID_SESSION_KEY in request.session


def mark_verified(request, device) -> None:
    """What django-otp's login does, and a new session key: the key an attacker may have seen
    before the second factor is worth nothing after it."""
    otp_login(request, device)
    request.session.cycle_key()


def has_app_device(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# ------------------------------------------------------------------ codes


# Full-width digits and spaces, as a Chinese input method types them, read as ASCII.
_FULL_WIDTH = {0xFF10 + d: ord("0") + d for d in range(10)} | {0x3000: ord(" ")}


def clean_app_code(value: str) -> str | None:
    """Six ASCII digits, or None. Full-width digits and spaces between groups are accepted;
    other characters `str.isdigit` would let through ('²', '١') are not what an app shows."""
    value = re.sub(r"\s+", "", (value or "").translate(_FULL_WIDTH))
    return value if _APP_CODE.fullmatch(value) else None


def clean_recovery_code(value: str) -> str | None:
    value = re.sub(r"[\s-]+", "", (value or "").translate(_FULL_WIDTH)).lower()
    return value if _RECOVERY_CODE.fullmatch(value) else None


def new_recovery_codes() -> list[str]:
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    return sorted(codes)


# ------------------------------------------------------------------ TOTP secrets


def new_key() -> str:
    """A fresh secret, hex-encoded as TOTPDevice stores it (20 random bytes, RFC 4226's
    recommended length)."""
    return random_hex(20)


def key_from_base32(secret: str) -> str:
    return base64.b32decode(secret.replace(" ", "").upper()).hex()


def base32_secret(key: str) -> str:
    """The secret as an authenticator app asks for it when typed: base32, in groups of four."""
    text = base64.b32encode(binascii.unhexlify(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _totp(key: str, at: float | None = None) -> TOTP:
    totp = TOTP(binascii.unhexlify(key), step=STEP, digits=DIGITS)
    totp.time = time.time() if at is None else at
    return totp


def code_at(key: str, at: float | None = None) -> str:
    """The code an app shows for this secret at `at` (now by default)."""
    return f"{_totp(key, at).token():0{DIGITS}d}"


def step_now() -> int:
    return int(time.time()) // STEP


def matching_step(key: str, code: str) -> int | None:
    """The time step whose code `code` is, within the tolerance, or None."""
    totp = _totp(key)
    return totp.t() if totp.verify(int(code), tolerance=TOLERANCE) else None


def enrolment(user, key: str) -> dict:
    """What the enrolment page shows: the QR code (SVG drawn here, no script, no image request)
    and the same secret as text for typing."""
    url = TOTPDevice(user=user, key=key).config_url
    qr = segno.make(url, error="m")
    return {
        "qr_svg": qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="otp-qr"),
        "secret": base32_secret(key),
        "account": user.get_username(),
    }


def throttled_message(info: dict | None) -> str:
    locked_until = (info or {}).get("locked_until")
    seconds = 1
    if locked_until is not None:
        seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    return ngettext(
        "Too many wrong codes. For your safety, please wait %(seconds)d second and try again.",
        "Too many wrong codes. For your safety, please wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def wrong_app_code_message() -> str:
    return _(
        "That code is not right, or it has already been used. Wait for the next code in your "
        "app and try again."
    )


def wrong_recovery_code_message() -> str:
    return _("That recovery code is not valid, or it has already been used.")


def recovery_code_used_message(left: int) -> str:
    return ngettext(
        "You used a recovery code. %(left)d recovery code is left: make new ones on your "
        "profile page, and ask an administrator to reset your app if it is lost.",
        "You used a recovery code. %(left)d recovery codes are left: make new ones on your "
        "profile page, and ask an administrator to reset your app if it is lost.",
        left,
    ) % {"left": left}

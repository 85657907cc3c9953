"""The one-time code of the demo staff accounts, for `make run` without a phone at hand."""

import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from civilaffairs.accounts import second_factor
from civilaffairs.portal.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = (
        "Print the current one-time code of the demo staff accounts (the demo secret in "
        "README). With a user name, the code that user can use now (a code works once per "
        "account); only for an account set up with the demo secret."
    )
    # Without a user name it needs neither the database nor the checks: it works in a second
    # terminal next to `make run`, whichever database that started.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="a demo staff account, e.g. caseworker")

    def handle(self, *args, username=None, **options):
        key = second_factor.key_from_base32(DEMO_TOTP_SECRET)
        now = second_factor.step_now()
        step = now
        if username:
            device = (
                TOTPDevice.objects.filter(user__username=username, confirmed=True)
                .order_by("pk")
                .first()
            )
            if device is None:
                raise CommandError(f"{username} has no authenticator app set up.")
            if device.key != key:
                # Its own secret: its codes are the owner's business, not this command's.
                raise CommandError(f"{username} does not use the demo secret.")
            step = max(now, device.last_t + 1)
            if step > now + second_factor.TOLERANCE:
                wait = second_factor.STEP - int(time.time()) % second_factor.STEP
                raise CommandError(
                    f"{username} has just used the current code; try again in {wait} s."
                )
        code = second_factor.code_at(key, step * second_factor.STEP)
        left = (step + 1) * second_factor.STEP - int(time.time())
        self.stdout.write(code)
        # The note on stderr, so `$(manage.py demo_otp_code)` is the code alone.
        self.stderr.write(f"有效约 {left} 秒 / valid for about {left} more seconds")

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MaximumLengthValidator:
    """ASVS 2.1.2: allow at least 64 characters, but bound the work a hash does."""

    def __init__(self, max_length=128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long: at most %(max)d characters."),
                code="password_too_long",
                params={"max": self.max_length},
            )

    def get_help_text(self):
        return _(
            "Your password can be up to %(max)d characters; a long phrase is easier to remember."
        ) % {"max": self.max_length}

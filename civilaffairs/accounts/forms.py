from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.forms import IdNumberField
from civilaffairs.people.models import parse_id_number

from .models import User


class SignUpForm(forms.Form):
    """Real-name sign-up. Every field explains itself; errors say what to fix."""

    name = forms.CharField(
        label=_("Full name (as on your ID card)"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = IdNumberField(
        label=_("Resident ID number"),
        help_text=_("18 characters; the last one may be X."),
    )
    phone = forms.RegexField(
        label=_("Mobile number"),
        regex=r"^1[0-9]{10}\Z",
        error_messages={"invalid": _("Please enter an 11-digit mobile number starting with 1.")},
        help_text=_("You will log in with this number."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Please enter your full name."))
        return name

    def clean_id_number(self):
        return parse_id_number(self.cleaned_data["id_number"]).value

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        if p1:
            probe = User(username=data.get("phone") or "", first_name=data.get("name") or "")
            try:
                validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number or user name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "The mobile number (or user name) and password do not match. After 5 failed tries the account is locked for 30 minutes."
        ),
        "inactive": _("This account is disabled."),
    }


class ProfileForm(forms.Form):
    phone = forms.RegexField(
        label=_("Mobile number"),
        regex=r"^1[0-9]{10}\Z",
        error_messages={"invalid": _("Please enter an 11-digit mobile number starting with 1.")},
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


class SecondFactorCodeForm(forms.Form):
    """The six digits an authenticator app shows."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        help_text=_("6 digits. A new code appears every 30 seconds."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self):
        from .second_factor import clean_app_code

        code = clean_app_code(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("Please enter the 6 digits your app shows."))
        return code


class RecoveryCodeForm(forms.Form):
    """One of the recovery codes shown when the app was set up; each works once."""

    recovery_code = forms.CharField(
        label=_("Recovery code"),
        max_length=40,
        help_text=_("8 letters and digits, from the list you printed or wrote down."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def clean_recovery_code(self):
        from .second_factor import clean_recovery_code

        code = clean_recovery_code(self.cleaned_data["recovery_code"])
        if code is None:
            raise ValidationError(
                _("A recovery code has 8 letters and digits, for example abcd2345.")
            )
        return code

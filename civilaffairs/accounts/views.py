from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.params import safe_next

from .actions import (
    do_enrol_second_factor,
    do_new_recovery_codes,
    do_register_citizen,
    do_update_contact,
    do_verify_second_factor,
)
from .forms import LoginForm, ProfileForm, RecoveryCodeForm, SecondFactorCodeForm, SignUpForm
from .second_factor import (
    NEW_CODES_SESSION_KEY,
    SETUP_KEY_SESSION_KEY,
    enrolment,
    has_app_device,
    is_verified,
    mark_verified,
    new_key,
    recovery_code_used_message,
    recovery_codes_left,
    requires_second_factor,
)


def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        registered = run_action(
            request,
            lambda: do_register_citizen(
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                password=data["password1"],
                elder_mode=request.COOKIES.get("elder") == "1",
            ),
            form=form,
            form_only=True,
            denied_status=403,
        )
        if registered:
            user = registered.value
            login(request, user, backend="civilaffairs.accounts.backends.PhoneOrUsernameBackend")
            messages.success(
                request,
                _("Your account is ready. Welcome, %(name)s.") % {"name": user.display_name},
            )
            return redirect("portal:home")
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def profile(request):
    user = request.user
    person = user.person
    initial = {"phone": user.phone, "address": person.address if person else ""}
    form = ProfileForm(request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_action(
            request,
            lambda: do_update_contact(user, acting_user=user, **form.cleaned_data),
            done=_("Your contact details are saved."),
            form=form,
            form_only=True,
            denied_status=403,
        )
    ):
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"person": person, "form": form})


# ------------------------------------------------------------------ second factor


def _next_url(request) -> str:
    return safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL))


def _with_next(route: str, next_url: str) -> str:
    return f"{reverse(route)}?{urlencode({'next': next_url})}"


@never_cache
@login_required
def second_factor(request):
    """After the password, a member of staff proves the second factor here: a code from the
    app, or a recovery code. The first time, they are sent to set the app up."""
    user = request.user
    next_url = _next_url(request)
    if not requires_second_factor(user) or is_verified(request):
        return redirect(next_url)
    if not has_app_device(user):
        return redirect(_with_next("accounts:second-factor-setup", next_url))

    recovery = request.method == "POST" and "recovery_code" in request.POST
    data = request.POST if request.method == "POST" else None
    code_form = SecondFactorCodeForm(None if recovery else data)
    code_form.fields["code"].widget.attrs["autofocus"] = True
    recovery_form = RecoveryCodeForm(data if recovery else None)
    form = recovery_form if recovery else code_form
    if data is not None and form.is_valid():
        code = form.cleaned_data["recovery_code" if recovery else "code"]
        try:
            device = do_verify_second_factor(user, acting_user=user, code=code, recovery=recovery)
        except ValidationError as exc:
            form.add_error("recovery_code" if recovery else "code", exc)
        else:
            mark_verified(request, device)
            if recovery:
                messages.warning(request, recovery_code_used_message(recovery_codes_left(user)))
            return redirect(next_url)
    return render(
        request,
        "accounts/second_factor_verify.html",
        {
            "code_form": code_form,
            "recovery_form": recovery_form,
            "recovery_open": recovery,
            "next": next_url,
        },
    )


@never_cache
@login_required
def second_factor_setup(request):
    """The first time: an authenticator app is set up with a secret shown as a QR code and as
    text, confirmed with a code; then the recovery codes are shown, once."""
    user = request.user
    next_url = _next_url(request)
    if not requires_second_factor(user):
        return redirect(next_url)
    if has_app_device(user):
        return redirect(_with_next("accounts:second-factor", next_url))

    key = request.session.get(SETUP_KEY_SESSION_KEY)
    expired = key is None and request.method == "POST"
    if key is None:
        key = request.session[SETUP_KEY_SESSION_KEY] = new_key()
    # A code posted when no secret is pending (the session was renewed meanwhile) belongs to a
    # secret no longer kept: show the new one and ask again, rather than call the code wrong.
    posted = request.method == "POST" and not expired
    form = SecondFactorCodeForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            device, codes = do_enrol_second_factor(
                user, acting_user=user, key=key, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            del request.session[SETUP_KEY_SESSION_KEY]
            mark_verified(request, device)
            request.session[NEW_CODES_SESSION_KEY] = codes
            return redirect(_with_next("accounts:recovery-codes", next_url))
    return render(
        request,
        "accounts/second_factor_setup.html",
        {"form": form, "next": next_url, "expired": expired, **enrolment(user, key)},
    )


@never_cache
@login_required
def recovery_codes(request):
    """New recovery codes are shown here once; a member of staff may make a new set, which
    ends the old one."""
    user = request.user
    next_url = _next_url(request)
    if not requires_second_factor(user):
        return redirect(next_url)
    if request.method == "POST":
        request.session[NEW_CODES_SESSION_KEY] = do_new_recovery_codes(user, acting_user=user)
        return redirect(_with_next("accounts:recovery-codes", next_url))
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "left": recovery_codes_left(user), "next": next_url},
    )

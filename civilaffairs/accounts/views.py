from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .actions import do_register_citizen, do_update_contact
from .forms import LoginForm, ProfileForm, SignUpForm


def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = do_register_citizen(
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                password=data["password1"],
                elder_mode=request.COOKIES.get("elder") == "1",
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
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
    if request.method == "POST" and form.is_valid():
        try:
            do_update_contact(user, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error(field, errors)
        else:
            messages.success(request, _("Your contact details are saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"person": person, "form": form})

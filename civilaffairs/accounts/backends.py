from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .access import user_with_grants
from .models import User


class PhoneOrUsernameBackend(ModelBackend):
    """Citizens log in with their mobile number; staff with their user name."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        username = username.strip()
        user = User.objects.filter(Q(username=username) | Q(phone=username)).order_by("pk").first()
        if user is None:
            # Run the hasher anyway so that timing does not tell which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user, read on every request, with their grants in the same statement
        (access.user_with_grants): a citizen's page never asks for staff roles, and a member
        of staff's first scope check needs no second query."""
        user = user_with_grants(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def axes_username(request, credentials=None):
    """The user name django-axes records for a login attempt (AXES_USERNAME_CALLABLE), cut to
    the longest user name there is. Django's AuthenticationForm, which the admin's login uses,
    does not enforce its user name's max_length, so a 10,000-character name reached Axes'
    varchar(255) column and the login answered 500."""
    from django.conf import settings

    field = settings.AXES_USERNAME_FORM_FIELD
    value = credentials.get(field) if credentials else getattr(request, "POST", {}).get(field)
    if not isinstance(value, str):
        return None
    return value[: User._meta.get_field("username").max_length]

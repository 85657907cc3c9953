from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

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

from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, Q

from .models import StaffRole, User


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
        """The signed-in user, read on every request, with whether they hold any active staff
        role (`has_staff_role`, the filter grants_for uses). Most users are citizens: for them
        this one query answers what the page frame and every scope check would otherwise ask
        the database a second time (accounts.access.grants_for)."""
        active_roles = StaffRole.objects.filter(
            user=OuterRef("pk"), is_active=True, office__is_active=True
        )
        try:
            user = User._default_manager.annotate(has_staff_role=Exists(active_roles)).get(
                pk=user_id
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

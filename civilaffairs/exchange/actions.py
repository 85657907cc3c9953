"""The exchange's state changes."""

import secrets

from django.db import transaction
from oauth2_provider.models import get_application_model

from .models import ApiCall, retention_cutoff


def do_purge_api_calls(now=None) -> int:
    """Forget call log lines older than API_LOG_RETENTION_DAYS (at least 6 months)."""
    deleted, _ = ApiCall.objects.filter(at__lt=retention_cutoff(now)).delete()
    return deleted


@transaction.atomic
def do_rotate_secret(application, *, acting_user) -> str:
    """A new client secret, returned once to be shown once; only its hash is kept, and the
    old secret stops working at once (tokens already issued run out at their expiry)."""
    del acting_user  # the admin's log entry records who
    Application = get_application_model()
    app = Application.objects.select_for_update().get(pk=application.pk)
    secret = secrets.token_urlsafe(40)
    app.client_secret = secret  # hashed on save (django-oauth-toolkit's ClientSecretField)
    app.save(update_fields=["client_secret"])
    return secret

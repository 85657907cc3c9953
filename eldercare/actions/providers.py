"""Service providers, their logins and workers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civilaffairs.accounts.models import User
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person, Region

from ..models import (
    Provider,
    ProviderMember,
    ServiceType,
    Worker,
    covering_codes,
)
from .common import _lock, provider_of

# =========================================================================== providers


@transaction.atomic
def do_create_provider(
    *, acting_user, name: str, region: Region, coverage, services, **fields
) -> Provider:
    provider = Provider(name=name, region=region, **fields)
    provider.full_clean()
    _save(provider, acting_user)
    provider.coverage.set(coverage)
    provider.services.set(services)
    return provider


@transaction.atomic
def do_add_provider_login(
    provider: Provider, *, acting_user, username: str, password: str, role="manager"
) -> User:
    """A login for a provider's staff. Such an account has no person binding and no staff
    role: it sees the provider's pages only."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(username=username, first_name=provider.name)
    user.set_password(password)
    user.save()
    _save(ProviderMember(provider=provider, user=user, role=role), acting_user)
    return user


@transaction.atomic
def do_add_worker(
    provider: Provider, *, acting_user, name: str, phone: str = "", qualifications="", services=()
) -> Worker:
    if acting_user is not None and not acting_user.is_superuser:
        mine = provider_of(acting_user)
        if mine is None or mine.pk != provider.pk:
            raise PermissionDenied
    if not name.strip():
        raise ValidationError({"name": _("Please enter the name.")})
    worker = _save(
        Worker(
            provider=provider, name=name.strip(), phone=phone.strip(), qualifications=qualifications
        ),
        acting_user,
    )
    worker.services.set(services)
    return worker


@transaction.atomic
def do_set_worker_active(worker: Worker, *, acting_user, active: bool) -> Worker:
    worker = _lock(Worker, worker.pk)
    mine = provider_of(acting_user)
    if mine is None or mine.pk != worker.provider_id:
        raise PermissionDenied
    worker.is_active = active
    return _save(worker, acting_user)


def providers_for(elder: Person, service_type: ServiceType):
    """Active providers offering the service whose coverage includes the elder's residence."""
    return (
        Provider.objects.filter(
            is_active=True,
            services=service_type,
            coverage__in=covering_codes(elder.residence_region_id),
        )
        .distinct()
        .order_by("name")
    )

"""The jurisdiction as one frozen value (casework.scope.Scope) and the key of what is kept."""

import dataclasses

import pytest

from civilaffairs.accounts.access import Grant
from civilaffairs.casework.scope import Scope

BASE = Scope(
    user_id=7,
    is_superuser=False,
    grants=(Grant(office_id=3, region_prefix="640104", office_level=3, role="cw", max_level=1),),
    services=((("cw", "sv"), ("assistance.dibao", "childwelfare.intake")),),
    narrowed=("childwelfare.intake",),
    registry=((("cw", "sv"), ("assistance.dibao", "childwelfare.intake")),),
)

# Another value for each field: a new field without one here fails the completeness test.
OTHER = {
    "user_id": 8,
    "is_superuser": True,
    "grants": (Grant(office_id=3, region_prefix="640104", office_level=3, role="cw", max_level=2),),
    "services": ((("cw", "sv"), ("assistance.dibao",)),),
    "narrowed": (),
    "registry": (
        (("cw", "sv"), ("assistance.dibao", "childwelfare.intake")),
        (("registrar",), ("marriage.registration",)),
    ),
}


def test_every_field_of_a_scope_is_in_its_cache_key():
    assert {f.name for f in dataclasses.fields(Scope)} == set(OTHER)
    keys = {BASE.cache_key()}
    for name, value in OTHER.items():
        changed = dataclasses.replace(BASE, **{name: value})
        assert changed.cache_key() != BASE.cache_key(), name
        keys.add(changed.cache_key())
    assert len(keys) == len(OTHER) + 1


@pytest.mark.parametrize(
    "grant",
    [
        Grant(office_id=4, region_prefix="640104", office_level=3, role="cw", max_level=1),
        Grant(office_id=3, region_prefix="640105", office_level=3, role="cw", max_level=1),
        Grant(office_id=3, region_prefix="640104", office_level=4, role="cw", max_level=1),
        Grant(office_id=3, region_prefix="640104", office_level=3, role="sv", max_level=1),
    ],
)
def test_any_change_in_a_grant_is_another_key(grant):
    assert dataclasses.replace(BASE, grants=(grant,)).cache_key() != BASE.cache_key()


def test_equal_scopes_have_equal_keys_and_a_scope_cannot_be_changed():
    assert dataclasses.replace(BASE).cache_key() == BASE.cache_key()
    with pytest.raises(dataclasses.FrozenInstanceError):
        BASE.user_id = 9


@pytest.mark.django_db
def test_a_users_scope_follows_their_grants(world):
    from civilaffairs.accounts.actions import do_grant_role
    from civilaffairs.accounts.models import StaffRole, User
    from civilaffairs.lib.confidentiality import Confidentiality

    before = Scope.of(world.caseworker)
    assert before.offices == (world.township.pk,) and before.user_id == world.caseworker.pk
    assert before.roles == (StaffRole.Role.CASEWORKER,)
    assert before.services and not before.is_superuser
    do_grant_role(
        world.caseworker,
        world.township,
        StaffRole.Role.CASEWORKER,
        acting_user=None,
        max_confidentiality=Confidentiality.SENSITIVE,
    )
    after = Scope.of(User.objects.get(pk=world.caseworker.pk))
    assert after.cache_key() != before.cache_key()
    # Another caseworker of the same office holds the same grant but is someone else.
    assert Scope.of(world.supervisor).cache_key() != before.cache_key()
    admin = Scope.of(world.admin)
    assert admin.is_superuser and admin.grants == () and admin.services

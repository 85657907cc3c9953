"""Life events in the social-organization domain: a merge of two person records moves the
legal representative of every organization and application to the surviving record."""

import pytest

from civilaffairs.people.actions import do_merge_persons
from civilaffairs.people.models import Person
from orgs.models import Organization, OrgApplication
from tests.factories import PersonFactory

from .conftest import register_org

pytestmark = pytest.mark.django_db


def test_a_merge_moves_the_legal_representative_to_the_survivor(world, org_user):
    org = register_org(org_user, world.approver)
    duplicate = org.legal_representative
    app = OrgApplication.objects.get(organization=org)
    assert app.legal_representative_id == duplicate.pk
    # The record without an identity number is the one that folds into the other.
    survivor = PersonFactory(
        name=duplicate.name,
        hukou_region=duplicate.hukou_region,
        id_number=None,
        id_type=Person.IdType.NONE,
    )

    do_merge_persons(survivor, duplicate, acting_user=world.admin, reason="same person")

    org = Organization.objects.get(pk=org.pk)
    assert org.legal_representative_id == survivor.pk
    assert OrgApplication.objects.get(pk=app.pk).legal_representative_id == survivor.pk
    # Kept in the organization's history, like every other change of the register.
    assert org.history.filter(history_change_reason__startswith="person ").exists()

"""The demo registrar prints certificates as a registrar does: both parties' full ID numbers and
birth dates on the booklet, each print a logged reveal (the permission comes from the registrars'
group, which an administrator manages in the admin)."""

from django.urls import reverse

from civilaffairs.accounts.models import AccessLog
from marriage.models import Certificate
from tests.auth import sign_in


def test_the_demo_registrar_prints_a_certificate_with_full_numbers_and_it_is_logged(
    world, db, client
):
    registrar = world.user("registrar")
    assert registrar.has_perm("accounts.reveal_id_number")
    cert = Certificate.objects.filter(registry__office__region_id="640104").order_by("pk").first()
    record = cert.record
    sign_in(client, registrar)
    page = client.get(reverse("marriage:certificate", args=[cert.pk])).content.decode()
    for person in (record.man, record.woman):
        assert person.id_number in page
        assert person.birth_date.strftime("%Y-%m-%d") in page
    logged = AccessLog.objects.filter(user=registrar, action=AccessLog.Action.REVEAL_ID)
    assert set(logged.values_list("object_id", flat=True)) == {
        str(record.man.pk),
        str(record.woman.pk),
    }


def test_a_caseworker_is_not_in_the_registrars_group(world, db):
    assert not world.user("caseworker").has_perm("accounts.reveal_id_number")

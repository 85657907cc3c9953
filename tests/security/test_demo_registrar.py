"""The demo registrar prints certificates as a registrar does: both parties' full ID numbers and
birth dates on the booklet, each print one logged reveal. The certificate needs only the
registrar's role at the registry that issued it: registrars are not given the permission to
reveal anyone's number on the person pages (least privilege)."""

from django.urls import reverse

from civilaffairs.accounts.models import AccessLog
from marriage.models import Certificate
from tests.auth import sign_in


def test_the_demo_registrar_prints_a_certificate_with_full_numbers_and_it_is_logged(
    world, db, client
):
    registrar = world.user("registrar")
    assert not registrar.has_perm("accounts.reveal_id_number")
    cert = Certificate.objects.filter(registry__office__region_id="640104").order_by("pk").first()
    record = cert.record
    sign_in(client, registrar)
    page = client.get(reverse("marriage:certificate", args=[cert.pk])).content.decode()
    for person in (record.man, record.woman):
        assert person.id_number in page
        assert person.birth_date.strftime("%Y-%m-%d") in page
    # One reveal per print. A record older than the portal has no case: the entry names the
    # certificate.
    logged = AccessLog.objects.filter(user=registrar, action=AccessLog.Action.REVEAL_ID)
    assert cert.application_id is None
    assert [(e.content_type.model, e.object_id) for e in logged] == [("certificate", str(cert.pk))]
    assert cert.number in logged.get().detail


def test_only_the_administrator_of_the_demo_may_reveal_on_the_person_pages(world, db):
    from civilaffairs.accounts.models import User

    revealers = {u.username for u in User.objects.all() if u.has_perm("accounts.reveal_id_number")}
    assert revealers == {"admin"}

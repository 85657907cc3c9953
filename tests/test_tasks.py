import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from civilaffairs.accounts.models import AccessLog
from civilaffairs.accounts.tasks import purge_access_logs_task
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_access_logs_are_kept_at_least_six_months_then_purged(regions):
    user, person = UserFactory(), PersonFactory()
    ct = ContentType.objects.get_for_model(person)
    with time_machine.travel(dt.datetime(2025, 1, 1, tzinfo=dt.UTC)):
        old = AccessLog.objects.create(
            user=user, action="reveal_id", content_type=ct, object_id=person.pk
        )
    with time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC)):
        recent = AccessLog.objects.create(
            user=user, action="reveal_id", content_type=ct, object_id=person.pk
        )
        purge_access_logs_task()
    assert not AccessLog.objects.filter(pk=old.pk).exists()
    assert AccessLog.objects.filter(pk=recent.pk).exists()

"""No English on Chinese pages, and the right word for what is named (issue #16, item 13):
organisations and care homes have a 名称, people a 姓名; the booking steps are titled in the
reader's language."""

import pytest
from django.urls import reverse

from eldercare.views import STEP_TITLES
from tests.pages import page_text

pytestmark = pytest.mark.django_db


def test_the_register_of_organisations_names_them_with_mingcheng(client, regions):
    page = page_text(client.get(reverse("orgs:register")))
    assert "名称" in page and "姓名" not in page


def test_every_booking_step_title_is_translated():
    from django.utils import translation

    with translation.override("zh-hans"):
        titles = [str(t) for t in STEP_TITLES.values()]
    assert "核对并预约" in titles
    assert not any(t.isascii() for t in titles), titles

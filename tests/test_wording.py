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


def test_a_person_has_a_xingming_and_a_place_a_mingcheng():
    """A person's name is 姓名 wherever a form or the admin labels it (Person.name); places,
    offices and organisations keep 名称."""
    from django.utils import translation

    from civilaffairs.accounts.models import Office
    from civilaffairs.people.models import Person, Region

    with translation.override("zh-hans"):
        assert str(Person._meta.get_field("name").verbose_name) == "姓名"
        assert str(Region._meta.get_field("name").verbose_name) == "名称"
        assert str(Office._meta.get_field("name").verbose_name) == "名称"
    with translation.override("en"):
        assert str(Person._meta.get_field("name").verbose_name) == "name"


def test_every_admin_column_and_filter_of_the_portal_is_named_in_chinese():
    """The admin's column headers and filters come from the models' field names unless given
    one: each of the portal's is a translated name (issue #16, item 13). Third-party admins
    (django-axes, auth, the second factor) bring their own catalogues."""
    import re

    from django.contrib import admin
    from django.contrib.admin.utils import label_for_field
    from django.utils import translation

    ours = {"accounts", "people", "casework", "rules", "benefits", "assistance", "eldercare"}
    ours |= {"childwelfare", "marriage", "orgs"}
    untranslated = []
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            if model._meta.app_label not in ours:
                continue
            names = [n for n in model_admin.list_display if n != "__str__"]
            # A filter through a relation ("office__level") is titled by its last field.
            names += [n for n in model_admin.list_filter if isinstance(n, str) and "__" not in n]
            for name in names:
                label = str(label_for_field(name, model, model_admin))
                if label != "ID" and not re.search(r"[\u4e00-\u9fff]", label):
                    untranslated.append(f"{model._meta.label}.{name}: {label}")
    assert not untranslated, untranslated


def test_a_word_shared_by_fields_is_translated_for_what_each_field_holds():
    """ "code" of a region is 区划代码, of a program 代码; a slot's "from" is a time of day."""
    from django.utils import translation

    from civilaffairs.people.models import Region
    from civilaffairs.rules.models import Program
    from marriage.models import Slot

    with translation.override("zh-hans"):
        assert str(Region._meta.get_field("code").verbose_name) == "区划代码"
        assert str(Program._meta.get_field("code").verbose_name) == "代码"
        assert str(Slot._meta.get_field("start").verbose_name) == "开始时间"
        assert str(Slot._meta.get_field("end").verbose_name) == "结束时间"


def _translated_at_import(path) -> list[str]:
    """Calls of Django's gettext (not the lazy one) made while a module is imported: at module
    or class level, outside any function. Such a text is fixed in the language the process
    started in, whatever language the page is read in."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in ("gettext", "ngettext", "pgettext", "npgettext")
    }
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # run later, in the reader's language
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Name)
                and child.func.id in eager
            ):
                found.append(f"{path}:{child.lineno}")
            visit(child)

    visit(tree)
    return found


def test_no_text_is_translated_when_its_module_is_imported():
    """The application's steps were listed with gettext at import, so an English page showed
    them in Chinese (found walking the 低保 application in English): a text kept at module
    level must be lazy."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    skip = {".venv", "node_modules", "var", "migrations", "tests"}
    found = []
    for path in root.rglob("*.py"):
        if skip.isdisjoint(path.relative_to(root).parts):
            found += _translated_at_import(path)
    assert found == []


def test_the_scan_finds_a_text_translated_at_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from django.utils.translation import gettext as _\n"
        "STEPS = [(1, _('Your situation'))]\n"
        "def later():\n    return _('Fine')\n"
    )
    assert _translated_at_import(module) == [f"{module}:2"]

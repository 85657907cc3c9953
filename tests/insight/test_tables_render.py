"""The figures tables written by Jinja2 (jinja2/insight/tables.jinja, insight.tables.tables_html):
what Django's engine wrote before, value for value (the same accessible tables, marks, links
and chart data); every value escaped; figures written with localization off in both
languages; and what the page shows is that output."""

import datetime as dt
import json
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import translation

from civilaffairs.insight.tables import AMOUNT, DAYS, PERCENT, Column, Line, Table, tables_html
from tests.auth import sign_in

from .test_benefit_figures import URL, known  # noqa: F401 (a fixture)

# The partial as Django's engine wrote it before the tables moved to Jinja2 (templates/insight/
# _tables.html until then): the reference the Jinja2 output is held to.
DJANGO_TABLES = """{% load i18n l10n %}
{% for t in tables %}
<section class="mb-5" aria-labelledby="fig-{{ t.key }}-title">
  <h2 id="fig-{{ t.key }}-title" class="h4">{{ t.title }}</h2>
  {% if t.note %}<p class="text-secondary">{{ t.note }}</p>{% endif %}
  {% if t.lines %}
  <div class="figure-chart" data-chart="fig-{{ t.key }}-data" role="img" aria-label="{% blocktranslate with title=t.title %}Chart: {{ title }} (the same figures are in the table below){% endblocktranslate %}"></div>
  {{ t.chart_data|json_script:t.data_id }}
  <div class="table-responsive">
  <table class="table table-sm table-striped">
    <caption>{{ t.title }} · {{ region.name }} · {{ month|date:"Y-m" }}</caption>
    <thead><tr>
      <th scope="col">{{ t.first }}</th>
      {% for c in t.columns %}<th scope="col" class="text-end">{{ c.label }}</th>{% endfor %}
    </tr></thead>
    <tbody>{% localize off %}
    {% for line in t.lines %}
      <tr>
        <th scope="row">{% if line.link %}<a href="?region={{ line.link }}&amp;{{ query }}">{{ line.label }}</a>{% else %}{{ line.label }}{% endif %}</th>
        {% for v in line.values %}<td class="text-end">{% if v is None %}<span aria-hidden="true">–</span><span class="visually-hidden">{% translate "none" %}</span>{% else %}{{ v }}{% endif %}</td>{% endfor %}
      </tr>
    {% endfor %}
    {% endlocalize %}</tbody>
  </table>
  </div>
  <p>{% translate "Download this table:" %}
    <a href="?region={{ region.code }}&amp;{{ query }}&amp;download={{ t.key }}&amp;format=csv">CSV<span class="visually-hidden"> · {{ t.title }}</span></a> ·
    <a href="?region={{ region.code }}&amp;{{ query }}&amp;download={{ t.key }}&amp;format=xlsx">XLSX<span class="visually-hidden"> · {{ t.title }}</span></a>
    {% if t.suppress %}<span class="text-secondary">{% translate "(in the files, a cell of fewer than 5 people is written “<5” and, where it would show through, one more cell “×”)" %}</span>{% endif %}</p>
  {% else %}
  <p>{% if t.empty %}{{ t.empty }}{% else %}{% translate "Nothing to show for this cut." %}{% endif %}</p>
  {% endif %}
</section>
{% endfor %}
"""

REGION = SimpleNamespace(code="640104", name="兴庆区")
MONTH = dt.date(2026, 11, 1)
QUERY = "month=2026-11&program="


def sample_tables(label="Township A") -> list[Table]:
    """Every kind of cell and table: counts, amounts (Decimal, one in exponent form), days and
    per cent (float), none, a linked region, a note, a table with no lines (its own empty
    text and the general one), one written whole (no suppression note)."""
    flow = [Column("People"), Column("Households"), Column("Amount (yuan)", AMOUNT)]
    return [
        Table(
            "region",
            "By region",
            "Region",
            flow,
            [
                Line(label, [12345, 4321, Decimal("1234567.50")], link="640104001"),
                Line("Township B", [0, 0, Decimal("0E-2")], link="640104002"),
                Line("Recorded at this region itself", [3, None, Decimal("10")]),
            ],
        ),
        Table(
            "speed",
            "Speed",
            "Service",
            [Column("In time (%)", PERCENT), Column("Days", DAYS)],
            [Line("Service X", [97.5, 12.0]), Line("Service Y", [None, None])],
            chart="line",
            note="As counted; the month's end.",
            suppress=False,
        ),
        Table("forecast", "Forecast", "Month", flow, [], empty="No forecast yet."),
        Table("nothing", "Nothing", "Month", flow, []),
    ]


def normalised(html: str) -> str:
    """Django's and Jinja2's escaping spell two entities differently (&quot; / &#34;,
    &#x27; / &#39;: the same characters); Django's {% translate %} wrote its text unescaped,
    Jinja2 escapes the text it is given (“<5” / “&lt;5”: the same text)."""
    html = html.replace("&quot;", "&#34;").replace("&#x27;", "&#39;")
    return html.replace("“<5”", "“&lt;5”")


def django_tables(tables) -> str:
    template = engines["django"].from_string(DJANGO_TABLES)
    return template.render({"tables": tables, "region": REGION, "month": MONTH, "query": QUERY})


def partial(tables) -> str:
    """The partial the pages include, which includes the Jinja2 output."""
    context = {"tables": tables, "region": REGION, "month": MONTH, "query": QUERY}
    return render_to_string("insight/_tables.html", context)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("label", ["Township A", 'Tom\'s "town" & <b>co</b>'])
def test_jinja2_writes_what_djangos_engine_wrote(language, label):
    with translation.override(language):
        old = django_tables(sample_tables(label))
        new = partial(sample_tables(label))
    assert normalised(new) == normalised(old)
    assert new.count("<td") == 13


def test_every_value_is_escaped():
    hostile = '<script>alert("x")</script>'
    tables = sample_tables(hostile)
    tables[0].title = "<i>title</i>"
    tables[1].note = "<img src=x onerror=alert(1)>"
    region = SimpleNamespace(code='640104"><script>', name="<b>区</b>")
    html = tables_html(tables, region, MONTH, 'month=2026-11&x="><script>')
    assert "<script>" not in html and "<img" not in html and "<i>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;i&gt;title&lt;/i&gt;" in html
    assert "&lt;b&gt;区&lt;/b&gt;" in html
    assert 'href="?region=640104&#34;&gt;&lt;script&gt;&amp;month=2026-11&amp;x=&#34;&gt;' in html
    # The chart's data: JSON in a script element, with <, > and & written as \\u escapes.
    data = re.search(
        r'<script id="fig-region-data" type="application/json">(.*?)</script>', html
    ).group(1)
    assert "<" not in data
    assert json.loads(data)["labels"][0] == hostile


def test_the_marks_and_figures_as_the_page_writes_them():
    with translation.override("zh-hans"):
        zh = str(tables_html(sample_tables(), REGION, MONTH, QUERY))
    with translation.override("en"):
        en = str(tables_html(sample_tables(), REGION, MONTH, QUERY))
    # Figures with localization off: no grouping, a point, a Decimal in fixed notation; the
    # same in both languages.
    for html in (zh, en):
        cells = re.findall(r'<td class="text-end">(.*?)</td>', html)
        assert cells[:6] == ["12345", "4321", "1234567.50", "0", "0", "0.00"]
        assert cells[8:10] == ["10", "97.5"]
        assert '<th scope="row"><a href="?region=640104001&amp;month=2026-11&amp;program=">' in html
        assert '<th scope="col" class="text-end">People</th>' in html
        assert "<caption>By region · 兴庆区 · 2026-11</caption>" in html
        # A table of no lines says why; a table written whole has no suppression note.
        assert "<p>No forecast yet.</p>" in html
        assert html.count("“&lt;5”") == 1
    assert '<span aria-hidden="true">–</span><span class="visually-hidden">无</span>' in zh
    assert '<span aria-hidden="true">–</span><span class="visually-hidden">none</span>' in en
    assert "“&lt;5”" in zh and "“×”" in zh and "下载此表：" in zh and "此项暂无数据。" in zh
    assert "Nothing to show for this cut." in en
    assert 'aria-label="Chart: By region (the same figures are in the table below)"' in en
    data = re.search(r'type="application/json">(.*?)</script>', en).group(1)
    assert json.loads(data) == {
        "kind": "bar",
        "labels": ["Township A", "Township B", "Recorded at this region itself"],
        "values": [12345, 0, 3],
        "name": "People",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_shows_the_jinja2_output(client, known, language):  # noqa: F811
    from django.conf import settings

    sign_in(client, known.supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(URL, {"region": "640104"})
    assert response.status_code == 200
    html = response.content.decode()
    ctx = response.context
    with translation.override(language):
        tables = tables_html(ctx["tables"], ctx["region"], ctx["month"], ctx["query"])
    # Eleven tables; all but the forecast (one month counted) with lines.
    assert len(ctx["tables"]) == 11 and tables.count("<section ") == 11
    assert tables.count("<table ") == 10
    assert str(tables) in html
    # What Django's engine wrote for the same tables, but for how two entities are spelt.
    with translation.override(language):
        old = (
            engines["django"]
            .from_string(DJANGO_TABLES)
            .render({k: ctx[k] for k in ("tables", "region", "month", "query")})
        )
    assert normalised(f"\n{tables}\n") == normalised(old)

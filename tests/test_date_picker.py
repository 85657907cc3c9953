"""A pre-filled date reaches the browser's date picker in every language (the picker takes
only yyyy-mm-dd; zh-Hans would write 2026/12/05, which the browser drops)."""

import datetime as dt

from django import forms
from django.utils import translation

from civilaffairs.lib.forms import DatePicker


class DayForm(forms.Form):
    day = forms.DateField(widget=DatePicker())


def test_the_date_is_written_the_way_the_picker_reads_it_in_chinese_and_english():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(DayForm(initial={"day": dt.date(2026, 12, 5)})["day"])
        assert 'type="date"' in html and 'value="2026-12-05"' in html, (language, html)
    with translation.override("zh-hans"):
        plain = str(
            forms.DateField(widget=forms.DateInput()).widget.render("d", dt.date(2026, 12, 5))
        )
    assert 'value="2026-12-05"' not in plain  # what went wrong before

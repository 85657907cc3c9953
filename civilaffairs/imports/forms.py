import io

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from civilaffairs.people.models import Region

from .checks import FileProblem, read_rows

EXTENSIONS = (".csv", ".xlsx")


class UploadForm(forms.Form):
    region = forms.ChoiceField(
        label=_("Area the records belong to"),
        help_text=_("Rows of people who neither live nor hold hukou here are refused."),
    )
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("The first row names the columns; the template shows them."),
    )

    def __init__(self, *args, prefixes, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.current()
        if prefixes is None:
            regions = regions.filter(level=Region.Level.PROVINCE)
        else:
            regions = regions.filter(code__in=_codes_of(prefixes))
        self.fields["region"].choices = [
            (r.code, f"{r.name} {r.code}") for r in regions.order_by("code")
        ]

    def clean_region(self):
        return Region.objects.get(code=self.cleaned_data["region"])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name or ""
        if not name.lower().endswith(EXTENSIONS):
            raise forms.ValidationError(_("Please upload a .csv or .xlsx file."))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s; please split it.")
                % {"limit": filesizeformat(settings.IMPORT_MAX_BYTES)}
            )
        # The header is read now, so that a file with the wrong columns is refused on this
        # page rather than failing in the worker.
        # (A CSV is read from a copy of its beginning: the text reader would close the upload
        # when it goes.)
        try:
            if name.lower().endswith(".csv"):
                _fields, rows = read_rows(io.BytesIO(upload.read(1 << 16)), name)
            else:
                _fields, rows = read_rows(upload, name)
            next(iter(rows), None)
        except FileProblem as problem:
            raise forms.ValidationError(problem.text()) from None
        finally:
            upload.seek(0)
        return upload


def _codes_of(prefixes) -> list[str]:
    """The region codes of jurisdiction prefixes (a county's prefix is its code; a
    prefecture's 4 digits stand for its code with 00; a province's 2 for 0000)."""
    return [p + "0000" if len(p) == 2 else p + "00" if len(p) == 4 else p for p in prefixes]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=200)

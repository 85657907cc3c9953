"""The data standard as published (/standards/, JSON, CSV): the catalogue's elements with the
type of the API field that carries each, and every code list's values in both languages."""

from django.utils import translation

from . import catalogue
from .serializers import element_types


def rows():
    """The catalogue as rows (for the page, JSON and CSV), each element with the type of the
    serializer field that carries it."""
    types = element_types()
    lists = catalogue.code_lists()
    out = []
    for e in catalogue.ELEMENTS:
        names = e.names()
        cl = lists.get(e.code_list)
        out.append(
            {
                "code": e.code,
                "name_zh": names["zh-hans"],
                "name_en": names["en"],
                "type": types.get(e.code, ""),
                "format": e.format,
                "code_list": e.code_list,
                "code_list_source": str(cl.source) if cl else "",
                "sensitivity": int(e.sensitivity),
                "source": e.model_field,
            }
        )
    return out


def code_list_rows():
    out = []
    for cl in catalogue.code_lists().values():
        for code, label in cl.values:
            labels = {}
            for lang in catalogue.LANGS:
                with translation.override(lang):
                    labels[lang] = str(label)
            out.append(
                {
                    "code_list": cl.code,
                    "code": str(code),
                    "name_zh": labels["zh-hans"],
                    "name_en": labels["en"],
                }
            )
    return out

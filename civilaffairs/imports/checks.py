"""Reading a legacy file and checking each row: the columns it may have, what each value may
be, and every problem a row can have, in words the importer reads in their own language.

The checks run once per row on up to a million rows, so they are plain functions over strings
and sets (no form, no model validation per row): the same rules as people.actions, said once
more at the speed a bulk load needs. Codes follow the national standards the data standard
page lists: GB/T 2261.1 sex, GB/T 2261.2 marital status, GB/T 4761 relation to the head,
GB/T 26341 disability grade.
"""

import codecs
import csv
import datetime as dt
import io
import operator
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib import idnumber

# (column, header names a legacy system may use, label): the first name is the template's.
COLUMNS = (
    ("name", ("姓名", "name"), _("Name")),
    ("id_number", ("公民身份号码", "身份证号", "身份证号码", "id_number"), _("ID number")),
    ("sex", ("性别", "sex"), _("Sex")),
    ("birth_date", ("出生日期", "birth_date"), _("Date of birth")),
    ("hukou_region", ("户籍地区划代码", "户籍地", "hukou_region"), _("Hukou region code")),
    (
        "residence_region",
        ("居住地区划代码", "居住地", "residence_region"),
        _("Residence region code"),
    ),
    ("address", ("住址", "地址", "address"), _("Address")),
    ("phone", ("联系电话", "电话", "phone"), _("Phone")),
    ("ethnicity", ("民族", "ethnicity"), _("Ethnicity")),
    ("marital_status", ("婚姻状况", "marital_status"), _("Marital status")),
    ("disability_grade", ("残疾等级", "disability_grade"), _("Disability grade")),
    ("household_no", ("户编号", "户号", "household_no"), _("Household number")),
    ("relation", ("与户主关系", "relation"), _("Relation to the head")),
    ("hukou_type", ("户口性质", "hukou_type"), _("Hukou type")),
)
FIELDS = tuple(c[0] for c in COLUMNS)
LABELS = {c[0]: c[2] for c in COLUMNS}
REQUIRED_COLUMNS = ("name", "id_number")
_HEADER_NAMES = {alias.lower(): field for field, aliases, _l in COLUMNS for alias in aliases}

# Problems of a whole file: it is not read at all.
FILE_PROBLEMS = {
    "empty": _("The file has no rows."),
    "not_readable": _("The file could not be read as CSV or XLSX: %(detail)s"),
    "encoding": _("The file is neither UTF-8 nor GB18030 text."),
    "missing_columns": _("The file lacks the columns: %(columns)s."),
    "duplicate_columns": _("The column %(column)s appears twice."),
    "too_many_rows": _("The file has more than %(limit)s rows; please split it."),
}

# Problems of one row.
ROW_PROBLEMS = {
    "name_missing": _("The name is missing."),
    "too_long": _("%(field)s is longer than %(limit)s characters."),
    # The ID number's own checks (lib/idnumber.py says the same).
    "id_length": _("An ID number has 18 characters; this one has %(n)d."),
    "id_characters": _("An ID number has 17 digits followed by a digit or X."),
    "id_birth_date": _("The birth date %(date)s in the ID number is not possible."),
    "id_check_digit": _(
        "The last character (check digit) does not match; please check the number for a typing error."
    ),
    "id_address_code": _(
        "The first six digits %(code)s are not an address code of any division, past or present."
    ),
    "sex_unknown": _("The sex %(value)s is not 男/女, M/F or 1/2 (GB/T 2261.1)."),
    "sex_missing": _("Without an ID number the sex is needed."),
    "sex_differs": _("The sex differs from the ID number."),
    "birth_missing": _("Without an ID number the date of birth is needed."),
    "birth_invalid": _("The date of birth %(value)s is not a date (write it as 1958-03-12)."),
    "birth_impossible": _("The date of birth %(value)s is in the future or before 1880."),
    "birth_differs": _("The date of birth differs from the ID number."),
    "region_missing": _("Neither a hukou nor a residence region code is given."),
    "region_unknown": _("%(field)s %(value)s is not a region code."),
    "region_retired": _("%(field)s %(value)s is a region code no longer in use."),
    "outside_area": _("The person neither lives nor holds hukou in your area."),
    "phone_invalid": _("The phone number %(value)s has characters other than digits."),
    "marital_unknown": _("The marital status %(value)s is not a GB/T 2261.2 code."),
    "disability_unknown": _("The disability grade %(value)s is not 0 to 4 (GB/T 26341)."),
    "relation_unknown": _("The relation %(value)s is not a GB/T 4761 code."),
    "relation_missing": _("A household number is given but no relation to the head."),
    "household_missing": _("A relation to the head is given but no household number."),
    "hukou_type_unknown": _("The hukou type %(value)s is not 城镇/农村 (urban/rural)."),
    # Found once the whole file is staged (staging.check_file).
    "duplicate_id": _("The same ID number is on line %(line)s."),
    "duplicate_person": _("The same person (name, sex, birth date, hukou) is on line %(line)s."),
    "household_no_head": _("Household %(key)s has no head (relation 02)."),
    "household_two_heads": _("Household %(key)s has more than one head."),
    "household_head_refused": _("The head of household %(key)s was refused (line %(line)s)."),
}


def problem_text(code: str, params: dict | None = None) -> str:
    """A stored problem in the reader's language. A field name in the params is a column, said
    by its label."""
    params = dict(params or {})
    if "field" in params:
        params["field"] = LABELS.get(params["field"], params["field"])
    template = ROW_PROBLEMS.get(code) or FILE_PROBLEMS.get(code) or code
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


# ----------------------------------------------------------------------------- reading


class FileProblem(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params

    def text(self) -> str:
        return problem_text(self.code, self.params)


def header_fields(header: list) -> list[str | None]:
    """The column each header cell names (None: a column we do not read)."""
    fields, seen = [], set()
    for cell in header:
        field = _HEADER_NAMES.get(str(cell or "").strip().lstrip("\ufeff").lower())
        if field is not None:
            if field in seen:
                raise FileProblem("duplicate_columns", column=str(cell).strip())
            seen.add(field)
        fields.append(field)
    missing = [str(LABELS[f]) for f in REQUIRED_COLUMNS if f not in seen]
    if missing:
        raise FileProblem("missing_columns", columns="、".join(missing))
    return fields


def _text_lines(binary):
    """The file as text: UTF-8 (with or without a byte-order mark), else GB18030, which the
    Chinese legacy systems of the last decades write (a superset of GBK and GB2312)."""
    head = binary.read(1 << 16)
    binary.seek(0)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
            decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return io.TextIOWrapper(binary, encoding=encoding, newline="")
    raise FileProblem("encoding")


def read_rows(binary, file_name: str):
    """(fields, iterator of rows): the header's columns and each data row as a list of
    strings (or cells, for XLSX). Raises FileProblem for a file that cannot be read at all."""
    if file_name.lower().endswith(".xlsx"):
        return _read_xlsx(binary)
    text = _text_lines(binary)
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem("empty") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FileProblem("not_readable", detail=str(exc)[:100]) from None
    return header_fields(header), _guarded(reader)


def _guarded(reader):
    try:
        yield from reader
    except UnicodeDecodeError:
        raise FileProblem("encoding") from None
    except csv.Error as exc:
        raise FileProblem("not_readable", detail=str(exc)[:100]) from None


def _read_xlsx(binary):
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(binary, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileProblem("not_readable", detail=str(exc)[:100]) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        raise FileProblem("empty") from None
    return header_fields(list(header)), (list(r) for r in rows)


# ----------------------------------------------------------------------------- one row

SEX = {"男": "M", "女": "F", "m": "M", "f": "F", "1": "M", "2": "F", "男性": "M", "女性": "F"}
SEX.update({"male": "M", "female": "F"})
# GB/T 2261.2-2003: 10 never married; 20-23 married (first, re-, restored); 30 widowed; 40
# divorced; 90 not stated (left as the register has it).
MARITAL = {"10": "unmarried", "20": "married", "21": "married", "22": "married", "23": "married"}
MARITAL.update({"30": "widowed", "40": "divorced", "90": ""})
MARITAL.update({"未婚": "unmarried", "已婚": "married", "初婚": "married", "再婚": "married"})
MARITAL.update({"复婚": "married", "丧偶": "widowed", "离婚": "divorced", "未说明": ""})
MARITAL.update({v: v for v in ("unmarried", "married", "widowed", "divorced")})
DISABILITY = {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "无": 0, "一级": 1, "二级": 2}
DISABILITY.update({"三级": 3, "四级": 4})
HUKOU_TYPE = {"城镇": "urban", "非农业": "urban", "urban": "urban", "农村": "rural"}
HUKOU_TYPE.update({"农业": "rural", "rural": "rural"})
# GB/T 4761-2008 codes by their first digit, as the register keeps them (people.Membership):
# 01 self and 02 head are the head; 1x spouse, 2x son, 3x daughter, 4x grandchild, 5x parent,
# 6x grandparent, 7x sibling, 8x other relative, 9x non-relative.
_RELATION_GROUP = {"1": "10", "2": "20", "3": "30", "4": "40", "5": "50", "6": "60", "7": "70"}
_RELATION_GROUP.update({"8": "80", "9": "99"})
RELATION_WORDS = {"户主": "02", "本人": "02", "配偶": "10", "子": "20", "女": "30"}
RELATION_WORDS.update({"孙子女": "40", "父母": "50", "祖父母": "60", "兄弟姐妹": "70"})
RELATION_WORDS.update({"其他": "80", "非亲属": "99"})

_DATE = re.compile(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?")
_PHONE = re.compile(r"[0-9][0-9-]{5,19}")
LIMITS = {"name": 60, "address": 200, "ethnicity": 20, "household_no": 40}


def relation_code(value: str) -> str | None:
    if value in RELATION_WORDS:
        return RELATION_WORDS[value]
    if len(value) == 2 and value.isdigit():
        if value in ("01", "02"):
            return "02"
        return _RELATION_GROUP.get(value[0])
    return None


def region_code(value: str) -> str:
    """A region code as the register keys it: 12-digit statistical codes padded with zeros
    name the county (640104000000) or the township (640104001000)."""
    if len(value) == 12 and value.isdigit():
        if value.endswith("000000"):
            return value[:6]
        if value.endswith("000"):
            return value[:9]
    return value


def _cell(value) -> str:
    if type(value) is str:
        # The common case, first: a plain cell of a CSV needs only its ends trimmed.
        value = value.strip()
        if value.isprintable() and "  " not in value:
            return value
        return " ".join(value.split())
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


class RowChecker:
    """Checks rows against the region table and the importer's area, read once per batch.

    `regions`: {code: is_current} of every division (current and retired); `area`: the
    prefix the person must live or hold hukou under ("" for everywhere)."""

    def __init__(self, regions: dict[str, bool], area: str, today: dt.date):
        self.regions, self.area, self.today = regions, area, today
        self._fields = None

    def _read(self, fields: list, cells: list) -> dict:
        """The row's cells by field, each as `_cell` makes it. A CSV line of plain cells (the
        common case) is read in C: one look at the whole line says no cell needs more than
        its ends trimmed (or, with no space at all, not even that). Anything else (a short
        line, an XLSX cell that is not text, a tab, two spaces) goes through `_cell` cell by
        cell."""
        if fields is not self._fields:
            self._fields = fields
            read = [(i, f) for i, f in enumerate(fields) if f is not None]
            self._names = tuple(f for _i, f in read)
            self._pick = operator.itemgetter(*(i for i, _f in read))
            self._width = max(i for i, _f in read) + 1
            self._blank = dict.fromkeys(FIELDS, "")
            self._every = set(self._names) == set(FIELDS)
        if len(cells) >= self._width:
            picked = self._pick(cells)
            try:
                line = "|".join(picked)
            except TypeError:
                line = ""  # an XLSX number, date or empty cell
            if line and line.isprintable() and "  " not in line:
                if " " in line:
                    picked = map(str.strip, picked)
                if self._every:
                    return dict(zip(self._names, picked, strict=True))
                v = self._blank.copy()
                v.update(zip(self._names, picked, strict=True))
                return v
        v = self._blank.copy()
        for field, cell in zip(fields, cells, strict=False):
            if field is not None:
                v[field] = _cell(cell)
        return v

    def check(self, fields: list, cells: list) -> tuple[dict, list]:
        """(values, problems) of one row: the values normalised for the register, the
        problems as [code, params] (empty when the row may go in)."""
        v = self._read(fields, cells)
        problems = []
        add = problems.append
        for field, limit in LIMITS.items():
            if len(v[field]) > limit:
                add(["too_long", {"field": field, "limit": limit}])
                v[field] = v[field][:limit]
        if not v["name"]:
            add(["name_missing", {}])

        parsed = None
        if v["id_number"]:
            try:
                parsed = idnumber.parse(v["id_number"], today=self.today)
            except ValidationError as exc:
                add([exc.code, exc.params or {}])
                v["id_number"] = v["id_number"][:18]
            else:
                v["id_number"] = parsed.value
                if parsed.address_code not in self.regions:
                    add(["id_address_code", {"code": parsed.address_code}])

        sex = v["sex"]
        if sex:
            sex = SEX.get(sex.lower())
            if sex is None:
                add(["sex_unknown", {"value": v["sex"][:10]}])
                sex = ""
        if parsed is not None:
            if sex and sex != parsed.sex:
                add(["sex_differs", {}])
            sex = parsed.sex
        elif not sex and not v["id_number"]:
            add(["sex_missing", {}])
        v["sex"] = sex

        birth = None
        if v["birth_date"]:
            m = _DATE.fullmatch(v["birth_date"])
            try:
                birth = dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
            except ValueError:
                birth = None
            if birth is None:
                add(["birth_invalid", {"value": v["birth_date"][:20]}])
            elif not idnumber.EARLIEST_BIRTH <= birth <= self.today:
                add(["birth_impossible", {"value": birth.isoformat()}])
        if parsed is not None:
            if birth and birth != parsed.birth_date:
                add(["birth_differs", {}])
            birth = parsed.birth_date
        elif birth is None and not v["id_number"] and not v["birth_date"]:
            add(["birth_missing", {}])
        v["birth_date"] = birth

        # Regions as given: a known person's hukou is not replaced by the place their ID
        # number was first issued (run._new_person falls back to it for a new record only).
        hukou = region_code(v["hukou_region"])[:12]
        residence = region_code(v["residence_region"])[:12]
        if hukou and hukou not in self.regions:
            add(["region_unknown", {"field": "hukou_region", "value": hukou}])
        if residence:
            current = self.regions.get(residence)
            if current is None:
                add(["region_unknown", {"field": "residence_region", "value": residence}])
            elif not current:
                add(["region_retired", {"field": "residence_region", "value": residence}])
        if not hukou and not residence:
            add(["region_missing", {}])
        elif (
            self.area
            and not (problems and problems[-1][0].startswith("region_"))
            and not (hukou.startswith(self.area) or residence.startswith(self.area))
        ):
            add(["outside_area", {}])
        v["hukou_region"], v["residence_region"] = hukou, residence

        phone = v["phone"].replace(" ", "")
        if phone and not _PHONE.fullmatch(phone):
            add(["phone_invalid", {"value": phone[:20]}])
        v["phone"] = phone[:20]

        if v["marital_status"]:
            marital = MARITAL.get(v["marital_status"].lower())
            if marital is None:
                add(["marital_unknown", {"value": v["marital_status"][:12]}])
            v["marital_status"] = marital or ""
        grade = None
        if v["disability_grade"]:
            grade = DISABILITY.get(v["disability_grade"])
            if grade is None:
                add(["disability_unknown", {"value": v["disability_grade"][:10]}])
        v["disability_grade"] = grade
        if v["hukou_type"]:
            kind = HUKOU_TYPE.get(v["hukou_type"].lower())
            if kind is None:
                add(["hukou_type_unknown", {"value": v["hukou_type"][:10]}])
            v["hukou_type"] = kind or ""

        if v["relation"]:
            relation = relation_code(v["relation"])
            if relation is None:
                add(["relation_unknown", {"value": v["relation"][:10]}])
            elif not v["household_no"]:
                add(["household_missing", {}])
            v["relation"] = relation or ""
        elif v["household_no"]:
            add(["relation_missing", {}])
        return v, problems

"""The attacker of the masking test: what a user can rebuild of an ID, phone or bank number from
everything their pages showed them.

The model (issue #14): the attacker already knows where a person lives (so the six-digit address
code), their sex (so the parity of the 17th character) and their age (so their birth date within
one year). On top of that they read every page their role reaches, raw HTML included, and
combine: each masked form that agrees with the person's number gives away its visible
characters, whichever page it is on and whichever mask shape it has; a full birth date (or year
and month) next to the person's name, or next to a masked form of their number, narrows the
birth date. What remains is counted exactly: how many valid numbers (check character included)
agree with all of it. Below `THRESHOLD` the number counts as rebuilt.

`Corpus` collects pages; `Attacker` answers per person. The counting functions are plain so that
tests/security/test_masking.py can check them on their own.
"""

import calendar
import contextlib
import datetime as dt
import html
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from civilaffairs.lib.idnumber import CHECK_CHARS, WEIGHTS

THRESHOLD = 1000
# "Next to", in characters of raw HTML: a table row or a definition list with its markup, not
# a whole page (a page that lists thousands of names would otherwise put every date next to
# someone's name).
NEAR = 1500

# A run of characters that can belong to a number or its mask; separators people and templates
# put inside numbers (spaces, hyphens) are also read as absent, so "6222 **** 7890" is one run.
_RUN = re.compile(r"[0-9Xx*]+")
_SEPARATOR = re.compile(r"(?<=[0-9Xx*])[ \u00a0\u2009\-](?=[0-9Xx*])")

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_FULL_DATES = [
    # 1949-12-31, 1949/12/31, 1949.12.31, 1949年12月31日
    re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)"),
    # 19491231 standing alone (inside a longer run of digits it is part of something else)
    re.compile(r"(?<![\dXx*])((?:18|19|20)\d{2})(\d{2})(\d{2})(?![\dXx*])"),
]
# Dec. 31, 1949 / December 31, 1949 (Django's English DATE_FORMAT)
_ENGLISH_DATE = re.compile(r"\b([A-Z][a-z]{2})[a-z]*\.?\s+(\d{1,2}),\s+(\d{4})\b")
_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})(?![\d])")


def _date(y, m, d):
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@lru_cache(maxsize=256)
def birth_dates_for_age(age: int, today: dt.date) -> tuple[dt.date, ...]:
    """Every birth date that gives this age today: what knowing someone's age tells."""
    first = dt.date(today.year - age - 1, 1, 1)
    days = (dt.date(today.year - age, 12, 31) - first).days + 1
    return tuple(
        day
        for day in (first + dt.timedelta(days=i) for i in range(days))
        if age_on(day, today) == age
    )


@lru_cache(maxsize=64)
def _sequence_residues(parity: int, known: tuple[tuple[int, str], ...]) -> tuple[int, ...]:
    """How many 3-digit sequences of this parity, agreeing with the known sequence characters,
    fall on each weighted-sum residue mod 11."""
    fixed = dict(known)
    counts = [0] * 11
    for seq in range(1000):
        digits = f"{seq:03d}"
        if seq % 2 != parity or any(fixed.get(14 + i, d) != d for i, d in enumerate(digits)):
            continue
        counts[sum(int(d) * w for d, w in zip(digits, WEIGHTS[14:17], strict=True)) % 11] += 1
    return tuple(counts)


@lru_cache(maxsize=100_000)
def _date_part(day: dt.date) -> tuple[str, int]:
    digits = f"{day:%Y%m%d}"
    return digits, sum(int(c) * w for c, w in zip(digits, WEIGHTS[6:14], strict=True))


def id_candidates(number: str, *, revealed: Iterable[int], birth_dates: Iterable[dt.date]) -> int:
    """How many valid 18-character ID numbers agree with what the attacker knows: the address
    code (first six characters) and sex (parity of the 17th) always, the characters at the
    `revealed` positions, and a birth date among `birth_dates`."""
    known = {i: number[i] for i in set(revealed) | set(range(6))}
    address = sum(int(c) * w for c, w in zip(number[:6], WEIGHTS[:6], strict=True))
    residues = _sequence_residues(
        int(number[16]) % 2, tuple(sorted((i, c) for i, c in known.items() if 14 <= i <= 16))
    )
    date_known = tuple((i - 6, c) for i, c in known.items() if 6 <= i <= 13)
    dates = _date_residues(tuple(sorted(set(birth_dates))), date_known)
    if 17 not in known:
        return sum(dates) * sum(residues)
    # The check character fixes which residue the sequence must bring for each date.
    target = CHECK_CHARS.index(known[17]) - address
    return sum(n * residues[(target - r) % 11] for r, n in enumerate(dates))


@lru_cache(maxsize=4096)
def _date_residues(dates: tuple[dt.date, ...], known: tuple[tuple[int, str], ...]) -> list[int]:
    """How many of these birth dates, agreeing with the known date characters, fall on each
    weighted-sum residue mod 11."""
    counts = [0] * 11
    for day in dates:
        digits, weighted = _date_part(day)
        if all(digits[i] == c for i, c in known):
            counts[weighted % 11] += 1
    return counts


def phone_candidates(number: str, *, revealed: Iterable[int]) -> int:
    """How many numbers agree with the revealed digits; a Chinese mobile number starts with 1
    and then 3-9, which the attacker knows."""
    revealed = set(revealed)
    count = 1
    mobile = len(number) == 11 and number.startswith("1")
    for i in range(len(number)):
        if i not in revealed:
            count *= (1 if i == 0 else 7 if i == 1 else 10) if mobile else 10
    return count


def bank_candidates(number: str, *, revealed: Iterable[int]) -> int:
    """How many account numbers agree with the revealed digits; the Luhn check digit gives one
    hidden digit back."""
    hidden = len(number) - len(set(revealed))
    return 10 ** max(hidden - 1, 0)


@dataclass
class Page:
    url: str
    text: str


@dataclass
class Corpus:
    """Every page one user saw, indexed for the attacker."""

    pages: list[Page] = field(default_factory=list)
    # Masked runs by shape (length, visible positions), then visible characters -> where they
    # are, as (page index, offset in the page).
    masked: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    plain_runs: dict = field(default_factory=dict)  # run of digits -> first page index
    dates: dict = field(default_factory=lambda: defaultdict(set))  # date -> places
    months: dict = field(default_factory=lambda: defaultdict(set))  # (year, month) -> places

    def add(self, url: str, body: str, content_type: str = "text/html") -> None:
        if content_type.startswith("application/json"):
            # A JSON answer as the characters it stands for (\u escapes and all).
            with contextlib.suppress(ValueError):
                body = json.dumps(json.loads(body), ensure_ascii=False)
        text = html.unescape(body)
        index = len(self.pages)
        self.pages.append(Page(url, text))
        # Offsets in the text without separators are a few characters off: close enough for
        # telling what stands next to what.
        for match in [*_RUN.finditer(text), *_RUN.finditer(_SEPARATOR.sub("", text))]:
            run = match.group().upper()
            if "*" in run:
                visible = tuple(i for i, c in enumerate(run) if c != "*")
                if visible:
                    chars = "".join(run[i] for i in visible)
                    self.masked[(len(run), visible)][chars].add((index, match.start()))
            elif len(run) >= 6:
                self.plain_runs.setdefault(run, index)
        for pattern in _FULL_DATES:
            for match in pattern.finditer(text):
                if day := _date(*match.groups()):
                    self.dates[day].add((index, match.start()))
        for match in _ENGLISH_DATE.finditer(text):
            mon, d, y = match.groups()
            if mon.lower() in _MONTHS and (day := _date(y, _MONTHS[mon.lower()], d)):
                self.dates[day].add((index, match.start()))
        for match in _YEAR_MONTH.finditer(text):
            y, m = match.groups()
            if 1 <= int(m) <= 12:
                self.months[(int(y), int(m))].add((index, match.start()))

    def windows(self, length: int) -> dict[str, int]:
        """Every stretch of `length` characters inside a plain run: a full number shown
        outright, however it is embedded."""
        found = {}
        for run, index in self.plain_runs.items():
            for start in range(len(run) - length + 1):
                found.setdefault(run[start : start + length], index)
        return found


@dataclass
class Finding:
    kind: str  # "ID number", "phone", "bank account"
    owner: str
    candidates: int  # 1 when shown outright or rebuilt exactly
    pages: list[str]
    outright: bool = False

    def __str__(self):
        how = "shown in full" if self.outright else f"{self.candidates} candidate(s) left"
        return f"{self.kind} of {self.owner}: {how} ({', '.join(self.pages[:4])})"


class Attacker:
    def __init__(self, corpus: Corpus, today: dt.date):
        self.corpus = corpus
        self.today = today
        self._windows = {}

    def _full(self, number: str) -> int | None:
        if len(number) not in self._windows:
            self._windows[len(number)] = self.corpus.windows(len(number))
        return self._windows[len(number)].get(number)

    def revealed(self, number: str, *, min_partial: int) -> tuple[set[int], set]:
        """Positions of `number` that masked runs agreeing with it show, and where those runs
        are (page index, offset). A run as long as the number is read in place; a shorter one
        (at least `min_partial` long) as the number's beginning or its end."""
        positions, places = set(), set()
        for (length, visible), table in self.corpus.masked.items():
            if length == len(number):
                offsets = [0]
            elif min_partial <= length < len(number):
                offsets = [0, len(number) - length]
            else:
                continue
            for offset in offsets:
                key = "".join(number[offset + i] for i in visible)
                if key in table:
                    positions.update(offset + i for i in visible)
                    places.update(table[key])
        return positions, places

    def _pages(self, places) -> list[str]:
        return sorted({self.corpus.pages[index].url for index, _offset in places})

    def _next_to(self, place, name: str, tokens) -> bool:
        """Whether a place on a page is near the person's name or one of their masked
        forms: "next to" is within NEAR characters of the raw page."""
        index, offset = place
        if any(i == index and abs(o - offset) <= NEAR for i, o in tokens):
            return True
        text = self.corpus.pages[index].text
        return name in text[max(offset - NEAR, 0) : offset + NEAR]

    def id_number(self, number: str, *, name: str, birth: dt.date) -> Finding | None:
        if (index := self._full(number)) is not None:
            return Finding("ID number", name, 1, [self.corpus.pages[index].url], outright=True)
        positions, tokens = self.revealed(number, min_partial=12)
        dates = birth_dates_for_age(age_on(birth, self.today), self.today)
        date_places = set()
        # A birth date counts as known where a page shows it next to the person's name or
        # one of their masked forms; a year and month, likewise.
        for place in self.corpus.dates.get(birth, ()):
            if self._next_to(place, name, tokens):
                dates, date_places = (birth,), {place}
                break
        else:
            for place in self.corpus.months.get((birth.year, birth.month), ()):
                if self._next_to(place, name, tokens):
                    dates = tuple(
                        d for d in dates if (d.year, d.month) == (birth.year, birth.month)
                    )
                    date_places = {place}
                    break
        if not positions - set(range(6)) and not date_places:
            return None  # nothing seen beyond what the attacker knew anyway
        count = id_candidates(number, revealed=positions, birth_dates=dates)
        if count < THRESHOLD:
            return Finding("ID number", name, count, self._pages(tokens | date_places))
        return None

    def phone(self, number: str, *, owner: str) -> Finding | None:
        if (index := self._full(number)) is not None:
            return Finding("phone", owner, 1, [self.corpus.pages[index].url], outright=True)
        positions, pages = self.revealed(number, min_partial=6)
        count = phone_candidates(number, revealed=positions)
        if count < THRESHOLD:
            return Finding("phone", owner, count, self._pages(pages))
        return None

    def bank_account(self, number: str, *, owner: str) -> Finding | None:
        if (index := self._full(number)) is not None:
            return Finding("bank account", owner, 1, [self.corpus.pages[index].url], outright=True)
        positions, pages = self.revealed(number, min_partial=6)
        count = bank_candidates(number, revealed=positions)
        if count < THRESHOLD:
            return Finding("bank account", owner, count, self._pages(pages))
        return None

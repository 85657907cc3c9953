"""Who an imported row may already be: candidates by name (also by its sound, so that 王晓明
and 王小明 are found), date of birth, sex and region, with a score.

Blocking is by date of birth and sex (an index on people.Person.birth_date), so each row is
compared with the few dozen people of a county born that day, never with the register.
"""

from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

REASONS = {
    "same_name": _("the same name"),
    "same_sound": _("a name that sounds the same"),
    "same_birth": _("the same date of birth"),
    "same_sex": _("the same sex"),
    "same_village": _("the same village or community"),
    "same_township": _("the same township"),
    "same_county": _("the same county"),
}
WEIGHTS = {
    "same_name": 50,
    "same_sound": 40,
    "same_birth": 25,
    "same_sex": 10,
    "same_village": 15,
    "same_township": 10,
    "same_county": 5,
}


@lru_cache(maxsize=200_000)
def sound(name: str) -> str:
    """The name as it is said, without tones: 王晓明 and 王小明 are both "wangxiaoming". Names
    repeat a great deal, so each is worked out once per process."""
    return "".join(lazy_pinyin(name, errors="ignore")).lower()


def score(row_name: str, row_region: str, other_name: str, other_regions: tuple[str, ...]):
    """(score, reasons) of a pair already known to share date of birth and sex."""
    reasons = ["same_birth", "same_sex"]
    if row_name == other_name:
        reasons.insert(0, "same_name")
    elif sound(row_name) and sound(row_name) == sound(other_name):
        reasons.insert(0, "same_sound")
    else:
        return 0, []
    for length, reason in ((12, "same_village"), (9, "same_township"), (6, "same_county")):
        if len(row_region) >= length and any(
            r[:length] == row_region[:length] for r in other_regions
        ):
            reasons.append(reason)
            break
    return sum(WEIGHTS[r] for r in reasons), reasons


def threshold() -> int:
    return settings.IMPORT_CANDIDATE_SCORE

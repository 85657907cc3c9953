"""The bank file: what a disbursement batch sends, and what the bank answers (the format is
documented in docs/bank-file.md, which a bank's integrator reads; keep the two together).

Both are CSV (RFC 4180, UTF-8, CRLF), one record per line, the first field naming the kind:
H (header), D (a payment) or R (a result), T (trailer). The trailer carries the count, the
total (payments) and the SHA-256 of every line before it, so a file cut short, edited by hand
or sent for another batch is refused as a whole before anything is stored.
"""

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FORMAT_VERSION = "1"
# ISO 20022 external status reason codes (ExternalStatusReason1Code) a bank gives for a
# payment it could not make; others are kept as the bank sent them, with its text.
REASONS = {
    "AC01": gettext_lazy("Incorrect account number"),
    "AC04": gettext_lazy("Closed account number"),
    "AC06": gettext_lazy("Blocked account"),
    "BE01": gettext_lazy("Name does not match the account holder"),
    "AM05": gettext_lazy("Duplicate payment"),
    "MS03": gettext_lazy("Reason not specified by the bank"),
}
MAX_PROBLEMS = 20  # listed in full up to here; a file this wrong is the wrong file
_CODE = re.compile(r"[A-Z0-9]{2,8}")


def _csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export(batch, lines) -> bytes:
    """The payment file of an approved batch: the same bytes every time it is asked for."""
    header = _csv(
        [
            [
                "H",
                "DISB",
                FORMAT_VERSION,
                batch.reference,
                batch.county_id,
                batch.month.strftime("%Y-%m"),
                batch.line_count,
                f"{batch.total:.2f}",
            ]
        ]
    )
    body = _csv(
        [
            "D",
            line.reference,
            line.payee_name,
            line.id_number,
            line.bank_name,
            line.bank_account,
            f"{line.amount:.2f}",
        ]
        for line in lines
    )
    text = header + body
    trailer = _csv([["T", batch.line_count, f"{batch.total:.2f}", _digest(text)]])
    return (text + trailer).encode("utf-8")


def checksum(data: bytes) -> str:
    """The checksum a payment file ends with (what the batch keeps when it is exported)."""
    last = data.decode("utf-8").rstrip("\r\n").rsplit("\r\n", 1)[-1]
    return last.rsplit(",", 1)[-1]


@dataclass(frozen=True)
class Result:
    line: str  # the line's reference
    outcome: str  # "paid", "failed" or "returned"
    on: dt.date
    code: str
    reason: str


def parse_results(data: bytes, *, batch_reference: str) -> list[Result]:
    """The bank's answer for a batch, checked as a whole: every problem is listed (up to
    MAX_PROBLEMS), in the reader's language, and nothing is returned unless the file is sound."""
    problems: list[str] = []

    def problem(message):
        if len(problems) < MAX_PROBLEMS:
            problems.append(message)

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file is not UTF-8 text: is it the bank's result file?")
        ) from None
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 2:
        raise ValidationError(_("The file is empty or has no trailer."))
    try:
        records = list(csv.reader(lines))
    except csv.Error:
        raise ValidationError(_("The file is not a CSV file.")) from None
    head, *body, tail = records
    if head[:2] != ["H", "RESULT"] or len(head) < 4:
        raise ValidationError(
            _("The first line must be the header “H,RESULT,%(version)s,<batch reference>”.")
            % {"version": FORMAT_VERSION}
        )
    if head[2] != FORMAT_VERSION:
        problem(
            _("Format version %(found)s is not known (expected %(version)s).")
            % {"found": head[2], "version": FORMAT_VERSION}
        )
    if head[3] != batch_reference:
        raise ValidationError(
            _("This result file is for batch %(found)s, not for %(batch)s.")
            % {"found": head[3], "batch": batch_reference}
        )
    if tail[:1] != ["T"] or len(tail) != 3:
        raise ValidationError(_("The last line must be the trailer “T,<count>,<checksum>”."))
    signed = "".join(line + "\r\n" for line in lines[:-1])
    if tail[2].lower() != _digest(signed):
        problem(_("The checksum does not match the file: it was changed or cut short."))
    if tail[1] != str(len(body)):
        problem(
            _("The trailer counts %(said)s results; the file has %(found)s.")
            % {"said": tail[1], "found": len(body)}
        )
    results, seen = [], set()
    outcomes = {"PAID": "paid", "FAILED": "failed", "RETURNED": "returned"}
    for number, record in enumerate(body, start=2):
        if len(record) != 6 or record[0] != "R":
            problem(_("Line %(n)s: a result has 6 fields, starting with R.") % {"n": number})
            continue
        _kind, ref, outcome, day, code, reason = record
        if ref in seen:
            problem(_("Line %(n)s: %(ref)s is answered twice.") % {"n": number, "ref": ref})
        seen.add(ref)
        if outcome not in outcomes:
            problem(
                _("Line %(n)s: the result must be PAID, FAILED or RETURNED, not “%(found)s”.")
                % {"n": number, "found": outcome[:20]}
            )
        try:
            on = dt.date.fromisoformat(day)
        except ValueError:
            problem(_("Line %(n)s: the date must be YYYY-MM-DD.") % {"n": number})
            on = None
        if on is not None and on > timezone.localdate():
            # A bank reports what it did: a payment dated tomorrow is a mistake in the file.
            problem(
                _("Line %(n)s: the date %(day)s is in the future.")
                % {"n": number, "day": on.isoformat()}
            )
            on = None
        if outcome in ("FAILED", "RETURNED") and not _CODE.fullmatch(code):
            problem(
                _("Line %(n)s: a failed or returned payment needs a reason code.") % {"n": number}
            )
        if outcome in outcomes and on is not None:
            results.append(
                Result(ref, outcomes[outcome], on, code if outcome != "PAID" else "", reason[:200])
            )
    if problems:
        raise ValidationError(problems)
    return results


def result_file(batch_reference: str, rows) -> bytes:
    """A result file as a bank would write it (for tests, the demo and the bank's integrator):
    rows of (line reference, PAID/FAILED/RETURNED, date, code, reason)."""
    text = _csv([["H", "RESULT", FORMAT_VERSION, batch_reference]]) + _csv(
        ["R", ref, outcome, day.isoformat(), code, reason]
        for ref, outcome, day, code, reason in rows
    )
    rows_count = text.count("\r\n") - 1
    return (text + _csv([["T", rows_count, _digest(text)]])).encode("utf-8")

"""No personal number in any log.

The last test of the run reads every log the run wrote ($TEST_LOG_DIR: this process's records
at DEBUG, before any redaction, and the output of every process the suite started) and fails on
any valid ID number, mobile number or bank-card number, naming the file, the line and the kind,
never the number. The other tests prove the pieces: the scan can fail, the filter on every
handler redacts, gunicorn's access log has no query strings, and a 403 is one line.
"""

import datetime as dt
import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from civilaffairs.lib import idnumber
from civilaffairs.lib.logsafety import RedactPersonalNumbers, redact
from tests.auth import sign_in
from tests.conftest import ROOT, TEST_LOG_DIR
from tests.factories import UserFactory, valid_id

# ----------------------------------------------------------------------------- the scan

_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
# A mainland mobile number, alone or after +86 / 0086, not part of a longer number.
_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[ -]?)?1[3-9]\d{9}(?!\d)")
_CARD = re.compile(r"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])")
# Celery's task ids: a UUID's last group of twelve hex digits can read as a mobile number
# followed by a letter (…-13058645683b). They are taken out of a line before it is scanned.
_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)


def _is_valid_id(text: str, today: dt.date) -> bool:
    """18 characters with the right MOD 11-2 check character and a plausible birth date."""
    text = text.upper()
    if idnumber.check_char(text[:17]) != text[17] or text[0] == "0":
        return False
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return idnumber.EARLIEST_BIRTH <= birth <= today


def _passes_luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        d = int(char)
        if position % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def personal_numbers(line: str, today: dt.date | None = None) -> list[str]:
    """The kinds of personal number in `line` ('ID number', 'mobile number', 'bank-card
    number'), one entry per number found."""
    today = today or dt.date.today()
    line = _UUID.sub(" ", line)
    ids = [m for m in _ID.finditer(line) if _is_valid_id(m.group(0), today)]
    id_spans = {m.span() for m in ids}
    found = ["ID number" for _m in ids]
    found += ["mobile number" for _m in _MOBILE.finditer(line)]
    found += [
        "bank-card number"
        for m in _CARD.finditer(line)
        if m.span() not in id_spans and _passes_luhn(m.group(0))
    ]
    return found


def scan(paths) -> list[str]:
    """'file:line: kind' for every personal number in the files."""
    problems = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                for kind in personal_numbers(line):
                    problems.append(f"{path}:{number}: {kind}")
    return problems


def test_the_scan_finds_a_valid_id_number_and_says_where_without_showing_it(tmp_path):
    number = valid_id("640104", dt.date(1980, 5, 17), "F")
    log = tmp_path / "web.log"
    log.write_text(f"fine\nGET /staff/people/?q={number} 200\n", encoding="utf-8")
    problems = scan([log])
    assert problems == [f"{log}:2: ID number"]
    assert number not in problems[0]


def _with_luhn_digit(digits: str) -> str:
    return next(digits + d for d in "0123456789" if _passes_luhn(digits + d))


def test_the_scan_finds_mobile_and_bank_card_numbers():
    card = _with_luhn_digit("622202123456789")
    assert personal_numbers("called 13912345678 today") == ["mobile number"]
    assert personal_numbers("called +8613912345678") == ["mobile number"]
    assert personal_numbers(f"paid to {card}") == ["bank-card number"]


def test_the_scan_ignores_numbers_that_only_look_alike():
    number = valid_id()
    wrong_check = number[:17] + ("0" if number[17] != "0" else "1")
    impossible_date = "640104" + "20260230" + number[14:]
    assert "ID number" not in personal_numbers(wrong_check)
    assert "ID number" not in personal_numbers(impossible_date)
    assert personal_numbers("order 213912345678 region 640104001002") == []
    card = _with_luhn_digit("622202123456789")
    not_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert personal_numbers(f"t {not_card}") == []  # fails Luhn


def _run_log_files() -> list[Path]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return sorted(p for p in TEST_LOG_DIR.rglob("*") if p.is_file())


# Last (tests/conftest.py), so it reads the logs of every other test of the run; `make test`
# runs it on its own after the parallel run, whose processes cannot wait for each other.
@pytest.mark.runs_last
def test_no_log_of_the_whole_run_holds_a_personal_number():
    files = _run_log_files()
    assert files, f"no log files in {TEST_LOG_DIR}"
    problems = scan(files)
    assert not problems, "personal numbers in the logs of this run:\n" + "\n".join(problems)


# ----------------------------------------------------------------------------- the filter


def _record(message, *args, exc_info=None):
    return logging.LogRecord("t", logging.WARNING, __file__, 1, message, args, exc_info)


def test_the_log_filter_redacts_id_mobile_and_card_numbers_in_every_form():
    number = valid_id()
    grouped = " ".join(number[i : i + 4] for i in range(0, 18, 4))
    record = _record(
        "search %s / %s by 13912345678 (138-0000-0001), card 6222 0212 3456 7899",
        number,
        grouped,
    )
    RedactPersonalNumbers().filter(record)
    text = record.getMessage()
    assert text == (
        "search [redacted:id] / [redacted:id] by [redacted:mobile] ([redacted:mobile]),"
        " card [redacted:card]"
    )


def test_the_log_filter_redacts_a_traceback():
    number = valid_id()
    try:
        int(number + "?")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())
    RedactPersonalNumbers().filter(record)
    formatted = logging.Formatter().format(record)
    assert "ValueError" in formatted and "[redacted:id]" in formatted
    assert number not in formatted


def test_the_log_filter_leaves_dates_codes_and_ids_of_rows_alone():
    text = "case 12345 region 640104001002 from 2026-12-01 2026-12-31 took 1733312345678 ns"
    assert redact(text) == text


def test_every_handler_of_the_logging_settings_carries_the_filter(settings):
    for name, handler in settings.LOGGING["handlers"].items():
        assert "personal_numbers" in handler.get("filters", []), name
    (console,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    assert any(isinstance(f, RedactPersonalNumbers) for f in console.filters)


def test_a_celery_worker_and_its_tasks_log_through_the_filter():
    """Celery replaces the handlers Django configured with its own when a worker or beat
    starts; the same set-up as `celery worker`, in a process of its own, must still redact."""
    number = valid_id()
    code = (
        "import sys, logging, django; django.setup();"
        "from civilaffairs import celery_app as app;"
        "from celery.utils.log import get_task_logger;"
        "app.log.setup_logging_subsystem(loglevel='INFO', colorize=False);"
        "number = sys.stdin.read();"
        "logging.getLogger('civilaffairs.x').warning('worker %s', number);"
        "get_task_logger('assistance.tasks').warning('task %s', number)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        input=number,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="civilaffairs.settings"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert number not in result.stderr + result.stdout
    assert "worker [redacted:id]" in result.stderr
    assert "task [redacted:id]" in result.stderr


# ----------------------------------------------------------------------------- 4xx: one line


@pytest.fixture
def console_streams():
    """Every stream handler of the django and root loggers writes into one buffer."""
    buffer = io.StringIO()
    swapped = []
    for name in ("django", "django.request", ""):
        for handler in logging.getLogger(name).handlers:
            if type(handler) is logging.StreamHandler:
                swapped.append((handler, handler.setStream(buffer)))
    yield buffer
    for handler, old in swapped:
        handler.setStream(old)


def test_a_refused_page_is_logged_once_on_one_line_even_in_development(
    client, regions, settings, console_streams
):
    settings.DEBUG = True  # Django's own console handler used to log it a second time
    sign_in(client, UserFactory(username="no-role"))
    assert client.get("/staff/").status_code == 403
    text = console_streams.getvalue()
    assert text.count("Forbidden (Permission denied): /staff/") == 1, text
    assert "Traceback" not in text and "PermissionDenied" not in text, text


def test_a_server_error_still_logs_its_traceback(rf, console_streams):
    from django.utils.log import log_response

    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        response = type("R", (), {"status_code": 500})()
        log_response("Internal Server Error: %s", "/x/", response=response, exception=exc)
    assert "Traceback" in console_streams.getvalue()


# ----------------------------------------------------------------------------- access log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorns_access_log_keeps_no_query_string_nor_referrer_query(tmp_path):
    """The real server with the project's gunicorn.conf.py: a staff search by ID number is a GET
    (bookmarks and the back button keep working), so its query string must not be logged."""
    number = valid_id("640104", dt.date(1975, 1, 2), "M")
    port = _free_port()
    log_path = TEST_LOG_DIR / f"gunicorn-access-{port}.log"
    env = dict(os.environ, DEBUG="1", PYTHONUNBUFFERED="1")
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "civilaffairs.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--access-logfile",
                "-",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not start"
                    assert server.poll() is None, log_path.read_text()
                    time.sleep(0.1)
            search = f"http://127.0.0.1:{port}{reverse('staff:person-list')}?q={number}"
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/static/css/portal.css?phone=13912345678",
                headers={"Referer": search},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            opener = urllib.request.build_opener(NoRedirect())
            assert opener.open(search, timeout=10).status == 302  # to the login page
            time.sleep(0.3)  # the access line is written after the answer
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
    access = [line for line in log_path.read_text().splitlines() if '"GET ' in line]
    assert len(access) == 2, log_path.read_text()
    assert '"GET /static/css/portal.css HTTP/1.1" 200' in access[0]
    assert f'"http://127.0.0.1:{port}/staff/people/"' in access[0]  # the referrer, cut
    assert '"GET /staff/people/ HTTP/1.1" 302' in access[1]
    assert not any("?" in line for line in access)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

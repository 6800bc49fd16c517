"""The import contracts of docs/architecture.md hold, and they bite.

`make lint` runs lint-imports; this runs it too, so CI (`make test`) fails on a
broken contract. Each bad import below is written into a copy of the project
in a temporary directory (the work tree is never touched), and lint-imports
must then name the broken contract and the import.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """lint-imports over the project at `project`, with its own pyproject.toml."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The project's packages and its pyproject.toml, copied."""
    ignore = shutil.ignore_patterns("__pycache__", "migrations")
    for package in ("apps", "config"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


BAD_IMPORTS = [
    pytest.param(
        "apps/releases/models.py",
        "from apps.readiness import views  # a page above the model",
        "Apps import only apps below them",
        "apps.releases.models -> apps.readiness.views",
        id="releases-imports-readiness",
    ),
    pytest.param(
        "apps/signoffs/services.py",
        "from apps.probes import selectors  # a sibling layer",
        "Apps import only apps below them",
        "apps.signoffs.services -> apps.probes.selectors",
        id="signoffs-imports-probes",
    ),
    pytest.param(
        "apps/core/htmx.py",
        "from apps.audit import services  # core imports no app",
        "Apps import only apps below them",
        "apps.core.htmx -> apps.audit.services",
        id="core-imports-audit",
    ),
    pytest.param(
        "apps/notifications/services.py",
        "from config import api  # config sits on top",
        "No app imports config",
        "apps.notifications.services -> config.api",
        id="app-imports-config",
    ),
    pytest.param(
        "apps/probes/kinds/http.py",
        "from django.conf import settings  # kinds are plain Python",
        "Probe kinds import no Django",
        "apps.probes.kinds.http -> django",
        id="kind-imports-django",
    ),
    pytest.param(
        "apps/readiness/judge.py",
        "from django.utils import timezone  # the judge is plain Python",
        "The readiness judge imports no Django",
        "apps.readiness.judge -> django",
        id="judge-imports-django",
    ),
    pytest.param(
        "apps/readiness/judge.py",
        "from apps.releases import lifecycle  # a model's app, so Django",
        "The readiness judge imports no Django",
        "apps.readiness.judge -> apps.releases.lifecycle",
        id="judge-imports-an-app",
    ),
    pytest.param(
        "apps/readiness/judge.py",
        "from apps.readiness import inputs  # the gathering, with the database",
        "The readiness judge imports no Django",
        "apps.readiness.judge -> apps.readiness.inputs",
        id="judge-imports-the-gathering",
    ),
    pytest.param(
        "apps/policy/facts.py",
        "from django.utils import timezone  # the judge's facts go Django",
        "The readiness judge imports no Django",
        "apps.policy.facts -> django",
        id="judge-imports-django-indirectly",
    ),
]


@pytest.mark.parametrize(("module", "line", "contract", "chain"), BAD_IMPORTS)
def test_a_bad_import_breaks_its_contract(copy, module, line, contract, chain):
    path = copy / module
    # Inside a function, as a lazy import dodging a cycle would be: still seen.
    path.write_text(path.read_text() + f"\n\ndef _bad() -> None:\n    {line}\n")

    result = lint_imports(copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout
    assert chain in result.stdout

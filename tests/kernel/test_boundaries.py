"""The machine-checked boundaries (docs/boundaries.md): the import contracts hold and there is no
import cycle, and a deliberate violation of either is caught (on a copy of the code)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGES = ("inboxes", "tenants", "billing", "platform/messenger")


def _run(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "platform")])}
    return subprocess.run(
        args, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return _run([str(BIN / "lint-imports"), "--no-cache", "--config", ".importlinter"], root)


def _import_cycles(root: Path) -> subprocess.CompletedProcess[str]:
    script = str(REPO / "scripts" / "import_cycles.py")
    return _run([sys.executable, script, "--root", str(root)], root)


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    """The first-party packages and the contracts, copied where a test may break them."""
    for package in PACKAGES:
        shutil.copytree(
            REPO / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "locale"),
        )
    shutil.copy(REPO / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_there_is_no_import_cycle_but_the_expected_one() -> None:
    result = _import_cycles(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 import cycle(s)" in result.stdout


def test_a_deliberate_violation_breaks_each_contract(code_copy: Path) -> None:
    # a domain module using an entry point, the kernel an app, conversations routing,
    # tenants inboxes, one entry point another
    _append(code_copy / "inboxes/visitors/tokens.py", "from inboxes.widget_api import sse")
    _append(code_copy / "platform/messenger/redis_keys.py", "import billing.models")
    _append(code_copy / "inboxes/conversations/payloads.py", "import inboxes.routing.policy")
    _append(code_copy / "tenants/companies/forms.py", "import inboxes.presence")
    _append(code_copy / "inboxes/widget_api/cdn.py", "import tenants.console.views")

    result = _lint_imports(code_copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 5 broken" in result.stdout, result.stdout
    for line in (
        "inboxes.visitors.tokens -> inboxes.widget_api.sse",
        "messenger.redis_keys -> billing.models",
        "inboxes.conversations.payloads -> inboxes.routing.policy",
        "tenants.companies.forms -> inboxes.presence",
        "inboxes.widget_api.cdn -> tenants.console.views",
    ):
        assert line in result.stdout, line


def test_a_deliberate_cycle_is_found_even_through_an_import_inside_a_function(
    code_copy: Path,
) -> None:
    _append(
        code_copy / "inboxes/presence.py",
        "def _late():\n    from inboxes.routing import selectors  # noqa: F401",
    )
    _append(code_copy / "inboxes/routing/selectors.py", "import inboxes.presence")

    result = _import_cycles(code_copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "CYCLE: inboxes.presence <-> inboxes.routing.selectors" in result.stdout

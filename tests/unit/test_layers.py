"""The layering rule of design.md, pinned: the import-linter contracts in pyproject.toml hold
on this tree, and they do catch an import that runs back up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("commands", "producers", "consumers", "retailsync", "sandbox")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    selected = [argument for contract in contracts for argument in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *selected],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )


def copy_tree(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", target)
    return target


def test_every_layer_imports_only_downwards(tmp_path: Path) -> None:
    result = lint_imports(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "reverse_import", "contract"),
    [
        ("retailsync/durations.py", "import producers", "layers"),
        ("retailsync/errors.py", "import commands.run", "layers"),
        ("consumers/odoo_orders/orders.py", "import producers.commerce", "layers"),
        ("sandbox/http.py", "import retailsync.errors", "sandbox-leaf"),
        ("producers/odoo/poller.py", "import sandbox.odoo", "no-stand-ins"),
    ],
)
def test_an_import_that_runs_back_up_is_caught(
    tmp_path: Path, module: str, reverse_import: str, contract: str
) -> None:
    tree = copy_tree(tmp_path)
    assert lint_imports(tree, contract).returncode == 0
    with (tree / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{reverse_import}  # the fault under test\n")
    result = lint_imports(tree, contract)
    assert result.returncode != 0, result.stdout
    assert "1 broken" in result.stdout

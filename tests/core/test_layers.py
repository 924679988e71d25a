"""The import-linter contracts in pyproject.toml hold, and each would catch an offence coming back.

`lint-imports` runs in `make check`; this module runs it too, then copies the sources to a
temporary directory, puts back one import of the kind the contract forbids (each one an import
the code had before the layers were laid: docs/architecture.md, "Layers") and expects exactly
that contract to break.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.harness.servers import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# contract id -> (module file, an import the contract forbids there)
OFFENCES = {
    "layers": ("payments/views.py", "import frontend.views"),
    "core-alone": ("core/formatting.py", "import payments.models"),
    "no-shell": ("accounts/views.py", "import frontend.views"),
    "payments-below-sale": ("payments/webhooks.py", "import aftersale.models"),
    "enforcement-below-sale": ("enforcement/services/assets.py", "import auction.models"),
    "pure-engines": ("auction/bidding/rules.py", "import django.db"),
}


def config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def lint(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *selected],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold():
    result = lint(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_contract_has_an_offence_that_proves_it_bites():
    ids = {contract["id"] for contract in config()["contracts"]}

    assert ids == set(OFFENCES)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root packages' Python files and pyproject.toml, copied once for the module."""
    copy = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    for package in config()["root_packages"]:
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "*.po", "*.mo"),
        )
    return copy


@pytest.mark.parametrize("contract", sorted(OFFENCES))
def test_the_contract_breaks_when_a_forbidden_import_comes_back(sources: Path, contract: str):
    relative, offence = OFFENCES[contract]
    module = sources / relative
    original = module.read_text()
    module.write_text(f"{original}\n{offence}  # noqa\n")
    try:
        result = lint(sources, contract)
    finally:
        module.write_text(original)

    assert result.returncode != 0, result.stdout
    importer = relative.removesuffix(".py").replace("/", ".")
    assert "BROKEN" in result.stdout
    assert f"{importer} ->" in result.stdout


APPS = ("core", "accounts", "enforcement", "payments", "auction", "aftersale", "support")


def row_locks_in(path: Path) -> list[int]:
    """Lines of `path` that take a row lock: a `select_for_update()` call or SQL naming
    FOR UPDATE (docstrings are prose, not SQL)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "select_for_update"
        ) or (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "FOR UPDATE" in node.value
            and id(node) not in docstrings
        ):
            lines.append(node.lineno)
    return lines


def test_every_row_lock_is_taken_in_its_apps_locks_module():
    outside = {
        f"{path.relative_to(ROOT)}:{line}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if path.name != "locks.py" and "migrations" not in path.parts
        for line in row_locks_in(path)
    }

    assert not outside, f"take these locks through the app's locks.py: {sorted(outside)}"

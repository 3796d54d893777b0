"""The shape of the test tree: tests share helpers through tests/support only, never by importing
another test module (a ``test_*`` file, a conftest, or a helper kept next to the tests), and
each folder of tests/unit/ mirrors a layer of the package, so a test is found where its code is."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import ROOT

SHARED = "tests.support"
PACKAGE = ROOT / "components" / "pulumi_flink"
UNIT = ROOT / "tests" / "unit"
NOT_PACKAGE_LAYERS = {"generators", "support"}
"""Unit test folders for code outside the package: the generators of the files made from the spec,
and the pure parts of the test support code (tests/support)."""
IMPORT_FUNCTIONS = {"import_module", "__import__"}


def module_name(path: Path) -> str:
    """The dotted name ``path`` (under ROOT) is imported by."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _relative_base(module: str, is_package: bool, level: int) -> str:
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def imported_modules(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, module) for every module ``source`` imports, relative imports resolved against
    ``module``; ``from a import b`` counts as ``a.b`` where ``a`` is the ``tests`` root or
    the importer's own package, whose names are modules."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _relative_base(module, is_package, node.level) if node.level else ""
            base = ".".join(p for p in (base, node.module or "") if p)
            if node.module is None or base == "tests":
                yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                yield node.lineno, base
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in IMPORT_FUNCTIONS and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def is_test_module(name: str) -> bool:
    """Anything under tests/ but tests/support: test modules, conftests, helpers kept by the tests."""
    in_tests = name == "tests" or name.startswith("tests.")
    return in_tests and not (name == SHARED or name.startswith(f"{SHARED}."))


def imports_of_test_modules(path: Path) -> list[str]:
    module = module_name(path)
    found = imported_modules(path.read_text(), module, path.name == "__init__.py")
    where = path.relative_to(ROOT)
    return [f"{where}:{line}: imports {name}" for line, name in found if is_test_module(name)]


def python_files() -> list[Path]:
    return sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")])


def test_no_test_or_script_imports_a_test_module() -> None:
    offenders = [line for path in python_files() for line in imports_of_test_modules(path)]
    assert offenders == [], (
        "tests share helpers through tests/support/ (a module named by what it holds), never by "
        "importing another test module:\n" + "\n".join(offenders)
    )


def test_the_scan_covers_the_test_tree_and_the_scripts() -> None:
    scanned = {module_name(p) for p in python_files()}
    for expected in ("tests.conftest", "tests.unit.test_test_tree", "tests.flink.test_ha_zookeeper",
                     "tests.support.ha_cluster", "scripts.failover_benchmark"):
        assert expected in scanned, expected


@pytest.mark.parametrize(
    ("source", "module", "found"),
    [
        ("from tests.unit.test_cli import YAML_PIECES", "tests.unit.test_diff", ["tests.unit.test_cli"]),
        ("import tests.flink.toolchain", "scripts.failover_benchmark", ["tests.flink.toolchain"]),
        ("from tests.conftest import make_spec", "tests.unit.spec.test_spec", ["tests.conftest"]),
        ("from tests import unit, support", "tests.unit.test_x", ["tests.unit", "tests.support"]),
        ("from .test_ha_zookeeper import ha_spec", "tests.flink.test_x", ["tests.flink.test_ha_zookeeper"]),
        ("from . import toolchain", "tests.flink.test_probes", ["tests.flink.toolchain"]),
        ("from ..conftest import make_spec", "tests.unit.test_secrets", ["tests.conftest"]),
        ("from .errors import ClusterError", "tests.support.pods", ["tests.support.pods.errors"]),
        ("def f():\n    from tests.flink.specs import digest", "tests.unit.x", ["tests.flink.specs"]),
        ("importlib.import_module('tests.unit.test_cli')", "tests.unit.x", ["tests.unit.test_cli"]),
        ("from pulumi_flink.spec import FlinkClusterSpec", "tests.unit.x", ["pulumi_flink.spec"]),
    ],
)
def test_every_form_of_import_is_seen(source: str, module: str, found: list[str]) -> None:
    is_package = module == "tests.support.pods"
    assert [name for _, name in imported_modules(source, module, is_package)] == found


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("tests.unit.test_cli", True),
        ("tests.flink.toolchain", True),
        ("tests.stores.test_etcd_real", True),
        ("tests.policy.test_checkov", True),
        ("tests.conftest", True),
        ("tests", True),
        ("tests.supportive", True),
        ("tests.support", False),
        ("tests.support.pods.process", False),
        ("pulumi_flink.offline.cli", False),
        ("testsuite", False),
    ],
)
def test_only_tests_support_may_be_imported(name: str, refused: bool) -> None:
    assert is_test_module(name) is refused


def unit_folders() -> list[Path]:
    return sorted(p for p in UNIT.iterdir() if p.is_dir() and p.name != "__pycache__")


def test_every_unit_folder_mirrors_a_layer_of_the_package() -> None:
    layers = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    strays = [f.name for f in unit_folders() if f.name not in layers | NOT_PACKAGE_LAYERS]
    assert strays == [], (
        f"tests/unit/<folder> mirrors components/pulumi_flink/<folder> (or is one of "
        f"{sorted(NOT_PACKAGE_LAYERS)}); no such layer: {strays}"
    )
    assert unit_folders(), "tests/unit/ has no layer folders"


def test_every_unit_folder_is_a_package() -> None:
    """Test modules are imported by their dotted path, so two layers may each hold test_x.py."""
    missing = [f.name for f in unit_folders() if not (f / "__init__.py").is_file()]
    assert missing == [], "add an __init__.py to " + ", ".join(f"tests/unit/{m}/" for m in missing)

"""The generators (``scripts/generators``) stay outside the installed package: setuptools does
not ship them, nothing in ``pulumi_flink`` imports them, and each writes only to its own
path under the repository root."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from setuptools import find_packages

from scripts.generators import args, config_schema, defaults_doc, flink_options
from scripts.generators.output import target_path
from tests.support.generators import stand_in_root
from tests.support.paths import ROOT

GENERATORS: list[ModuleType] = [args, config_schema, defaults_doc, flink_options]

# Imports every module of the installed package, then names any generator module it loaded.
_IMPORT_ALL = """
import importlib, pkgutil, sys
import pulumi_flink
for module in pkgutil.walk_packages(pulumi_flink.__path__, "pulumi_flink."):
    importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name == "scripts" or name.startswith("scripts.")))
"""


def test_setuptools_ships_only_the_library() -> None:
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    shipped = [name for where in find["where"] for name in find_packages(str(ROOT / where))]
    assert "pulumi_flink" in shipped
    assert [name for name in shipped if not name.startswith("pulumi_flink")] == []


def test_no_module_of_the_package_imports_a_generator() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("generator", GENERATORS, ids=lambda module: module.__name__)
def test_each_generator_writes_an_existing_path_relative_to_the_root(generator: ModuleType) -> None:
    target: Path = generator.TARGET
    assert not target.is_absolute()
    assert (ROOT / target).is_file()
    assert generator.COMMAND.endswith(f"python -m {generator.__name__}")


def test_a_directory_that_is_not_the_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not the repository root"):
        target_path(tmp_path, args.TARGET)
    root = stand_in_root(tmp_path, args.TARGET, "")
    assert target_path(root, args.TARGET) == tmp_path / args.TARGET

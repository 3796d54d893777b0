"""The package's layers import one way: spec -> validation -> Flink config and Kubernetes
objects (render) -> components (resources) -> the stack program -> the offline renderer.

Every module is parsed with ``ast``, never imported, so every import counts (inside
functions and ``TYPE_CHECKING`` blocks too), and a wrong one is named by module and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PACKAGE = ROOT / "components" / "pulumi_flink"
ROOT_MODULE = "pulumi_flink"

GENERATORS = ROOT / "scripts" / "generators"
GENERATORS_MODULE = "scripts.generators"
"""The generators of args.py, the stack schema, the defaults table and Flink's option names:
outside the runtime package, which never imports them, and held to the layers it reads."""

ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "spec": {"model"},
    "render": {"spec", "model"},
    # Validation measures what the builders make: the rendered Flink config (its text checks,
    # the ConfigMap's size) and the planned pods (what the library mounts, the templates' size).
    "validation": {"render.flink_config", "render.pods", "spec", "model"},
    "package": {"spec", "model"},
    "resources": {"package", "validation", "render", "spec", "model"},
    "program": {"resources", "package", "validation", "render", "spec", "model"},
    "offline": {"program", "resources", "package", "validation", "render", "spec", "model"},
    "generators": {"program", "package", "render.flink_config", "spec", "model"},
    "api": {"resources", "package", "spec"},
}
"""Layer -> what its modules may import besides their own layer: a layer, or one module of it
(``render.pods``). ``api`` is ``pulumi_flink/__init__.py``, the public names."""

PURE_LAYERS = {"spec", "model", "validation", "render"}
"""Plain functions and data: no Pulumi SDK, so they run (and are tested) without an engine."""

EXCEPTIONS: dict[tuple[str, str], str] = {
    ("pulumi_flink.resources.collisions", "pulumi_flink.offline.renderer"):
        "planned_render builds a FlinkCluster under the offline renderer's mocks to read what it claims",
    ("pulumi_flink.spec.errors", "pulumi"):
        "FlinkSpecError is a pulumi.RunError, so `pulumi up` prints it without a traceback",
}
"""(importer, imported) -> why this one edge is allowed against the rules above."""


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module, e.g. ``pulumi_flink.render.pods``."""
    target: str
    """The imported module (for ``from m import name``: ``m.name`` when that is a module)."""
    where: str
    """``path:line`` of the import statement."""


def module_name(path: Path) -> str:
    base = ROOT if GENERATORS in path.parents else PACKAGE.parent
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    """Every module of the package, and of the generators beside it."""
    paths = [*PACKAGE.rglob("*.py"), *GENERATORS.rglob("*.py")]
    return {module_name(path): path for path in sorted(paths)}


def _from_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(
    source: str, module: str, where: str, modules: set[str], is_package: bool = False
) -> list[Import]:
    """Every module ``source`` imports, wherever the statement stands."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, f"{where}:{node.lineno}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(module, is_package, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                target = submodule if submodule in modules else base
                found.append(Import(module, target, f"{where}:{node.lineno}"))
    return found


def layer_of(module: str) -> str | None:
    """The layer of a module of the package; None for one outside it or in no layer."""
    if module == GENERATORS_MODULE or module.startswith(f"{GENERATORS_MODULE}."):
        return "generators"
    parts = module.split(".")
    if parts[0] != ROOT_MODULE:
        return None
    if len(parts) == 1:
        return "api"
    return parts[1] if parts[1] in ALLOWED else None


def is_pulumi_sdk(module: str) -> bool:
    top = module.split(".")[0]
    return top == "pulumi" or (top.startswith("pulumi_") and top != ROOT_MODULE)


def allowed(edge: Import) -> bool:
    if (edge.module, edge.target) in EXCEPTIONS:
        return True
    source, target = layer_of(edge.module), layer_of(edge.target)
    assert source is not None, f"{edge.module} is in no layer"
    if target is None:
        # Outside the package: only the Pulumi SDK is held back, and only from the pure layers.
        inside = edge.target.split(".")[0] == ROOT_MODULE
        return not inside and not (source in PURE_LAYERS and is_pulumi_sdk(edge.target))
    if target == source:
        return True
    relative = edge.target.removeprefix(f"{ROOT_MODULE}.")
    return any(
        entry == target or relative == entry or relative.startswith(f"{entry}.") for entry in ALLOWED[source]
    )


def violation(edge: Import) -> str:
    source = layer_of(edge.module) or "no layer"
    target = layer_of(edge.target)
    if target is None and is_pulumi_sdk(edge.target):
        rule = f"{source} is a pure layer: no Pulumi SDK"
    else:
        rule = f"{source} may import {sorted(ALLOWED.get(source, set()))} and itself"
    shown = target or ("outside the package" if edge.target.split(".")[0] != ROOT_MODULE else "no layer")
    return f"{edge.where}: {edge.module} ({source}) imports {edge.target} ({shown}); {rule}"


def all_imports() -> list[Import]:
    modules = package_modules()
    return [
        edge
        for module, path in modules.items()
        for edge in imports_of(
            path.read_text(encoding="utf-8"), module, str(path.relative_to(ROOT)),
            set(modules), is_package=path.name == "__init__.py",
        )
    ]


def test_every_module_of_the_package_is_in_a_layer() -> None:
    modules = package_modules()
    assert len(modules) > 40
    assert [m for m in modules if layer_of(m) is None] == []


def test_every_import_goes_the_way_the_layers_allow() -> None:
    edges = all_imports()
    assert any(layer_of(e.target) == "resources" for e in edges)  # the scan sees the package's own imports
    wrong = [violation(e) for e in edges if not allowed(e)]
    assert not wrong, "\n".join(wrong)


def test_each_exception_is_still_an_import_of_the_package() -> None:
    # A stale exception would let the edge come back unnoticed once it is gone.
    edges = {(e.module, e.target) for e in all_imports()}
    assert set(EXCEPTIONS) <= edges


CASES = {
    "render-to-resources": (
        "pulumi_flink.render.pods", "import os\nfrom pulumi_flink.resources.meta import wire\n",
        "render/pods.py:2: pulumi_flink.render.pods (render) imports pulumi_flink.resources.meta (resources)",
    ),
    "inside-a-function": (
        "pulumi_flink.render.pods", "def f():\n    from pulumi_flink.validation import check_cluster\n",
        "render/pods.py:2: pulumi_flink.render.pods (render) imports pulumi_flink.validation (validation)",
    ),
    "relative": (
        "pulumi_flink.model.naming", "from ..spec import FlinkClusterSpec\n",
        "model/naming.py:1: pulumi_flink.model.naming (model) imports pulumi_flink.spec (spec)",
    ),
    "sdk-in-render": (
        "pulumi_flink.render.stores", "import pulumi_kubernetes as k8s\n",
        "render/stores.py:1: pulumi_flink.render.stores (render) imports pulumi_kubernetes (outside the "
        "package); render is a pure layer: no Pulumi SDK",
    ),
    "one-module-too-far": (
        "pulumi_flink.validation", "from pulumi_flink.render import network\n",
        "validation.py:1: pulumi_flink.validation (validation) imports pulumi_flink.render.network (render)",
    ),
    "submodule-by-name": (
        "pulumi_flink.spec", "from pulumi_flink import offline\n",
        "spec.py:1: pulumi_flink.spec (spec) imports pulumi_flink.offline (offline)",
    ),
    "runtime-to-generator": (
        "pulumi_flink.render.pods", "from scripts.generators import args\n",
        "render/pods.py:1: pulumi_flink.render.pods (render) imports scripts.generators.args (generators)",
    ),
    "generator-to-resources": (
        "scripts.generators.args", "from pulumi_flink.resources import cluster\n",
        "scripts/generators/args.py:1: scripts.generators.args (generators) imports "
        "pulumi_flink.resources.cluster",
    ),
    "allowed": (
        "pulumi_flink.validation",
        "import re\nimport pulumi_flink.model.layout\n"
        "from pulumi_flink.render.flink_config import render_config\n"
        "from pulumi_flink.render import pods\nfrom .credentials import is_credential_env\n",
        None,
    ),
    "sdk-in-resources": (
        "pulumi_flink.resources.rbac", "import pulumi\nimport pulumi_kubernetes as k8s\n", None
    ),
}


@pytest.mark.parametrize(("module", "source", "expected"), CASES.values(), ids=CASES.keys())
def test_a_wrong_import_is_named_by_module_and_line(module: str, source: str, expected: str | None) -> None:
    is_package = module in {"pulumi_flink.validation", "pulumi_flink.spec"}
    path = module.removeprefix(f"{ROOT_MODULE}.").replace(".", "/") + ".py"
    edges = imports_of(source, module, path, set(package_modules()), is_package)
    assert len(edges) == source.count("import ")
    wrong = [violation(e) for e in edges if not allowed(e)]
    if expected is None:
        assert wrong == []
    else:
        assert len(wrong) == 1 and wrong[0].startswith(expected), wrong

"""The README's table of every field and its default: generated from the spec, complete, true
to the models' defaults, and current.

The defaults are checked independently of the generator: by validating the smallest spec a
stack file can hold and reading each row's path from it.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import Field, create_model

from pulumi_flink.spec import FlinkClusterSpec, JobManagerSpec, ProbesSpec, SpecModel
from pulumi_flink.spec.errors import FlinkSpecError
from scripts.generators import defaults_doc
from scripts.generators.args import UndocumentedFieldsError, reachable_models
from tests.support.generators import stand_in_root
from tests.support.paths import ROOT

README = ROOT / defaults_doc.TARGET
FIX = "run `.venv/bin/python -m scripts.generators.defaults_doc` and commit README.md"

JAR = "/opt/flink/usrlib/job.jar"
MINIMAL: dict[str, Any] = {"name": "x", "flinkVersion": "1.20"}
# The smallest entry of each optional part (a model that is None or an empty list by default),
# put in only to read the defaults of the fields below it.
STAND_INS: dict[str, Any] = {
    "job": {"jar": JAR},
    "jobs[]": {"name": "a", "jar": JAR},
    "jobs[].taskManager": {},
}
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def table_rows() -> list[tuple[str, str, str]]:
    """(path, default, description) as the README's table shows them."""
    found = []
    for line in defaults_doc.table().splitlines()[2:]:
        cells = [cell.strip() for cell in _CELL_SEPARATOR.split(line)]
        assert len(cells) == 5 and cells[0] == cells[-1] == "", f"not a row of three cells: {line}"
        path, default, text = cells[1:4]
        found.append((path.strip("`"), default, text))
    return found


def parts(path: str) -> list[str]:
    return path.split(".")


def data_for(path: str, *, with_leaf: bool = False) -> dict[str, Any]:
    """The minimal stack entry, with a stand-in for every optional part above ``path`` (and for
    ``path`` itself with ``with_leaf``)."""
    data = copy.deepcopy(MINIMAL)
    steps = parts(path)
    for depth in range(1, len(steps) + (1 if with_leaf else 0)):
        prefix = ".".join(steps[:depth])
        if prefix in STAND_INS:
            put(data, prefix, copy.deepcopy(STAND_INS[prefix]))
    return data


def put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = parts(path)
    for part in parents:
        data = data[part.removesuffix("[]")]
        if part.endswith("[]"):
            data = data[0]
    data[last.removesuffix("[]")] = [value] if last.endswith("[]") else value


def read(dumped: Any, path: str) -> Any:
    """The value at ``path`` in a spec dumped by alias; the first entry of each list above it."""
    steps = parts(path)
    for depth, part in enumerate(steps):
        key = part.removesuffix("[]")
        assert isinstance(dumped, dict) and key in dumped, (
            f"{path}: {key!r} is not a key here; a new optional part needs an entry in STAND_INS"
        )
        dumped = dumped[key]
        if part.endswith("[]") and depth < len(steps) - 1:
            assert dumped, f"{path}: no entry under {part}: add one to STAND_INS"
            dumped = dumped[0]
    return dumped


def model_and_field(path: str) -> tuple[type[SpecModel], str]:
    """The model and field (by alias) a row's path names, found on a spec with every optional part."""
    node: Any = FlinkClusterSpec.parse(data_for(path, with_leaf=True))
    *parents, last = parts(path)
    for part in parents:
        node = attribute(node, part.removesuffix("[]"))
        if part.endswith("[]"):
            node = node[0]
        assert isinstance(node, SpecModel), f"{path}: {part} holds no spec model"
    attribute(node, last.removesuffix("[]"))
    return type(node), last.removesuffix("[]")


def attribute(node: SpecModel, alias: str) -> Any:
    names = [name for name, info in type(node).model_fields.items() if (info.alias or name) == alias]
    assert names, f"{type(node).__name__} has no field {alias!r}"
    return getattr(node, names[0])


def test_readme_table_is_current() -> None:
    current = README.read_text()
    assert defaults_doc.with_table(current, defaults_doc.table()) == current, (
        f"README's table of every field and its default is stale: {FIX}"
    )
    assert defaults_doc.main(["--check", "--root", str(ROOT)]) == 0, FIX


def test_check_exits_1_when_stale_and_the_command_rewrites_only_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = f"# x\nabove\n{defaults_doc.BEGIN}\nold | table\n{defaults_doc.END}\nbelow\n"
    root = stand_in_root(tmp_path, defaults_doc.TARGET, stale)
    page = root / defaults_doc.TARGET
    assert defaults_doc.main(["--check", "--root", str(root)]) == 1
    assert "stale" in capsys.readouterr().err and "old | table" in page.read_text()
    assert defaults_doc.main(["--root", str(root)]) == 0
    assert page.read_text() == (
        f"# x\nabove\n{defaults_doc.BEGIN}\n{defaults_doc.table()}{defaults_doc.END}\nbelow\n"
    )
    assert defaults_doc.main(["--check", "--root", str(root)]) == 0


@pytest.mark.parametrize(
    "page",
    [
        "no markers",
        f"{defaults_doc.END}\n{defaults_doc.BEGIN}",
        f"{defaults_doc.BEGIN}\n{defaults_doc.BEGIN}\n{defaults_doc.END}",
    ],
)
def test_the_markers_must_be_there_once_each_in_order(page: str) -> None:
    with pytest.raises(ValueError, match="markers"):
        defaults_doc.with_table(page, "table\n")


def test_every_leaf_field_of_every_model_has_exactly_one_row() -> None:
    """A field holding a model with a default (``jobManager``) is a container: its own fields
    have the rows. Every other field of every model reachable from the root has exactly one,
    under its camelCase path (a model met twice, ``jobs[].taskManager``, points to the first)."""
    paths = [path for path, _, _ in table_rows()]
    assert len(paths) == len(set(paths)), [p for p, n in Counter(paths).items() if n > 1]
    listed = Counter(model_and_field(path) for path in paths)
    expected = {
        (model, info.alias or name)
        for model in reachable_models()
        for name, info in model.model_fields.items()
        if not isinstance(info.get_default(call_default_factory=True), SpecModel)
    }
    assert set(listed) == expected, {
        "missing": sorted(f"{m.__name__}.{f}" for m, f in expected - set(listed)),
        "not leaves": sorted(f"{m.__name__}.{f}" for m, f in set(listed) - expected),
    }
    assert all(count == 1 for count in listed.values()), [k for k, n in listed.items() if n > 1]
    assert "Fields as `taskManager.*`" in dict((p, t) for p, _, t in table_rows())["jobs[].taskManager"]


def test_a_container_holds_its_models_own_defaults() -> None:
    """So a field has one default, whether or not its container (``jobManager:``) is written."""
    for model in reachable_models():
        for name, info in model.model_fields.items():
            default = info.get_default(call_default_factory=True)
            if isinstance(default, SpecModel):
                assert default == type(default)(), f"{model.__name__}.{name}"


def test_every_rows_default_is_the_models() -> None:
    """``required``: leaving the key out is refused. ``unset``: the minimal spec holds None.
    Otherwise the shown YAML, read back, is the value the minimal spec holds."""
    for path, shown, _ in table_rows():
        if shown == "required":
            data = data_for(path, with_leaf=True)
            FlinkClusterSpec.parse(data)
            *parents, last = parts(path)
            entry = data
            for part in parents:
                entry = entry[part.removesuffix("[]")]
                entry = entry[0] if part.endswith("[]") else entry
            del entry[last.removesuffix("[]")]
            with pytest.raises(FlinkSpecError) as refused:
                FlinkClusterSpec.parse(data)
            assert [p.path for p in refused.value.problems] == [path.replace("[]", "[0]")], path
            continue
        actual = read(FlinkClusterSpec.parse(data_for(path)).model_dump(by_alias=True), path)
        if shown == "unset":
            assert actual is None, (path, actual)
            continue
        assert shown.startswith("`") and shown.endswith("`"), (path, shown)
        assert yaml.safe_load(shown[1:-1].replace("\\|", "|")) == actual, (path, shown, actual)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("namespace", "`default`"),
        ("imagePullPolicy", "`IfNotPresent`"),
        ("jobManager.cpu", "`'1'`"),  # unquoted, YAML reads a number, which the spec refuses
        ("jobManager.memory", "`1600Mi`"),
        ("taskManager.memory", "`1728Mi`"),
        ("probes.startupTimeoutSeconds", "`180`"),
        ("networkPolicy.enabled", "`true`"),
        ("logging.toFile", "`false`"),
        ("pod.runAsUser", "`9999`"),
        ("highAvailability.zookeeper.image", "`zookeeper:3.8.4`"),
        ("jvmOptions", "`[]`"),
        ("labels", "`{}`"),
        ("name", "required"),
        ("job.jar", "required"),
        ("jobs[].name", "required"),
        ("image", "unset"),
        ("job", "unset"),
        ("jobs[]", "`[]`"),
        ("pod.priorityClassName", "unset"),
    ],
)
def test_defaults_as_a_stack_file_writes_them(path: str, shown: str) -> None:
    assert {p: d for p, d, _ in table_rows()}[path] == shown


def test_descriptions_are_one_escaped_markdown_line() -> None:
    for path, _, text in table_rows():
        assert text and "\n" not in text and "``" not in text, path
        assert not _CELL_SEPARATOR.search(text), path


def test_every_value_of_a_choice_is_named() -> None:
    """How to change a field with a fixed set of values: each value appears in its row."""
    text = {path: t for path, _, t in table_rows()}
    for path in ("imagePullPolicy", "configFile", "mode", "rest.exposure", "highAvailability.type",
                 "spread.topology", "jobManager.workload"):
        model, alias = model_and_field(path)
        info = next(i for n, i in model.model_fields.items() if (i.alias or n) == alias)
        values = defaults_doc.choices(info.annotation)
        assert values, path
        assert all(f"'{v}'" in text[path] or f"`{v}`" in text[path] for v in values), (path, values)
    assert "'per-job':" in text["mode"] and "True (native):" in text["native"]


def test_a_field_without_a_docstring_stops_the_generator() -> None:
    class Part(SpecModel):
        documented: int = 1
        """Documented."""
        bare: int = 2

    class Root(SpecModel):
        part: Part = Part()
        """A part."""
        parts: list[Part] = Field(default_factory=list)

    with pytest.raises(UndocumentedFieldsError) as stopped:
        defaults_doc.rows(Root)
    assert stopped.value.fields == ["part.bare", "parts[]"]


def test_pipes_and_line_breaks_in_a_docstring_stay_in_one_cell() -> None:
    class Root(SpecModel):
        choice: str = "a|b"
        """Either ``a|b``
        or c | d. False: neither."""

    (row,) = defaults_doc.table(Root).splitlines()[2:]
    assert row == "| `choice` | `a\\|b` | Either `a\\|b` or c \\| d. False: neither. |"
    assert len(_CELL_SEPARATOR.findall(row)) == 4


def _field(model: type[SpecModel], name: str, default: Any, annotation: Any = None) -> Any:
    """A copy of ``model``'s field ``name`` with another default (and type)."""
    info = model.model_fields[name]
    return (annotation or info.annotation, Field(default=default, description=info.description))


def _probes_startup(seconds: int) -> dict[str, Any]:
    """``probes`` as a copy of ProbesSpec whose ``startupTimeoutSeconds`` defaults to ``seconds``."""
    startup = _field(ProbesSpec, "startup_timeout_seconds", seconds)
    changed = create_model("ProbesSpec", __base__=ProbesSpec, startup_timeout_seconds=startup)
    return {"probes": _field(FlinkClusterSpec, "probes", changed(), changed)}


@pytest.mark.parametrize(
    ("path", "before", "after", "changed"),
    [
        ("probes.startupTimeoutSeconds", "`180`", "`240`", lambda: _probes_startup(240)),
        # A version default would be a string YAML reads as a number: quoted.
        ("flinkVersion", "required", "`'1.20'`",
         lambda: {"flink_version": _field(FlinkClusterSpec, "flink_version", "1.20")}),
        # A container's default instance holds the defaults of its fields.
        ("jobManager.cpu", "`'1'`", "`'2'`",
         lambda: {"job_manager": _field(FlinkClusterSpec, "job_manager", JobManagerSpec(cpu="2"))}),
    ],
)
def test_a_changed_default_in_a_copy_of_a_model_changes_its_row(
    path: str, before: str, after: str, changed: Any
) -> None:
    copied = create_model("FlinkClusterSpec", __base__=FlinkClusterSpec, **changed())
    old, new = set(defaults_doc.table().splitlines()), set(defaults_doc.table(copied).splitlines())
    (gone,), (came,) = old - new, new - old
    assert gone.startswith(f"| `{path}` | {before} |") and came.startswith(f"| `{path}` | {after} |")
    assert gone.split(" | ", 2)[2] == came.split(" | ", 2)[2]  # the description is the same


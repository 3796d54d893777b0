"""The README's table of every field and its default: generated from the spec, complete, and
current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from pulumi_flink import defaults_doc
from pulumi_flink.args_gen import reachable_models
from pulumi_flink.spec import FlinkClusterSpec, ProbesSpec, SpecModel

README = Path(__file__).resolve().parents[2] / "README.md"


def by_path() -> dict[str, tuple[str, str]]:
    found = defaults_doc.rows()
    paths = [path for path, _, _ in found]
    assert len(paths) == len(set(paths)), "a path listed twice"
    return {path: (default, text) for path, default, text in found}


def test_readme_table_is_current() -> None:
    current = README.read_text()
    assert defaults_doc.with_table(current, defaults_doc.table()) == current, (
        "README's defaults table is stale: run .venv/bin/python -m pulumi_flink.defaults_doc"
    )


def test_every_field_of_every_model_has_a_row() -> None:
    """Each field of each spec model appears under a path ending in its name, or (a field
    holding a model) as the prefix of its fields' paths; a model met twice, like
    jobs[].taskManager, points to its first listing."""
    rows = by_path()
    names = {part.removesuffix("[]") for path in rows for part in path.split(".")}
    for model in reachable_models():
        for name, info in model.model_fields.items():
            assert (info.alias or name) in names, (model.__name__, name)
    for path in rows:  # every row's prefix is a model field, and every leaf a real field
        assert value_at(minimal_full(), path.replace("[]", "")) is not MISSING, path


MISSING = object()


def minimal_full() -> Any:
    """A spec with every optional model present (job, jobs[0], jobs[0].taskManager), to walk paths."""
    spec = FlinkClusterSpec.parse({
        "name": "x", "flinkVersion": "1.20", "mode": "per-job",
        "jobs": [{"name": "a", "jar": "/opt/flink/usrlib/a.jar", "taskManager": {}}],
    })
    job = spec.jobs[0]
    return _Walk(spec, {"job": job, "jobs": job})


class _Walk:
    """Attribute access by camelCase path parts over a spec, with stand-ins for optional parts."""

    def __init__(self, spec: Any, stand_ins: dict[str, Any]) -> None:
        self.spec, self.stand_ins = spec, stand_ins


def minimal() -> FlinkClusterSpec:
    return FlinkClusterSpec.parse({"name": "x", "flinkVersion": "1.20"})


def value_at(spec: Any, path: str) -> Any:
    """The value at a camelCase path; MISSING when a part is not a field."""
    stand_ins: dict[str, Any] = {}
    if isinstance(spec, _Walk):
        spec, stand_ins = spec.spec, spec.stand_ins
    for depth, part in enumerate(path.split(".")):
        if depth == 0 and part in stand_ins:
            spec = stand_ins[part]
            continue
        fields = type(spec).model_fields.items() if isinstance(spec, SpecModel) else ()
        names = [n for n, i in fields if (i.alias or n) == part]
        if not names:
            return MISSING
        spec = getattr(spec, names[0])
    return spec


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("namespace", "`default`"),
        ("imagePullPolicy", "`IfNotPresent`"),
        ("jobManager.memory", "`1600Mi`"),
        ("taskManager.memory", "`1728Mi`"),
        ("probes.startupTimeoutSeconds", "`180`"),
        ("networkPolicy.enabled", "`true`"),
        ("metrics.port", "`9249`"),
        ("pod.runAsUser", "`9999`"),
        ("highAvailability.zookeeper.replicas", "`3`"),
        ("highAvailability.zetcd.replicas", "`2`"),
        ("spread.topology", "`auto`"),
        ("logging.toFile", "`false`"),
        ("jvmOptions", "`[]`"),
        ("labels", "`{}`"),
    ],
)
def test_defaults_shown_are_the_specs(path: str, shown: str) -> None:
    """Independently of the generator: the value a minimal spec actually has, as YAML writes it."""
    value = value_at(minimal(), path)
    as_yaml = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
    expected = f"`{as_yaml}`" if not isinstance(value, list | dict) else f"`{value!r}`"
    assert by_path()[path][0] == shown == expected


def test_required_and_unset_fields() -> None:
    rows = by_path()
    assert rows["name"][0] == rows["flinkVersion"][0] == rows["job.jar"][0] == "required"
    assert rows["image"][0] == rows["pod.priorityClassName"][0] == "unset"
    assert minimal().image is None and minimal().pod.priority_class_name is None
    assert "Fields as `taskManager.*`" in rows["jobs[].taskManager"][1]


def test_descriptions_are_one_markdown_line() -> None:
    for path, (_, text) in by_path().items():
        assert text and "\n" not in text and "``" not in text, path
        assert "|" not in text.replace("\\|", ""), path


def test_a_changed_default_changes_the_table() -> None:
    class Changed(ProbesSpec):
        startup_timeout_seconds: int = Field(default=240, ge=10)
        """How long a process may take | to start."""

    class Root(SpecModel):
        probes: Changed = Changed()
        """Probes."""

    rows = {path: (default, text) for path, default, text in defaults_doc.rows(Root)}
    assert rows["probes.startupTimeoutSeconds"] == ("`240`", "How long a process may take \\| to start.")
    assert rows["probes.enabled"][0] == "`true`"


def test_markers_must_be_there_once() -> None:
    with pytest.raises(ValueError, match="markers"):
        defaults_doc.with_table("no markers here", "table")
    page = f"before\n{defaults_doc.BEGIN}\nold\n{defaults_doc.END}\nafter"
    replaced = defaults_doc.with_table(page, "new\n")
    assert replaced == f"before\n{defaults_doc.BEGIN}\nnew\n{defaults_doc.END}\nafter"


def test_check_exits_1_when_stale(tmp_path: Path, capsys: Any) -> None:
    page = tmp_path / "README.md"
    page.write_text(f"# x\n{defaults_doc.BEGIN}\nold\n{defaults_doc.END}\n")
    assert defaults_doc.main(["--check", "--file", str(page)]) == 1
    assert "stale" in capsys.readouterr().err
    assert defaults_doc.main(["--file", str(page)]) == 0
    assert defaults_doc.main(["--check", "--file", str(page)]) == 0

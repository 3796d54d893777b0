"""The generated args (``scripts.generators.args``): package/args.py, FlinkCluster's typed inputs, is
what the generator writes from the spec; the check names the command when it is stale, and the
generator refuses fields nobody described."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from pulumi_flink.spec import SpecModel
from scripts.generators import args as args_generator
from tests.support.generators import stand_in_root
from tests.support.paths import ROOT


def test_args_py_is_what_the_generator_writes() -> None:
    assert (ROOT / args_generator.TARGET).read_text() == args_generator.render(), (
        f"{args_generator.TARGET} is stale: run `{args_generator.COMMAND}`"
    )
    assert args_generator.main(["--check", "--root", str(ROOT)]) == 0


def test_the_check_names_the_command_when_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = args_generator.render().replace("class Mode", "class Mood")
    root = stand_in_root(tmp_path, args_generator.TARGET, stale)
    assert args_generator.main(["--check", "--root", str(root)]) == 1
    assert "python -m scripts.generators.args" in capsys.readouterr().err
    assert args_generator.main(["--root", str(root)]) == 0
    assert args_generator.main(["--check", "--root", str(root)]) == 0
    assert (root / args_generator.TARGET).read_text() == args_generator.render()


class Undocumented(SpecModel):
    """A spec part with fields nobody described."""

    size: int = 1
    kind: Literal["a", "b"] = "a"
    """Documented."""
    colour: str | None = None


def test_the_generator_refuses_undocumented_fields() -> None:
    with pytest.raises(args_generator.UndocumentedFieldsError) as info:
        args_generator.render(Undocumented)
    assert info.value.fields == ["Undocumented.size", "Undocumented.colour"]


def test_enum_member_names() -> None:
    values = ("per-job", "IfNotPresent", "flink-conf.yaml", "none")
    assert [args_generator.enum_member_name(v) for v in values] == [
        "PerJob",
        "IfNotPresent",
        "FlinkConfYaml",
        "NoneValue",
    ]

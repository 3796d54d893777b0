"""The generated args (``args_gen``): package/args.py, FlinkCluster's typed inputs, is what the
generator writes from the spec; the check names the command when it is stale, and the generator
refuses fields nobody described."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from pulumi_flink import args_gen
from pulumi_flink.spec import SpecModel


def test_args_py_is_what_the_generator_writes() -> None:
    assert args_gen.ARGS_PATH.read_text() == args_gen.render(), (
        "components/pulumi_flink/package/args.py is stale: run `python -m pulumi_flink.args_gen`"
    )
    assert args_gen.main(["--check"]) == 0


def test_the_check_names_the_command_when_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "args.py"
    stale.write_text(args_gen.render().replace("class Mode", "class Mood"))
    monkeypatch.setattr(args_gen, "ARGS_PATH", stale)
    assert args_gen.main(["--check"]) == 1
    assert "python -m pulumi_flink.args_gen" in capsys.readouterr().err
    assert args_gen.main([]) == 0 and args_gen.main(["--check"]) == 0


class Undocumented(SpecModel):
    """A spec part with fields nobody described."""

    size: int = 1
    kind: Literal["a", "b"] = "a"
    """Documented."""
    colour: str | None = None


def test_the_generator_refuses_undocumented_fields() -> None:
    with pytest.raises(args_gen.UndocumentedFieldsError) as info:
        args_gen.render(Undocumented)
    assert info.value.fields == ["Undocumented.size", "Undocumented.colour"]


def test_enum_member_names() -> None:
    assert [args_gen.enum_member_name(v) for v in ("per-job", "IfNotPresent", "flink-conf.yaml", "none")] == [
        "PerJob",
        "IfNotPresent",
        "FlinkConfYaml",
        "NoneValue",
    ]

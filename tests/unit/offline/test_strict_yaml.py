"""The YAML loader for files the renderer did not write: bounded, strict, one clear message."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from pulumi_flink.offline.strict_yaml import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    YamlFileError,
    load_document,
    load_documents,
)
from tests.support.fuzz import fuzz_settings


def billion_laughs(levels: int = 9) -> str:
    """About 1 KB that stands for 10**9 strings (each level holds ten of the one before)."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def load(tmp_path: Path, content: str | bytes) -> object:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return load_document(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (billion_laughs(), f":4:45: aliases expand to more than {MAX_ALIAS_NODES} values"),
        ("a: &a [1, *a]\n", ":1:11: the alias *a is inside its own anchor"),
        ("[" * 10_000 + "]" * 10_000, f":1:{MAX_DEPTH + 1}: nested more than {MAX_DEPTH} levels deep"),
        ("".join("  " * i + "k:\n" for i in range(200)), f"nested more than {MAX_DEPTH} levels deep"),
        (
            "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n",
            f":2:34: the alias *a nests more than {MAX_DEPTH} levels deep",
        ),
        ("config:\n  a: 1\n  b: 2\n  a: 3\n", ":4:3: mapping key 'a' already defined at line 2"),
        ("config: {x: {yes: 1, true: 2}}\n", "mapping key 'True' already defined at line 1"),
        (b"\x00\x01\x02\xff", "a binary file (it holds NUL bytes), not YAML text"),
        ("a: 1\nb: \x07\n", ":2: not valid YAML: the character #x0007 is not allowed"),
        (b"a: 1\nb: caf\xe9\n", ":2: not UTF-8 text (byte 0xe9 at offset 11)"),
        ("a: !!python/object:os.system x\n", ":1:4: not valid YAML: could not determine a constructor"),
        ("a: !!set {x}\n", ":1:4: the tag !!set is not supported"),
        ("a: !!binary aGk=\n", ":1:4: the tag !!binary is not supported"),
        ("a: " + "9" * 5000 + "\n", ":1:4: a number longer than 64 characters"),
        ("a: " + ":".join(["59"] * 40) + "\n", ":1:4: a number longer than 64 characters"),
        ("a: !!int 0b2\n", ":1:4: not valid YAML: not a value: invalid literal for int()"),
        ("? [a]\n: 1\n", "found unhashable key"),
        ("config: [unclosed", ":1:18: not valid YAML: expected ',' or ']'"),
        ("a: *nope\n", ":1:4: not valid YAML: found undefined alias 'nope'"),
        ("a: 1\n---\nb: 2\n", ":2:1: not valid YAML: but found another document"),
    ],
)
def test_refused_with_file_line_and_column(tmp_path: Path, content: str | bytes, message: str) -> None:
    start = time.monotonic()
    with pytest.raises(YamlFileError) as caught:
        load(tmp_path, content)
    assert str(caught.value).startswith(str(tmp_path / "Pulumi.x.yaml")), caught.value
    assert message in str(caught.value), caught.value
    assert time.monotonic() - start < 5


def test_what_a_stack_file_may_use_still_reads_as_pyyaml_reads_it(tmp_path: Path) -> None:
    text = (
        "config:\n"
        "  shared: &s {secure: v1:x}\n"
        "  copy: *s\n"
        "  merged: {<<: *s, extra: 1}\n"
        "  numbers: [1, 0x1f, 1.5, .nan, -.inf, 1_000]\n"
        "  day: 2024-01-01\n"
    )
    document = load(tmp_path, "\ufeff" + text)
    assert isinstance(document, dict)
    config = document["config"]
    assert config["copy"] == config["shared"] == {"secure": "v1:x"}
    assert config["copy"] is not config["shared"]  # copies, as Pulumi reads them: one edit is not two
    assert config["merged"] == {"secure": "v1:x", "extra": 1}
    assert config["numbers"][:2] == [1, 31] and config["numbers"][5] == 1000
    assert config["day"] == "2024-01-01"  # a string, as Pulumi hands it to the program


def test_files_that_are_not_regular_files_are_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "Pulumi.fifo.yaml"
    os.mkfifo(fifo)
    for path, message in [
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (tmp_path, "not a regular file"),
        (tmp_path / "none.yaml", "no such file"),
    ]:
        with pytest.raises(YamlFileError, match=message):
            load_document(path)
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "target.yaml")
    (tmp_path / "target.yaml").write_text("a: 1\n")
    assert load_document(link) == {"a": 1}
    with pytest.raises(YamlFileError, match="a symbolic link"):
        load_document(link, follow_symlinks=False)


def test_a_file_too_large_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(YamlFileError, match="larger than 2 MiB"):
        load_document(path)


def test_every_document_of_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\n---\n---\nb: 2\n")
    assert load_documents(path) == [{"a": 1}, {"b": 2}]


# What PyYAML reads without complaint must read the same here, unless it is refused by name.
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=15,
)


@fuzz_settings(200)
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_load_or_are_refused_with_a_message(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.yaml"
        path.write_bytes(data)
        try:
            load_document(path)
        except YamlFileError as exc:
            assert str(exc).startswith(str(path)) and "\n" not in str(exc).strip()


@fuzz_settings(200)
@given(value=yaml_values)
def test_plain_yaml_reads_as_pyyaml_reads_it(value: object) -> None:
    text = yaml.safe_dump(value)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            expected = yaml.safe_load(text)
        except yaml.YAMLError:
            assume(False)  # e.g. a key "<<" that PyYAML writes bare and then reads as a merge
        assert repr(load_document(path)) == repr(expected)

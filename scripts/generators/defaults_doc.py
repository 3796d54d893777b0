"""The README's table of every field and its default, made from the typed spec.

    python -m scripts.generators.defaults_doc            # rewrite the table in README.md
    python -m scripts.generators.defaults_doc --check    # exit 1 when the README's table is stale

One row per field a stack file can set, by its camelCase path (``jobManager.replicas``,
``highAvailability.zookeeper.image``, ``jobs[].name``), depth first in declaration order:

- the default as a stack file would write it (YAML: ``true``, ``180``, ``IfNotPresent``,
  ``'1'`` for a string that YAML would read as a number, ``[]``, ``{}``); ``required`` where
  there is none; ``unset`` where the default is None: the library derives the value or leaves
  it out, and the description says which;
- the start of the field's docstring: its first sentence (two when the first is short), and
  every later sentence that says what another value does (``'zone': ...``, ``False: ...``,
  ``Unset: ...``, ``Empty: ...``), on one line, ``|`` escaped; for a field with a fixed set
  of values, those values unless the sentences name them all.

A field holding a spec model with a default (``jobManager``) is a container: its fields get
the rows. A field holding an optional model (``job``) or a list of them (``jobs[]``) gets a row
of its own as well. A model met again under another path (``jobs[].taskManager``) gets one row
that points to its first listing, so every field of every model has exactly one row. A field
without a docstring stops the generator, as it stops ``scripts.generators.args``.

The table sits between two markers in the README, so the prose around it stays hand-written.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from pulumi_flink.spec import FlinkClusterSpec, SpecModel
from scripts.generators.args import UndocumentedFieldsError, nested_models
from scripts.generators.output import parser, target_path, write_or_check

TARGET = Path("README.md")
"""The file this writes (between its markers), relative to the repository root."""
COMMAND = "python -m scripts.generators.defaults_doc"
BEGIN = "<!-- defaults:begin -->"
END = "<!-- defaults:end -->"
HEADER = ("field", "default", "what it does / how to change it")
REQUIRED = "required"
UNSET = "unset"
MIN_DESCRIPTION = 80
"""A first sentence shorter than this is followed by the second (it rarely says the behaviour)."""

# A sentence ends at '.', '!' or '?' before a capital, a quote, a backtick or a lowercase
# true/false, but not after "e.g." or "i.e.".
_SENTENCE_END = re.compile(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?])\s+(?=[A-Z'\"`]|true\b|false\b)")
# A sentence that says what another value does: "'zone': ...", "False: ...", "Unset: ...".
_VALUE_SENTENCE = re.compile(r"('[^']+'|(True|False|true|false|Unset|Empty)\b)")  # .match: a prefix


class _Dumper(yaml.SafeDumper):
    """YAML as a stack file holds it: flow style on one line, keys in declaration order."""


def yaml_text(value: Any) -> str:
    """``value`` as one line of YAML (``true``, ``180``, ``IfNotPresent``, ``'1'``, ``[]``)."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, sort_keys=False, width=10**9)
    return text.removesuffix("\n...\n").strip()


def default_text(info: FieldInfo, default: Any = PydanticUndefined) -> str:
    """The default as a stack file would write it: ``required``, ``unset`` (None) or YAML in
    backticks. ``default``, when given, is the value the field holds in its container's default."""
    if default is PydanticUndefined:
        if info.is_required():
            return REQUIRED
        default = info.get_default(call_default_factory=True)
    if default is None:
        return UNSET
    if isinstance(default, SpecModel):
        default = default.model_dump(by_alias=True)
    return f"`{escape(yaml_text(default))}`"


def escape(text: str) -> str:
    """``text`` safe in a Markdown table cell (a ``|`` would end the cell)."""
    return text.replace("|", "\\|")


def describe(text: str) -> str:
    """The behaviour a docstring describes, as one Markdown line: its first sentence (two when
    the first is short) and every later sentence that says what another value does."""
    text = " ".join(text.split()).replace("``", "`")
    first, *rest = _SENTENCE_END.split(text)
    chosen = [first]
    if rest and len(first) < MIN_DESCRIPTION:
        chosen.append(rest.pop(0))
    chosen += [sentence for sentence in rest if _VALUE_SENTENCE.match(sentence)]
    return escape(" ".join(chosen))


def choices(annotation: Any) -> list[Any]:
    """The values a ``Literal`` field (or an optional one) may take; [] for any other field."""
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [value for arg in typing.get_args(annotation) for value in choices(arg)]
    return []


def with_choices(text: str, values: list[Any]) -> str:
    """``text``, followed by the values a field may take unless it names each of them already."""
    named = [f"'{value}'" in text or f"`{value}`" in text for value in values]
    if all(named):
        return text
    return f"{text} One of {', '.join(f'`{yaml_text(value)}`' for value in values)}."


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return False


def rows(root: type[SpecModel] = FlinkClusterSpec) -> list[tuple[str, str, str]]:
    """(path, default, description) of every settable field, depth first in declaration order.

    Raises ``UndocumentedFieldsError`` naming every field (by path) without a docstring."""
    found: list[tuple[str, str, str]] = []
    undocumented: list[str] = []
    first_path: dict[type[SpecModel], str] = {}

    def add(path: str, info: FieldInfo, default: str, suffix: str = "") -> None:
        if not (info.description or "").strip():
            undocumented.append(path)
        text = with_choices(describe(info.description or ""), choices(info.annotation))
        found.append((path, default, text + suffix))

    def visit(model: type[SpecModel], prefix: str, holder: SpecModel | None) -> None:
        """``holder``: the instance the fields have by default (a container's default), if any."""
        for name, info in model.model_fields.items():
            path = f"{prefix}{info.alias or name}"
            default = PydanticUndefined if holder is None else getattr(holder, name)
            nested = nested_models(info.annotation)
            if not nested:
                add(path, info, default_text(info, default))
                continue
            (inner,) = nested
            if _is_list(info.annotation):
                path = f"{path}[]"
            if default is PydanticUndefined and not info.is_required():
                default = info.get_default(call_default_factory=True)
            is_container = isinstance(default, SpecModel)
            if inner in first_path:
                pointer = f"`{first_path[inner]}.*`"
                shown = f"as {pointer}" if is_container else default_text(info, default)
                add(path, info, shown, f" Fields as {pointer}.")
                continue
            first_path[inner] = path
            if not is_container:
                add(path, info, default_text(info, default))
            visit(inner, f"{path}.", default if isinstance(default, SpecModel) else None)

    visit(root, "", None)
    if undocumented:
        raise UndocumentedFieldsError(undocumented)
    return found


def table(root: type[SpecModel] = FlinkClusterSpec) -> str:
    """The Markdown table of ``rows(root)``, ending in a newline."""
    lines = [f"| {' | '.join(HEADER)} |", f"|{'---|' * len(HEADER)}"]
    lines += [f"| `{path}` | {default} | {text} |" for path, default, text in rows(root)]
    return "\n".join(lines) + "\n"


def with_table(readme: str, generated: str) -> str:
    """``readme`` with the text between the markers replaced by ``generated``."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise ValueError(f"README must hold the markers once each, in this order:\n{BEGIN}\n{END}")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{generated}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    options = parser(COMMAND, __doc__).parse_args(argv)
    path = target_path(options.root, TARGET)
    wanted = with_table(path.read_text(), table())
    return write_or_check(path, wanted, COMMAND, options.check)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

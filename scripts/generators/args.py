"""Generate ``args.py``, FlinkCluster's package inputs, from the spec's pydantic models.

    python -m scripts.generators.args            # rewrite components/pulumi_flink/package/args.py
    python -m scripts.generators.args --check    # exit 1 if args.py is not what this would write

The spec (``pulumi_flink.spec``) is the one source of truth; ``args.py`` only restates it in the form
Pulumi's component analyzer reads (``pulumi.provider.experimental``): TypedDicts whose keys
are the spec's field names and whose attribute docstrings are the spec's field descriptions.
For every spec model reachable from ``FlinkClusterSpec``:

- a TypedDict ``FlinkClusterArgs`` for the root, ``<model without "Spec">Args`` for the
  others (``total=False``), inherited fields flattened in,
  since the analyzer reads each class's own source for the docstrings;
- ``Required[T]`` for fields without a default, ``NotRequired[T]`` for ``T | None``;
- plain types only (str, int, float, bool, list, dict, nested Args): the whole spec must be
  known when the component is constructed;
- a ``StrEnum`` per ``Literal`` field, named after the model (unless it is the root) and the
  field, its values exactly the Literal's;
- ``dict[str, <a union>]`` (the Flink configuration's values) as ``dict[str, Any]``: the
  analyzer refuses unions.

A field without a description stops the generator with the list of them.
"""

from __future__ import annotations

import inspect
import keyword
import re
import sys
import textwrap
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from pydantic.fields import FieldInfo

from pulumi_flink.spec import FlinkClusterSpec, SpecModel
from scripts.generators.output import parser, target_path, write_or_check

TARGET = Path("components/pulumi_flink/package/args.py")
"""The file this writes, relative to the repository root."""
COMMAND = "python -m scripts.generators.args"
LINE_LENGTH = 110
INDENT = "    "

HA_CREDENTIALS_DOC = (
    "Object-store credentials for the HA storage (e.g. AWS_ACCESS_KEY_ID and\n"
    "AWS_SECRET_ACCESS_KEY for s3://), environment variable name -> value. Values may be Pulumi\n"
    "secrets and need not be known in advance; the keys must be. They become the Secret\n"
    "``<name>-ha-credentials``, which every Flink pod reads (use it instead of\n"
    "``highAvailability.credentialsSecret``); they never reach the ConfigMap."
)


class UndocumentedFieldsError(Exception):
    """Spec fields without a description: the package schema would have none for them."""

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(
            "these spec fields have no description (write a docstring under each in pulumi_flink/spec): "
            + ", ".join(fields)
        )


def args_name(model: type[SpecModel]) -> str:
    """``FlinkClusterSpec`` -> ``FlinkClusterArgs`` (the component's inputs), ``TaskManagerSpec``
    -> ``TaskManagerArgs``, ``PodOptions`` -> ``PodOptionsArgs``: "Args" as Pulumi names input
    types, so no input type shares its name with a component (``TaskManager``) or a spec model.
    The component analyzer makes the class name the schema token (``flink:index:TaskManagerArgs``):
    a schema holding a type and a resource of one name would make SDKs rename one of them."""
    return model.__name__.removesuffix("Spec") + "Args"


def enum_member_name(value: str) -> str:
    """``per-job`` -> ``PerJob``, ``IfNotPresent`` -> ``IfNotPresent``, ``none`` -> ``NoneValue``.

    PascalCase, as Pulumi's codegen expects enum names (Go: ``ModePerJob``); a name that is a
    Python keyword gets ``Value`` appended, as Pulumi's codegen does for its own clashes.
    """
    words = [w for w in re.split(r"[^A-Za-z0-9]+", value) if w]
    name = "".join(w[0].upper() + w[1:] for w in words)
    if not name or not name.isidentifier():
        raise ValueError(f"cannot name an enum member for {value!r}")
    return f"{name}Value" if keyword.iskeyword(name) else name


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


@dataclass
class _Enum:
    name: str
    values: tuple[str, ...]
    doc: str


@dataclass
class _Field:
    name: str
    annotation: str
    doc: str


@dataclass
class _TypedDict:
    name: str
    doc: str
    fields: list[_Field] = field(default_factory=list)


@dataclass
class _Module:
    enums: dict[str, _Enum] = field(default_factory=dict)
    typed_dicts: list[_TypedDict] = field(default_factory=list)
    undocumented: list[str] = field(default_factory=list)
    uses_any: bool = False


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def _spec_model(annotation: Any) -> type[SpecModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, SpecModel):
        return annotation
    return None


def nested_models(annotation: Any) -> list[type[SpecModel]]:
    model = _spec_model(annotation)
    if model is not None:
        return [model]
    return [m for arg in typing.get_args(annotation) for m in nested_models(arg)]


def reachable_models(root: type[SpecModel] = FlinkClusterSpec) -> list[type[SpecModel]]:
    """Every spec model reachable from ``root``, each after the models it uses (root last)."""
    ordered: list[type[SpecModel]] = []

    def visit(model: type[SpecModel]) -> None:
        if model in ordered:
            return
        for info in model.model_fields.values():
            for nested in nested_models(info.annotation):
                visit(nested)
        ordered.append(model)

    visit(root)
    return ordered


def _defining_model(model: type[SpecModel], name: str) -> type[SpecModel]:
    """The class in ``model``'s MRO that declares field ``name`` (for enum names)."""
    for cls in model.__mro__:
        if name in getattr(cls, "__annotations__", {}):
            return cls
    return model


class _Generator:
    def __init__(self, root: type[SpecModel]) -> None:
        self.root = root
        self.module = _Module()

    def type_text(self, annotation: Any, model: type[SpecModel], name: str, info: FieldInfo) -> str:
        if annotation is Any:
            self.module.uses_any = True
            return "Any"
        if annotation in (str, int, float, bool):
            return str(annotation.__name__)
        nested = _spec_model(annotation)
        if nested is not None:
            return args_name(nested)
        origin = typing.get_origin(annotation)
        if origin is Literal:
            return self.enum(annotation, model, name, info)
        args = typing.get_args(annotation)
        if origin is list:
            return f"list[{self.type_text(args[0], model, name, info)}]"
        if origin is dict:
            if args[0] is not str:
                raise TypeError(f"{model.__name__}.{name}: map keys must be strings")
            if _is_union(args[1]):
                # The analyzer refuses unions; a Flink configuration value is any scalar.
                self.module.uses_any = True
                return "dict[str, Any]"
            return f"dict[str, {self.type_text(args[1], model, name, info)}]"
        raise TypeError(f"{model.__name__}.{name}: no package type for {annotation!r}")

    def enum(self, annotation: Any, model: type[SpecModel], name: str, info: FieldInfo) -> str:
        owner = _defining_model(model, name)
        prefix = "" if owner is self.root else owner.__name__.removesuffix("Spec")
        enum_name = prefix + _pascal(name)
        values = typing.get_args(annotation)
        if not all(isinstance(v, str) for v in values):
            raise TypeError(f"{model.__name__}.{name}: only string Literals become enums")
        known = self.module.enums.get(enum_name)
        if known is not None and known.values != values:
            raise TypeError(f"two Literals would both become enum {enum_name}: {known.values} and {values}")
        self.module.enums[enum_name] = _Enum(enum_name, values, info.description or "")
        return enum_name

    def field_annotation(self, model: type[SpecModel], name: str, info: FieldInfo) -> str:
        annotation = info.annotation
        optional = _is_union(annotation) and type(None) in typing.get_args(annotation)
        if optional:
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                raise TypeError(f"{model.__name__}.{name}: a union other than Optional")
            annotation = rest[0]
        text = self.type_text(annotation, model, name, info)
        if info.is_required():
            if optional:
                raise TypeError(f"{model.__name__}.{name}: required but may be None")
            return f"Required[{text}]"
        return f"NotRequired[{text}]" if optional else text

    def run(self) -> _Module:
        for model in reachable_models(self.root):
            doc = inspect.cleandoc(model.__doc__ or "")
            if not doc:
                self.module.undocumented.append(model.__name__)
            typed_dict = _TypedDict(args_name(model), doc)
            for name, info in model.model_fields.items():
                if not info.description:
                    self.module.undocumented.append(f"{model.__name__}.{name}")
                annotation = self.field_annotation(model, name, info)
                typed_dict.fields.append(_Field(name, annotation, info.description or ""))
            if model is self.root:
                typed_dict.fields.append(
                    _Field("ha_credentials", "NotRequired[dict[str, pulumi.Input[str]]]", HA_CREDENTIALS_DOC)
                )
            self.module.typed_dicts.append(typed_dict)
        if self.module.undocumented:
            raise UndocumentedFieldsError(self.module.undocumented)
        return self.module


def _docstring(text: str, indent: str) -> list[str]:
    """A docstring whose continuation lines start at column 0.

    The analyzer copies attribute docstrings into the schema verbatim; indented continuation
    lines would reach every SDK's docs (and be preformatted text in Go's).
    """
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines: list[str] = []
    for index, line in enumerate(escaped.splitlines() or [""]):
        first = index == 0
        line = line.rstrip()
        width = LINE_LENGTH - (len(indent) + 3 if first else 0) - 3
        pieces = [line] if len(line) <= width else textwrap.wrap(line, width=width, break_on_hyphens=False)
        for number, piece in enumerate(pieces):
            lines.append(f'{indent}"""{piece}' if first and number == 0 else piece)
    if lines[-1].endswith('"'):
        lines[-1] = lines[-1][:-1] + '\\"'
    lines[-1] += '"""'
    return lines


HEADER = '''\
# GENERATED FILE: do not edit. Regenerate with `python -m scripts.generators.args` after changing
# the spec; tests/unit/package/test_package.py fails while this file is stale.
"""FlinkCluster's inputs for the Pulumi component package, generated from ``pulumi_flink.spec``.

One TypedDict per spec model, named after it with "Args" (``TaskManagerArgs``), keys in
snake_case (the package schema camel-cases them to the spec's own keys), plain values only:
FlinkCluster turns them into a ``FlinkClusterSpec`` before it registers anything.
``Literal`` fields are StrEnums whose values are the spec's. Docstrings continue at column 0
on purpose: the component analyzer copies them into the schema verbatim.
"""
'''


def render(root: type[SpecModel] = FlinkClusterSpec) -> str:
    """The text of ``args.py``; raises ``UndocumentedFieldsError`` if a field lacks a description."""
    module = _Generator(root).run()
    typing_names = ["NotRequired", "Required", "TypedDict"]
    if module.uses_any:
        typing_names.insert(0, "Any")
    out = [HEADER, "from enum import StrEnum", f"from typing import {', '.join(typing_names)}", ""]
    out += ["import pulumi", ""]
    for enum in module.enums.values():
        out += ["", f"class {enum.name}(StrEnum):", *_docstring(enum.doc, INDENT), ""]
        out += [f'{INDENT}{enum_member_name(value)} = "{value}"' for value in enum.values]
        out.append("")
    for typed_dict in module.typed_dicts:
        out += ["", f"class {typed_dict.name}(TypedDict, total=False):", *_docstring(typed_dict.doc, INDENT)]
        out.append("")
        for item in typed_dict.fields:
            out.append(f"{INDENT}{item.name}: {item.annotation}")
            out += _docstring(item.doc, INDENT)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    options = parser(COMMAND, __doc__).parse_args(argv)
    path = target_path(options.root, TARGET)
    try:
        text = render()
    except UndocumentedFieldsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return write_or_check(path, text, COMMAND, options.check)


if __name__ == "__main__":
    sys.exit(main())

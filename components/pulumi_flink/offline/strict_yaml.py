"""Reading YAML files the renderer did not write: stack files, ``Pulumi.yaml``, render folders.

PyYAML's safe loader lets aliases grow a file without bound (a 1 KB "billion laughs" file
stands for a billion values, which no reader of it finishes) or refer to themselves, recurses once
per nesting level (a deep file ends in ``RecursionError``), keeps the last of
two equal keys (the Pulumi CLI refuses such a file) and raises bare ``ValueError`` for
YAML-valid scalars that are not values (``0b2``, a 30th of February, a 5000-digit number).
The loader here refuses each with the file, line and column, so a bad file costs bounded
time and memory and ends in one clear message.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Above any real stack file, and above what Kubernetes stores per object (etcd takes 1.5 MiB)."""
MAX_DEPTH = 64
"""Nesting levels; a Kubernetes pod template is about 12 deep."""
MAX_ALIAS_NODES = 10_000
"""Values that aliases (``*name``) may add to a file beyond those written in it."""
MAX_NUMBER_CHARS = 64
"""Longer than any int64 or float literal; a sexagesimal ``1:2:...`` costs quadratic time to read."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlFileError(Exception):
    """A file that is missing, unreadable, not YAML text, or YAML this loader refuses."""


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a stack file must not use (aliases, duplicate keys, ...)."""


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with bounded aliases and nesting, without duplicate keys or bare ValueErrors.

    Timestamps stay strings: Pulumi hands a stack program its config as text and JSON, where
    ``2024-01-01`` is a string, not a date.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self.aliased = False
        self._alias_nodes = 0
        # Of each node composed so far: the nodes it expands to, and its height.
        self._extent: dict[Node, tuple[int, int]] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            if isinstance(event, yaml.AliasEvent):
                self._count_alias(event)
                return super().compose_node(parent, index)
            node = super().compose_node(parent, index)
            assert node is not None
            if isinstance(node, ScalarNode):
                children: list[Node] = []
            elif isinstance(node, MappingNode):
                children = [part for pair in node.value for part in pair]
            else:
                children = list(node.value)
            extents = [self._extent[child] for child in children]
            self._extent[node] = (1 + sum(e[0] for e in extents), 1 + max((e[1] for e in extents), default=0))
            return node
        finally:
            self._depth -= 1

    def _count_alias(self, event: Any) -> None:
        """Bound what aliases expand to: each adds its whole value again (a "billion laughs")."""
        anchored = self.anchors.get(event.anchor)
        if anchored is None:
            return  # the composer reports the undefined alias
        alias, mark = f"the alias *{event.anchor}", event.start_mark
        if anchored not in self._extent:
            raise _Refused(None, None, f"{alias} is inside its own anchor", mark)
        nodes, height = self._extent[anchored]
        if self._depth - 1 + height > MAX_DEPTH:
            raise _Refused(None, None, f"{alias} nests more than {MAX_DEPTH} levels deep", mark)
        self.aliased = True
        self._alias_nodes += nodes
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise _Refused(
                None,
                None,
                f"aliases expand to more than {MAX_ALIAS_NODES} values; write the values out instead",
                mark,
            )

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue  # merged keys may override; a complex key is refused as unhashable below
            key = self.construct_object(key_node)
            if key in first_line:
                raise _Refused(
                    None,
                    None,
                    f"mapping key {str(key)!r} already defined at line {first_line[key]} "
                    "(keys must be unique; the Pulumi CLI refuses this file too)",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, IndexError, TypeError) as exc:  # e.g. an empty `!!int`
            raise ConstructorError(None, None, f"not a value: {exc}", node.start_mark) from None

    def construct_bounded_number(self, node: ScalarNode) -> Any:
        text = self.construct_scalar(node)
        if len(text) > MAX_NUMBER_CHARS:
            raise _Refused(None, None, f"a number longer than {MAX_NUMBER_CHARS} characters", node.start_mark)
        constructor = SAFE_CONSTRUCTORS[node.tag]
        return constructor(self, node)

    def construct_timestamp_text(self, node: ScalarNode) -> str:
        return self.construct_scalar(node)

    def construct_refused_tag(self, node: Node) -> Any:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _Refused(None, None, f"the tag {tag} is not supported", node.start_mark)


SAFE_CONSTRUCTORS = dict(yaml.SafeLoader.yaml_constructors)
for _tag in ("int", "float"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", StrictLoader.construct_bounded_number)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_timestamp_text)
for _tag in ("binary", "set", "omap", "pairs"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", StrictLoader.construct_refused_tag)


def _describe(path: Path, text: str, exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return f"{path}:{line}: not valid YAML: the character #x{character:04x} is not allowed"
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"{path}: not valid YAML: " + " ".join(str(exc).split())
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = exc.problem or "not valid YAML"
    if isinstance(exc, _Refused):
        return f"{where}: {problem}"
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
    elif exc.context:
        problem += f" ({exc.context})"
    return f"{where}: not valid YAML: {problem}"


def read_text(path: Path, *, follow_symlinks: bool = True, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file, strictly UTF-8 (a leading BOM allowed), at most ``max_bytes``.

    Opened without blocking, so a FIFO or a device named like a stack file is refused, not waited on.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise YamlFileError(f"{path}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise YamlFileError(f"{path}: a symbolic link, which this folder must not hold") from None
        raise YamlFileError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError:  # an embedded NUL
        raise YamlFileError(f"{path!r}: not a file name") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise YamlFileError(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise YamlFileError(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise YamlFileError(f"{path}: larger than {max_bytes // (1024 * 1024)} MiB; not a YAML file to read")
    if b"\0" in data:
        raise YamlFileError(f"{path}: a binary file (it holds NUL bytes), not YAML text")
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlFileError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def _unshared(value: Any) -> Any:
    """A value read through aliases holds one object in several places; Pulumi reads copies."""
    if isinstance(value, dict):
        return {key: _unshared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unshared(item) for item in value]
    return value




def load_document(path: Path, *, follow_symlinks: bool = True) -> Any:
    """The one YAML document of ``path`` (None for an empty file)."""
    text = read_text(path, follow_symlinks=follow_symlinks)
    try:
        loader = StrictLoader(text)  # checks every character
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise YamlFileError(_describe(path, text, exc)) from None
    return _unshared(document) if loader.aliased else document


def load_documents(path: Path, *, follow_symlinks: bool = True) -> list[Any]:
    """Every YAML document of ``path``, empty ones left out."""
    text = read_text(path, follow_symlinks=follow_symlinks)
    documents = []
    try:
        loader = StrictLoader(text)  # checks every character
        try:
            while loader.check_data():  # type: ignore[no-untyped-call]
                document = loader.get_data()
                if document is not None:
                    documents.append(_unshared(document) if loader.aliased else document)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise YamlFileError(_describe(path, text, exc)) from None
    return documents

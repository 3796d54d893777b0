"""Free text in a spec: patterns match whole strings, control characters are refused, and
hostile strings in any string field are refused by that field or rendered unchanged.

The string fields are derived from the pydantic models (``string_positions``), so a field
added to ``spec.py`` is fuzzed from the next run on; it needs a valid example in a context
below (or a string default) to start from, and the test says so when it has none.
"""

from __future__ import annotations

import ast
import copy
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_flink.model.quantities import memory_mebibytes
from pulumi_flink.model.text import check_no_control_characters, control_characters, whole_string
from pulumi_flink.offline.manifests import object_relative_path
from pulumi_flink.render.flink_config import render_config
from pulumi_flink.spec import FlinkClusterSpec, SpecModel
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.fuzz import fuzz_settings
from tests.support.paths import ROOT
from tests.support.rendering import render_specs

PACKAGE = ROOT / "components" / "pulumi_flink"


# --- the helpers ------------------------------------------------------------------------------

def test_whole_string_refuses_what_dollar_lets_through() -> None:
    assert re.match(r"^[a-z]+$", "abc\n"), "the trap: $ matches before a trailing newline"
    matcher = whole_string(r"[a-z]+")
    assert matcher("abc")
    assert not matcher("abc\n")
    assert not matcher("abc def")
    assert not matcher("")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("plain text: with # and 'quotes'", []),
        ("unicode é ü ß 中文 and a zero-width\u200bspace", []),
        ("line\n", ["\\n"]),
        ("\rcarriage", ["\\r"]),
        ("nul\x00tab\t", ["\\x00", "\\t"]),
        ("escape \x1b[31m, delete \x7f, next line \x85", ["\\x1b", "\\x7f", "\\x85"]),
        ("separators \u2028 \u2029", ["\\u2028", "\\u2029"]),
    ],
)
def test_control_characters_are_found_and_named(text: str, found: list[str]) -> None:
    assert control_characters(text) == found
    if found:
        with pytest.raises(ValueError, match=re.escape(found[0])):
            check_no_control_characters(text, "thing")
    else:
        assert check_no_control_characters(text, "thing") == text


# --- no pattern in the package can accept a trailing newline --------------------------------

_REGEX_CALLS = {"compile", "match", "search", "fullmatch", "whole_string", "sub", "split", "findall"}


def _regex_literals(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """(line, function, pattern) of every literal pattern given to re.* or whole_string."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        is_re = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "re"
        if name in _REGEX_CALLS and (is_re or name == "whole_string"):
            pattern = node.args[0]
            if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str):
                yield node.lineno, f"{'re.' if is_re else ''}{name}", pattern.value
            elif isinstance(pattern, ast.JoinedStr):
                text = "".join(v.value for v in pattern.values if isinstance(v, ast.Constant))
                yield node.lineno, f"{'re.' if is_re else ''}{name}", str(text)


def test_no_pattern_in_the_package_lets_a_trailing_newline_through() -> None:
    """``$`` matches before a final newline, and ``re.match`` checks only a prefix: a value
    check is ``whole_string`` (fullmatch). Patterns that search or split stay ``re``'s."""
    offenders = []
    for module in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(module.read_text(), str(module))
        for line, function, pattern in _regex_literals(tree):
            where = f"{module.name}:{line} {function}({pattern!r})"
            if re.search(r"(?<!\\)\$$", pattern):
                offenders.append(f"{where}: ends in $, which accepts a trailing newline")
            if function == "re.match":
                offenders.append(f"{where}: re.match checks a prefix; use whole_string")
            if function in ("re.compile", "re.fullmatch") and pattern.startswith("^"):
                offenders.append(f"{where}: an anchored value check; use whole_string")
    assert not offenders, "\n".join(offenders)
    assert _count_whole_string_patterns() >= 15, "the scan must see the package's value patterns"


def _count_whole_string_patterns() -> int:
    return sum(
        function == "whole_string"
        for module in PACKAGE.rglob("*.py")
        for _, function, _ in _regex_literals(ast.parse(module.read_text()))
    )


# --- every string field of the spec, from the models ------------------------------------------

Role = Literal["value", "item", "key", "dict-value"]


@dataclass(frozen=True)
class Position:
    """Where a string sits in a cluster spec: the field's path (aliases) and what it is there."""

    path: tuple[str | int, ...]
    role: Role
    model: type[SpecModel]
    field: str

    @property
    def name(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text + {"value": "", "item": "[]", "key": "{key}", "dict-value": "{value}"}[self.role]

    @property
    def field_path(self) -> str:
        return self.name.split("[]")[0].split("{")[0]


def _strip_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _model(annotation: Any) -> type[SpecModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, SpecModel) else None


def string_positions(model: type[SpecModel], prefix: tuple[str | int, ...] = ()) -> list[Position]:
    """Every place a string goes in ``model``: str fields, list items, dict keys and values."""
    positions = []
    for field, info in model.model_fields.items():
        path = (*prefix, info.alias or field)
        annotation = _strip_none(info.annotation)
        origin, args = get_origin(annotation), get_args(annotation)
        if annotation is str:
            positions.append(Position(path, "value", model, field))
        elif origin is list and args[0] is str:
            positions.append(Position(path, "item", model, field))
        elif origin is dict and args[0] is str and args[1] is not Any:  # Any: a Kubernetes object
            positions.append(Position(path, "key", model, field))
            if args[1] is str:
                positions.append(Position(path, "dict-value", model, field))
        elif (nested := _model(annotation)) is not None:
            positions += string_positions(nested, path)
        elif origin is list and (nested := _model(args[0])) is not None:
            positions += string_positions(nested, (*path, 0))
    return positions


# Free-form text: any string is a valid annotation value; Flink option values reach the config
# file through flink_config's escaping, which its own tests cover.
FREE_FORM = {"annotations{value}", "rest.annotations{value}"}
# PodOptions' Kubernetes pass-through fields have their own rules and tests (issue 12, class 3).
OWNED_ELSEWHERE = {"pod.nodeSelector{key}", "pod.nodeSelector{value}"}
POSITIONS = [p for p in string_positions(FlinkClusterSpec) if p.name not in FREE_FORM | OWNED_ELSEWHERE]

BASE: dict[str, Any] = {
    "name": "analytics",
    "flinkVersion": "1.20.3",
    "namespace": "flink",
    "image": "registry.example.com/data/flink:1.20.3-java17",
    "jobManager": {"cpu": "1", "memory": "1600Mi"},
    "taskManager": {"cpu": "1", "memory": "1728Mi"},
    "flinkConfiguration": {"state.backend.type": "rocksdb"},
    "jvmOptions": ["-XX:+ExitOnOutOfMemoryError"],
    "labels": {"team": "data"},
    "annotations": {"example.com/owner": "data team"},
    "rest": {"annotations": {"example.com/load-balancer": "internal"}},
    "pod": {
        "imagePullSecrets": ["registry"],
        "serviceAccountName": "flink-runner",
        "priorityClassName": "streaming",
        "nodeSelector": {"pool": "flink"},
    },
    "highAvailability": {
        "type": "zookeeper",
        "storageDir": "s3://analytics-state/flink",
        "credentialsSecret": "s3-credentials",
        "pathRoot": "/flink",
        "clusterId": "analytics-prod",
        "zookeeper": {
            "image": "zookeeper:3.8.4", "cpu": "500m", "memory": "1Gi", "storage": "10Gi",
            "storageClassName": "fast-ssd",
        },
    },
    "metrics": {"podMonitor": True, "monitorLabels": {"release": "prometheus"}},
    "networkPolicy": {"metricsFrom": [{"namespaceSelector": {"matchLabels": {"team": "monitoring"}}}]},
    "logging": {"toFile": True, "volumeClaim": "flink-logs", "maxFileSize": "100MB"},
}
JOB: dict[str, Any] = {
    "jar": "https://repo.example.com/jobs/orders-1.0.jar",
    "entryClass": "com.example.Orders",
    "args": ["--input", "s3://in/orders"],
    "savepoint": "s3://analytics-state/savepoints/savepoint-1",
    "jobId": "00000000000000000000000000000001",
    "jarFetchImage": "curlimages/curl:8.11.1",
}


def _context(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(BASE)
    for key, value in changes.items():
        spec[key] = value
    return spec


CONTEXTS: dict[str, dict[str, Any]] = {
    "session": BASE,
    "application": _context(mode="application", job=JOB),
    "per-job": _context(
        mode="per-job",
        jobs=[{**JOB, "name": "orders", "taskManager": {"cpu": "2", "memory": "2Gi"}}],
    ),
    "file-ha": _context(
        highAvailability={"type": "kubernetes", "storageDir": "file:///flink-ha", "volumeClaim": "flink-ha"}
    ),
    "quorum": _context(
        highAvailability={
            "type": "zookeeper", "storageDir": "s3://analytics-state/flink",
            "zookeeper": {"existingQuorum": "zk-0.zk.infra.svc:2181,zk-1.zk.infra.svc:2181"},
        }
    ),
    "zetcd": _context(
        flinkVersion="1.14.6",
        image="registry.example.com/data/flink:1.14.6-java11",
        highAvailability={
            "type": "zetcd", "storageDir": "s3://analytics-state/flink",
            "etcd": {
                "image": "quay.io/coreos/etcd:v3.5.17", "cpu": "500m", "memory": "1Gi", "storage": "10Gi",
                "storageClassName": "fast-ssd",
            },
            "zetcd": {"image": "quay.io/coreos/zetcd:v0.0.5"},
        },
    ),
}


def context_of(position: Position) -> str:
    path = position.path
    if path[0] in ("job", "jobs"):
        return "application" if path[0] == "job" else "per-job"
    if path[:2] == ("highAvailability", "volumeClaim"):
        return "file-ha"
    if path[:3] == ("highAvailability", "zookeeper", "existingQuorum"):
        return "quorum"
    if path[:2] in (("highAvailability", "etcd"), ("highAvailability", "zetcd")):
        return "zetcd"
    return "session"


def _container(spec: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    node: Any = spec
    for part in path[:-1]:
        node = node[part]
    return node


def valid_value(position: Position) -> tuple[dict[str, Any], str]:
    """A valid spec of the position's context, and the valid string at the position."""
    spec = copy.deepcopy(CONTEXTS[context_of(position)])
    parent, last = _container(spec, position.path), position.path[-1]
    current = parent.get(last) if isinstance(parent, dict) else None
    if position.role == "value":
        if current is None:
            default = position.model.model_fields[position.field].default
            assert isinstance(default, str), f"give {position.name} a valid example in CONTEXTS"
            current = parent[last] = default
        return spec, current
    assert current, f"give {position.name} a valid example in CONTEXTS"
    if position.role == "item":
        return spec, current[0]
    key = next(iter(current))
    return spec, key if position.role == "key" else current[key]


def with_value(position: Position, spec: dict[str, Any], value: str) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    parent, last = _container(spec, position.path), position.path[-1]
    if position.role == "value":
        parent[last] = value
    elif position.role == "item":
        parent[last][0] = value
    else:
        key = next(iter(parent[last]))
        if position.role == "key":
            parent[last] = {value: parent[last][key]}
        else:
            parent[last][key] = value
    return spec


# Fields rendered in a normal form, not as written: memory in whole MiB.
def rendered_form(position: Position, value: str) -> str:
    return f"{memory_mebibytes(value)}Mi" if position.field == "memory" else value


def test_every_string_field_is_found_and_its_context_renders() -> None:
    names = {p.name for p in POSITIONS}
    # A few the derivation must see (nested models, lists of models, lists and mappings of strings).
    assert {"name", "pod.imagePullSecrets[]", "jobs[0].name", "labels{key}", "labels{value}",
            "highAvailability.zookeeper.existingQuorum", "highAvailability.etcd.storageClassName",
            "jobs[0].taskManager.memory", "flinkConfiguration{key}", "logging.maxFileSize"} <= names
    for context in CONTEXTS.values():
        assert render_specs(FlinkClusterSpec.parse(context)).kubernetes_objects()
    missing = []
    for position in POSITIONS:
        spec, value = valid_value(position)
        if rendered_form(position, value) not in _rendered_strings(spec):
            missing.append(f"{position.name}: {value!r}")
    # Every one, per-job mode's jobs[].jobId included (flink run's -D).
    assert missing == []


# --- what a hostile string may do --------------------------------------------------------------

def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _rendered_strings(data: dict[str, Any]) -> str:
    """Every string of the render, one per line: the objects' (keys too) and the Flink config's."""
    spec = FlinkClusterSpec.parse(data)
    objects = render_specs(spec).kubernetes_objects()
    assert_no_control_characters_in_names(objects)
    configs = [spec.job_cluster(job) for job in spec.jobs] if spec.jobs else [spec]
    strings = [*_strings(objects)]
    for config in configs:
        strings += _strings(render_config(config).values)
    return "\n\x00\n".join(strings)


def assert_no_control_characters_in_names(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        meta = obj["metadata"]
        template = obj.get("spec", {}).get("template", {}).get("metadata", {})
        names = [meta["name"], str(object_relative_path(obj)), *meta.get("annotations", {})]
        for labels in (meta.get("labels", {}), template.get("labels", {})):
            names += [*labels, *labels.values()]
        if obj["kind"] == "ConfigMap":
            names += list(obj.get("data", {}))
        bad = [n for n in names if control_characters(n)]
        assert not bad, f"{obj['kind']} {meta['name']!r}: control characters in {bad}"


HOSTILE_CHARACTERS = ["\n", "\r", "\x00", "\t", "\x1b", "\x85", "\u2028", "#", ":", "'", '"', " ", "é",
                      "\u200b", "ﬁ", "/", "$", "{", "\\"]


@st.composite
def hostile(draw: st.DrawFn, valid: str) -> str:
    """``valid`` made hostile: a newline anywhere (trailing most of all), comment and YAML
    characters, quotes, surrounding whitespace, unicode, great length, or anything at all."""
    kind = draw(st.sampled_from(["trailing-newline", "insert", "surround", "long", "anything"]))
    if kind == "trailing-newline":
        return valid + draw(st.sampled_from(["\n", "\r\n", "\n\n"]))
    if kind == "insert":
        at = draw(st.integers(0, len(valid)))
        return valid[:at] + draw(st.sampled_from(HOSTILE_CHARACTERS)) + valid[at:]
    if kind == "surround":
        space = st.sampled_from([" ", "\t", "\u00a0", "  "])
        return draw(st.one_of(st.just(""), space)) + valid + draw(space)
    if kind == "long":
        return valid + draw(st.sampled_from(["a", "-", "0"])) * draw(st.sampled_from([64, 254, 1000, 5000]))
    return draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))


def refused_by_the_field_or_rendered_unchanged(position: Position, value: str) -> str:
    spec, _ = valid_value(position)
    data = with_value(position, spec, value)
    field = position.field_path
    try:
        rendered = _rendered_strings(data)
    except FlinkSpecError as exc:
        naming = [p for p in exc.paths if p == field or p.startswith((f"{field}.", f"{field}["))]
        assert naming, f"{position.name} = {value!r} refused, but not by its own path: {exc}"
        return "refused"
    assert not control_characters(value), f"{position.name} = {value!r} accepted with control characters"
    form = rendered_form(position, value)
    assert form in rendered, f"{position.name} = {value!r} accepted, but not rendered unchanged"
    return "rendered"


@pytest.mark.parametrize("position", POSITIONS, ids=lambda p: p.name)
def test_a_trailing_newline_is_refused_by_the_field(position: Position) -> None:
    _, valid = valid_value(position)
    for ending in ("\n", "\r\n"):
        assert refused_by_the_field_or_rendered_unchanged(position, valid + ending) == "refused"


@pytest.mark.parametrize("position", POSITIONS, ids=lambda p: p.name)
@fuzz_settings(12)
@given(data=st.data())
def test_a_hostile_string_is_refused_by_its_field_or_rendered_unchanged(
    position: Position, data: st.DataObject
) -> None:
    _, valid = valid_value(position)
    refused_by_the_field_or_rendered_unchanged(position, data.draw(hostile(valid)))

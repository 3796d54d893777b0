"""The stack file's JSON Schema (``config_schema.stack_config_schema()``, what
``stacks/stack-config.schema.json`` is written from) as the property tests walk it: its nodes
resolved, the shapes and JSON types each allows, and a cluster rewritten in the keys a Python
caller of ``FlinkCluster`` writes."""

from __future__ import annotations

from typing import Any

from pydantic.alias_generators import to_camel, to_snake

from pulumi_flink.program import CLUSTERS_KEY, PROJECT
from scripts.generators.config_schema import stack_config_schema

SCHEMA = stack_config_schema()
DEFS: dict[str, Any] = SCHEMA["$defs"]
CLUSTERS = f"{PROJECT}:{CLUSTERS_KEY}"
CLUSTER_NODE: dict[str, Any] = SCHEMA["properties"]["config"]["properties"][CLUSTERS]["items"]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = DEFS[node["$ref"].rsplit("/", 1)[1]]
    return node


def alternatives(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null shapes a schema node allows, resolved."""
    node = resolve(node)
    if "anyOf" in node:
        return [resolve(b) for b in node["anyOf"] if b.get("type") != "null"]
    return [node]


def nullable(node: dict[str, Any]) -> bool:
    return any(b.get("type") == "null" for b in resolve(node).get("anyOf", []))


def is_model(node: dict[str, Any]) -> bool:
    return "properties" in node


def is_free(node: dict[str, Any]) -> bool:
    """Plain Kubernetes YAML or ``Any``: the spec does not type what is inside."""
    return not node or (node.get("type") == "object" and node.get("additionalProperties") is True)


def json_types(node: dict[str, Any]) -> set[str]:
    """The JSON types a value at ``node`` may have (empty: any)."""
    types: set[str] = {"null"} if nullable(node) else set()
    for alt in alternatives(node):
        if not alt:
            return set()
        if "anyOf" in alt:
            types |= json_types(alt)
        elif is_model(alt):
            types.add("object")
        else:
            types.add(alt["type"])
    if "number" in types:
        types.add("integer")
    return types


def snake_args(value: Any, node: dict[str, Any] = CLUSTER_NODE) -> Any:
    """A cluster as a Python caller writes ``FlinkClusterArgs``: snake_case keys for the spec's
    fields (plain Kubernetes YAML and unknown keys stay as they are)."""
    for alt in alternatives(node) if json_types(node) else []:
        if is_model(alt) and isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key in alt["properties"]:
                    assert isinstance(key, str) and to_camel(to_snake(key)) == key, key
                    out[to_snake(key)] = snake_args(item, alt["properties"][key])
                else:
                    out[key] = item
            return out
        if alt.get("type") == "array" and isinstance(value, list):
            return [snake_args(item, alt["items"]) for item in value]
    return value

"""Object metadata and the checks every component runs before registering anything."""

from __future__ import annotations

from typing import Any

from pulumi_flink.model.naming import common_labels, native_labels
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import raise_if_any
from pulumi_flink.validation import check_once

TYPE_PREFIX = "flink:index"


def object_labels(spec: FlinkClusterSpec, component: str) -> dict[str, str]:
    """The labels of every object and pod: ours, and in native mode Flink's own too."""
    labels = common_labels(spec.name, component, str(spec.version), spec.labels)
    if spec.native:
        labels.update(native_labels(spec.name, component))
    return labels


def object_metadata(spec: FlinkClusterSpec, name: str, component: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": spec.namespace,
        "labels": object_labels(spec, component),
    }
    if spec.annotations:
        metadata["annotations"] = dict(spec.annotations)
    return metadata


def ensure_valid(spec: FlinkClusterSpec) -> None:
    """Raise FlinkSpecError for any cross-field problem; call before registering anything.

    Every component calls it, so that one constructed on its own refuses bad input; the rules
    run once per spec (``check_once``), not again in each child of a ``FlinkCluster``."""
    raise_if_any(check_once(spec))


def wire(obj: Any) -> Any:
    """Pass a Kubernetes object part in its YAML form (camelCase keys).

    pulumi-kubernetes sends such dicts to the engine unchanged; its type stubs
    only describe the snake_case Python form, hence ``Any``.
    """
    return obj

"""The metadata every object and pod of a cluster carries: its name, namespace, labels and
the spec's annotations."""

from __future__ import annotations

from typing import Any

from pulumi_flink.model.naming import common_labels, native_labels
from pulumi_flink.spec import FlinkClusterSpec


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

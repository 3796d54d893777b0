"""Names and labels: the keys the library owns, and the names a spec's clusters take."""

from __future__ import annotations

from pulumi_flink.model.naming import NATIVE_LABEL_KEYS, RESERVED_LABEL_KEYS
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem


def check_labels(spec: FlinkClusterSpec) -> list[Problem]:
    return [
        Problem(
            f"labels.{key}",
            "this label is set by pulumi-flink and selects the pods.",
            "remove it; use another key for your own label",
        )
        for key in spec.labels
        if key in RESERVED_LABEL_KEYS
    ] + [
        Problem(
            f"labels.{key}",
            "Flink's native mode sets it on its objects and pods and finds its TaskManager pods by it.",
            "remove it; use a prefixed key such as example.com/" + key,
        )
        for key in spec.labels
        if spec.native and key in NATIVE_LABEL_KEYS
    ]


def cluster_names(spec: FlinkClusterSpec) -> list[str]:
    """The cluster name, and in per-job mode each job's cluster name."""
    return [spec.name, *(spec.job_cluster(job).name for job in spec.jobs)]

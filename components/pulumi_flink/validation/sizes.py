"""Objects Kubernetes would refuse for their size."""

from __future__ import annotations

from pulumi_flink.model.kubernetes_types import (
    MAX_ANNOTATIONS_BYTES,
    MAX_CONFIG_MAP_BYTES,
    annotations_bytes,
    config_map_bytes,
)
from pulumi_flink.render.flink_config import (
    TASKMANAGER_POD_TEMPLATE_FILE,
    placeholder_ha_cluster_id,
    render_config,
)
from pulumi_flink.render.pods import planned_pod_templates, pod_template_file
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem

LIBRARY_ANNOTATIONS_BYTES = 1024
"""A bound on what the library adds to the user's annotations on one object (checksums, the
deployment mode, pulumi.com/skipAwait); tests/unit/model/test_pod_fields.py holds it to the renders."""


def check_sizes(spec: FlinkClusterSpec) -> list[Problem]:
    """Objects Kubernetes would refuse for their size: annotations over 256 KiB on one object,
    a ConfigMap over 1 MiB. Measured on what the builders make (with an HA cluster id of the
    real one's length), so a render never carries an object the API server rejects."""
    problems = []
    # Every object and pod carries spec.annotations; the REST Service rest.annotations too.
    for path, carried in (
        ("annotations", spec.annotations),
        ("rest.annotations", {**spec.annotations, **spec.rest.annotations}),
    ):
        size = annotations_bytes(carried) + LIBRARY_ANNOTATIONS_BYTES
        if size > MAX_ANNOTATIONS_BYTES:
            problems.append(_too_big(path, "the annotations of one object, with the library's own,", size,
                                     MAX_ANNOTATIONS_BYTES, "annotations"))
            break
    clusters = [spec.job_cluster(job) for job in spec.jobs] if spec.mode == "per-job" else [spec]
    for cluster in clusters:
        files = render_config(cluster, placeholder_ha_cluster_id(cluster)).files
        if config_map_bytes(files) > MAX_CONFIG_MAP_BYTES:
            problems.append(_too_big("flinkConfiguration", f"the ConfigMap {cluster.names.config_map}",
                                     config_map_bytes(files), MAX_CONFIG_MAP_BYTES, "Flink configuration"))
    for what, template in planned_pod_templates(spec):
        if template.get("kind") == "Pod":
            size = config_map_bytes({TASKMANAGER_POD_TEMPLATE_FILE: pod_template_file(template)})
            if size > MAX_CONFIG_MAP_BYTES:
                problems.append(_too_big("pod", f"the ConfigMap holding the {what}", size,
                                         MAX_CONFIG_MAP_BYTES, "pod hooks, labels and annotations"))
    return list(dict.fromkeys(problems))


def _too_big(path: str, what: str, size: int, limit: int, content: str) -> Problem:
    return Problem(
        path,
        f"{what} would take {size} bytes; Kubernetes takes at most {limit} ({limit // 1024} KiB).",
        f"shorten the {content}",
    )

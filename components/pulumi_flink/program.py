"""The stack program: stack config in, Flink clusters out.

Shared by ``stacks/__main__.py`` (``pulumi up``) and the offline renderer, so
both read, validate and build a stack the same way. The whole stack config is
validated before the first resource is registered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .cluster import FlinkCluster
from .errors import FlinkSpecError, Problem
from .spec import FlinkClusterSpec
from .validation import check_cluster, cluster_names, cluster_warnings, planned_objects

PROJECT = "pulumi-flink"
KNOWN_KEYS = {"clusters": "the list of Flink clusters of this stack"}


@dataclass(frozen=True)
class StackConfig:
    clusters: tuple[FlinkClusterSpec, ...]

    @property
    def warnings(self) -> list[str]:
        return [w for spec in self.clusters for w in cluster_warnings(spec)]


def _decode(value: Any) -> Any:
    # Under `pulumi up` object values arrive as JSON text.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_stack_config(config: Mapping[str, Any], project: str = PROJECT) -> StackConfig:
    """Validate a stack's ``config:`` block (``project:key`` → value); raise every problem at once."""
    problems: list[Problem] = []
    prefix = f"{project}:"
    for key in sorted(config):
        if key.startswith(prefix) and key[len(prefix) :] not in KNOWN_KEYS:
            known = ", ".join(f"{prefix}{k}" for k in KNOWN_KEYS)
            problems.append(Problem(key, "unknown stack config key.", f"use one of: {known}"))
    raw = _decode(config.get(f"{prefix}clusters"))
    if raw is None:
        problems.append(
            Problem(
                f"{prefix}clusters",
                "no clusters are configured.",
                "add a list of clusters, each with at least name and flinkVersion",
            )
        )
        raise FlinkSpecError(problems)
    if not isinstance(raw, list) or not raw:
        problems.append(
            Problem(
                f"{prefix}clusters",
                "expected a non-empty list of clusters.",
                "write one YAML list item per cluster",
            )
        )
        raise FlinkSpecError(problems)

    specs: list[FlinkClusterSpec] = []
    for index, item in enumerate(raw):
        path = f"clusters[{index}]"
        try:
            spec = FlinkClusterSpec.parse(item, path)
        except FlinkSpecError as exc:
            problems += exc.problems
            continue
        problems += [p.prefixed(path) for p in check_cluster(spec)]
        specs.append(spec)

    problems += _check_collisions(specs)
    if problems:
        raise FlinkSpecError(problems)
    return StackConfig(tuple(specs))


def _check_collisions(specs: list[FlinkClusterSpec]) -> list[Problem]:
    """Clusters of one stack need their own names (Pulumi's resource names derive from them),
    and clusters of one namespace their own Kubernetes object names."""
    problems: list[Problem] = []
    names: dict[str, tuple[int, str]] = {}
    objects: dict[tuple[str, str, str], int] = {}
    for index, spec in enumerate(specs):
        for name in dict.fromkeys(cluster_names(spec)):
            if name in names:
                owner, what = names[name]
                problems.append(
                    Problem(
                        f"clusters[{index}].name",
                        f"{name!r} is already {what} of clusters[{owner}].",
                        "give every cluster of a stack, and every per-job cluster, its own name",
                    )
                )
                break
            names[name] = (index, "the name" if name == spec.name else "a per-job cluster name")
        else:
            for kind, object_name in planned_objects(spec):
                key = (spec.namespace, kind, object_name)
                if key in objects and objects[key] != index:
                    problems.append(
                        Problem(
                            f"clusters[{index}].name",
                            f"its {kind} {object_name!r} would be the same object as one of "
                            f"clusters[{objects[key]}] in namespace {spec.namespace}.",
                            "rename one of the clusters, or put them in different namespaces",
                        )
                    )
                    break
                objects[key] = index
    return problems


def current_stack_config() -> dict[str, Any]:
    """Every config value of the running Pulumi program, as ``project:key`` → value."""
    from pulumi.runtime import config as runtime_config

    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def build_stack(stack: StackConfig, opts: pulumi.ResourceOptions | None = None) -> dict[str, FlinkCluster]:
    clusters = {spec.name: FlinkCluster(spec.name, spec, opts=opts) for spec in stack.clusters}
    pulumi.export("clusters", {name: _stack_output(cluster) for name, cluster in clusters.items()})
    return clusters


def _stack_output(cluster: FlinkCluster) -> dict[str, Any]:
    output: dict[str, Any] = {
        "mode": cluster.spec.deployment_mode,
        "namespace": cluster.namespace,
        "clusterId": cluster.cluster_id,
    }
    if cluster.spec.high_availability.enabled:
        output["haClusterIds"] = cluster.ha_cluster_ids
        output["haCleanup"] = cluster.ha_cleanup
    if cluster.spec.mode == "per-job":
        output["jobs"] = {
            job: {"restEndpoint": job_cluster.rest_endpoint, "clusterId": job_cluster.cluster_id}
            for job, job_cluster in cluster.job_clusters.items()
        }
    else:
        output["jobmanagerService"] = cluster.jobmanager_service_name
        output["restEndpoint"] = cluster.rest_endpoint
    return output


def main() -> None:
    """Entry point of ``stacks/__main__.py``."""
    build_stack(parse_stack_config(current_stack_config(), pulumi.get_project()))

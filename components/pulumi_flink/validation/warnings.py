"""What is legal but probably not meant: shown by the renderer and logged by the component."""

from __future__ import annotations

from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.validation.health import health_warnings
from pulumi_flink.validation.network import network_warnings


def cluster_warnings(spec: FlinkClusterSpec) -> list[str]:
    health = health_warnings(spec) + network_warnings(spec)
    if spec.native:
        return health  # TaskManagers are created on demand
    if spec.mode == "per-job":
        return [w for job in spec.jobs for w in cluster_warnings(spec.job_cluster(job))]
    warnings = health
    parallelism = spec.job_parallelism
    if parallelism > spec.total_slots:
        who = "the job" if spec.mode == "application" else "jobs that keep the default parallelism"
        warnings.append(
            f"{spec.name}: parallelism {parallelism} is above the {spec.total_slots} task slots "
            f"({spec.task_manager.replicas} TaskManagers x {spec.task_manager.slots} slots); "
            f"{who} will wait for slots that never come"
        )
    return warnings

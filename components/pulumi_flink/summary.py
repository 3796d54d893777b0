"""A readable summary of a render: what is created, slots, CPU and memory, warnings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .pods import SUBMITTER_RESOURCES
from .program import StackConfig
from .quantities import format_cpu
from .spec import FlinkClusterSpec, JobSpec, Resources


@dataclass(frozen=True)
class _Footprint:
    cpu: int = 0
    memory: int = 0
    slots: int = 0

    def __add__(self, other: _Footprint) -> _Footprint:
        return _Footprint(self.cpu + other.cpu, self.memory + other.memory, self.slots + other.slots)


def _mib(value: int) -> str:
    return f"{value / 1024:g}Gi" if value % 1024 == 0 else f"{value}Mi"


def _job_text(job: JobSpec) -> str:
    what = job.entry_class or "the jar's Main-Class"
    text = f"{what} from {job.jar}"
    if job.savepoint:
        text += f", from savepoint {job.savepoint}"
    return text


def _cluster_lines(spec: FlinkClusterSpec, indent: str = "  ") -> tuple[list[str], _Footprint]:
    """The JobManager, TaskManager and REST lines of one running cluster, and its fixed footprint."""
    jm, tm = spec.job_manager, spec.task_manager
    footprint = _Footprint(jm.replicas * jm.cpu_millicores, jm.replicas * jm.memory_mib)
    jm_text = f"{jm.replicas} x ({jm.cpu} CPU, {_mib(jm.memory_mib)}) as a {spec.jobmanager_workload}"
    lines = [f"{indent}JobManager:   {jm_text}"]
    if spec.native:
        lines.append(
            f"{indent}TaskManagers: created on demand by the JobManager, each ({tm.cpu} CPU, "
            f"{_mib(tm.memory_mib)}) with {tm.slots} slot(s); parallelism {spec.job_parallelism}"
        )
    else:
        footprint += _Footprint(
            tm.replicas * tm.cpu_millicores, tm.replicas * tm.memory_mib, spec.total_slots
        )
        lines.append(
            f"{indent}TaskManagers: {tm.replicas} x ({tm.cpu} CPU, {_mib(tm.memory_mib)}), "
            f"{tm.slots} slot(s) each = {spec.total_slots} slot(s); parallelism {spec.job_parallelism}"
        )
    lines.append(f"{indent}REST: {spec.rest.exposure} Service {spec.names.rest_service}:{spec.ports.rest}")
    return lines, footprint


def _describe(spec: FlinkClusterSpec) -> tuple[list[str], _Footprint]:
    head = f"{spec.name} (namespace {spec.namespace}): {spec.deployment_mode}, Flink {spec.version}, "
    head += f"image {spec.resolved_image}"
    lines = ["", head]
    if spec.mode == "per-job":
        total = _Footprint()
        for job in spec.jobs:
            job_cluster = spec.job_cluster(job)
            lines.append(f"  job {job.name}: {_job_text(job)}, on cluster {job_cluster.name}")
            cluster_lines, footprint = _cluster_lines(job_cluster, indent="    ")
            lines += cluster_lines
            client = SUBMITTER_RESOURCES
            lines.append(
                f"    Client: Job {job_cluster.names.submitter} runs flink run once "
                f"({client.cpu} CPU, {_mib(client.memory_mib)} while it runs)"
            )
            total += footprint
    else:
        if spec.job is not None:
            lines.append(f"  Job: {_job_text(spec.job)}")
        cluster_lines, total = _cluster_lines(spec)
        lines += cluster_lines
    ha_lines, ha_footprint = _ha_lines(spec)
    lines += ha_lines
    total += ha_footprint
    on_demand = " (plus the TaskManagers it creates)" if spec.native else ""
    lines.append(f"  Requests = limits: {format_cpu(total.cpu)} CPU, {_mib(total.memory)} memory{on_demand}")
    return lines, total


def _ha_lines(spec: FlinkClusterSpec) -> tuple[list[str], _Footprint]:
    ha = spec.high_availability
    if not ha.enabled:
        return [], _Footprint()
    standby = spec.job_manager.replicas - 1
    lines = [f"  HA: {ha.type}, storage {ha.storage_dir}, {standby} standby JobManager(s)"
             + (", fast failover" if ha.fast_failover else ", Flink's default timeouts")]
    zookeeper = ha.zookeeper
    if ha.type != "zookeeper":
        return lines, _Footprint()
    if zookeeper.existing_quorum:
        lines.append(f"  ZooKeeper: existing quorum {zookeeper.existing_quorum}")
        return lines, _Footprint()
    server = Resources(cpu=zookeeper.cpu, memory=zookeeper.memory)
    lines.append(
        f"  ZooKeeper: {zookeeper.replicas} x ({zookeeper.cpu} CPU, {_mib(server.memory_mib)}, "
        f"{zookeeper.storage} volume), StatefulSet {spec.names.zookeeper}"
    )
    footprint = _Footprint(zookeeper.replicas * server.cpu_millicores, zookeeper.replicas * server.memory_mib)
    return lines, footprint


def summarize(stack: StackConfig, objects: Sequence[dict[str, Any]], stack_name: str) -> str:
    lines = [f"Stack {stack_name}: {len(stack.clusters)} Flink cluster(s), {len(objects)} Kubernetes objects"]
    total = _Footprint()
    for spec in stack.clusters:
        cluster_lines, footprint = _describe(spec)
        lines += cluster_lines
        total += footprint
    kinds = Counter(str(obj.get("kind")) for obj in objects)
    on_demand = " (plus native TaskManagers)" if any(spec.native for spec in stack.clusters) else ""
    lines += [
        "",
        "Objects: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())),
        f"Totals: {total.slots} slot(s), {format_cpu(total.cpu)} CPU, {_mib(total.memory)} memory{on_demand}",
    ]
    warnings = stack.warnings
    lines.append("")
    lines += [f"WARNING: {w}" for w in warnings] if warnings else ["Warnings: none"]
    return "\n".join(lines) + "\n"

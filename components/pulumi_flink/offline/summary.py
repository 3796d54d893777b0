"""A readable summary of a render: what is created, slots, CPU and memory, warnings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pulumi_flink.model.quantities import MIB, format_cpu, parse_quantity
from pulumi_flink.program import StackConfig
from pulumi_flink.render.pods import SUBMITTER_RESOURCES
from pulumi_flink.render.stores import ZETCD_RESOURCES
from pulumi_flink.resources.collisions import cluster_claims
from pulumi_flink.spec import FlinkClusterSpec, JobSpec, Resources, StoreSpec


@dataclass(frozen=True)
class _Footprint:
    """CPU (millicores) and memory (bytes) requests."""

    cpu: Fraction = Fraction(0)
    memory: Fraction = Fraction(0)

    def __add__(self, other: _Footprint) -> _Footprint:
        return _Footprint(self.cpu + other.cpu, self.memory + other.memory)

    def __mul__(self, times: int) -> _Footprint:
        return _Footprint(self.cpu * times, self.memory * times)

    def text(self) -> str:
        memory = self.memory / MIB
        memory_text = _mib(int(memory)) if memory.denominator == 1 else f"{math.ceil(self.memory)}B"
        return f"{format_cpu(math.ceil(self.cpu))} CPU, {memory_text} memory"


def _container_requests(container: Mapping[str, Any]) -> _Footprint:
    resources = container.get("resources", {})
    requests = {**resources.get("limits", {}), **resources.get("requests", {})}  # requests default to limits
    cpu = parse_quantity(str(requests["cpu"])) * 1000 if "cpu" in requests else Fraction(0)
    memory = parse_quantity(str(requests["memory"])) if "memory" in requests else Fraction(0)
    return _Footprint(cpu, memory)


def pod_requests(pod: Mapping[str, Any]) -> _Footprint:
    """What the scheduler reserves for one pod: the larger, per resource, of its containers
    (with the sidecars, init containers that keep running) and of any init container in turn
    (with the sidecars started before it)."""
    sidecars = _Footprint()
    init_peak = _Footprint()
    for init in pod.get("initContainers", []):
        request = _container_requests(init)
        if init.get("restartPolicy") == "Always":
            sidecars += request
        else:
            running = sidecars + request
            init_peak = _Footprint(max(init_peak.cpu, running.cpu), max(init_peak.memory, running.memory))
    containers = sidecars
    for container in pod.get("containers", []):
        containers += _container_requests(container)
    return _Footprint(max(containers.cpu, init_peak.cpu), max(containers.memory, init_peak.memory))


# The workloads whose pod templates run pods, and how many of them at once.
_PODS_AT_ONCE = {"Deployment": "replicas", "StatefulSet": "replicas", "Job": "parallelism"}


def objects_requests(objects: Iterable[Mapping[str, Any]]) -> _Footprint:
    """The requests of every pod the objects run: replicas x each pod's requests."""
    total = _Footprint()
    for obj in objects:
        field = _PODS_AT_ONCE.get(str(obj.get("kind")))
        if field is None:
            continue
        spec = obj.get("spec", {})
        total += pod_requests(spec.get("template", {}).get("spec", {})) * int(spec.get(field, 1))
    return total


def _mib(value: int) -> str:
    return f"{value / 1024:g}Gi" if value % 1024 == 0 else f"{value}Mi"


def _job_text(job: JobSpec) -> str:
    what = job.entry_class or "the jar's Main-Class"
    text = f"{what} from {job.jar}"
    if job.savepoint:
        text += f", from savepoint {job.savepoint}"
    return text


def _cluster_lines(spec: FlinkClusterSpec, indent: str = "  ") -> list[str]:
    """The JobManager, TaskManager and REST lines of one running cluster."""
    jm, tm = spec.job_manager, spec.task_manager
    jm_text = f"{jm.replicas} x ({jm.cpu} CPU, {_mib(jm.memory_mib)}) as a {spec.jobmanager_workload}"
    lines = [f"{indent}JobManager:   {jm_text}"]
    if spec.native:
        lines.append(
            f"{indent}TaskManagers: created on demand by the JobManager, each ({tm.cpu} CPU, "
            f"{_mib(tm.memory_mib)}) with {tm.slots} slot(s); parallelism {spec.job_parallelism}"
        )
    else:
        lines.append(
            f"{indent}TaskManagers: {tm.replicas} x ({tm.cpu} CPU, {_mib(tm.memory_mib)}), "
            f"{tm.slots} slot(s) each = {spec.total_slots} slot(s); parallelism {spec.job_parallelism}"
        )
    lines.append(f"{indent}REST: {spec.rest.exposure} Service {spec.names.rest_service}:{spec.ports.rest}")
    return lines


def _slots(spec: FlinkClusterSpec) -> int:
    """The task slots the spec's standalone TaskManagers offer (native ones come on demand)."""
    if spec.mode == "per-job":
        return sum(_slots(spec.job_cluster(job)) for job in spec.jobs)
    return 0 if spec.native else spec.total_slots


def _describe(spec: FlinkClusterSpec, requests: _Footprint) -> list[str]:
    """The lines of one cluster; ``requests``: those of its rendered objects."""
    head = f"{spec.name} (namespace {spec.namespace}): {spec.deployment_mode}, Flink {spec.version}, "
    head += f"image {spec.resolved_image}"
    lines = ["", head]
    if spec.mode == "per-job":
        for job in spec.jobs:
            job_cluster = spec.job_cluster(job)
            lines.append(f"  job {job.name}: {_job_text(job)}, on cluster {job_cluster.name}")
            lines += _cluster_lines(job_cluster, indent="    ")
            client = SUBMITTER_RESOURCES
            lines.append(
                f"    Client: Job {job_cluster.names.submitter} runs flink run once "
                f"({client.cpu} CPU, {_mib(client.memory_mib)} while it runs)"
            )
    else:
        if spec.job is not None:
            lines.append(f"  Job: {_job_text(spec.job)}")
        lines += _cluster_lines(spec)
    lines += _ha_lines(spec)
    on_demand = " (plus the TaskManagers it creates)" if spec.native else ""
    lines.append(f"  Requests = limits: {requests.text()}{on_demand}")
    return lines


def _store_line(label: str, store: StoreSpec, workload: str) -> str:
    server = Resources(cpu=store.cpu, memory=store.memory)
    return (
        f"  {label}: {store.replicas} x ({store.cpu} CPU, {_mib(server.memory_mib)}, "
        f"{store.storage} volume), StatefulSet {workload}"
    )


def _ha_lines(spec: FlinkClusterSpec) -> list[str]:
    ha = spec.high_availability
    if not ha.enabled:
        return []
    standby = spec.job_manager.replicas - 1
    lines = [f"  HA: {ha.type}, storage {ha.storage_dir}, {standby} standby JobManager(s)"
             + (", fast failover" if ha.fast_failover else ", Flink's default timeouts")]
    names = spec.names
    if ha.type == "zookeeper" and ha.zookeeper.existing_quorum:
        lines.append(f"  ZooKeeper: existing quorum {ha.zookeeper.existing_quorum}")
    elif ha.type == "zookeeper":
        lines.append(_store_line("ZooKeeper", ha.zookeeper, names.zookeeper))
    elif ha.type == "zetcd":
        lines.append(_store_line("etcd", ha.etcd, names.etcd))
        zetcd = ZETCD_RESOURCES
        lines.append(
            f"  zetcd: {ha.zetcd.replicas} x ({zetcd.cpu} CPU, {_mib(zetcd.memory_mib)}), "
            f"Deployment {names.zetcd}, Flink's ZooKeeper quorum"
        )
    return lines


def _owned(stack: StackConfig, spec: FlinkClusterSpec) -> set[tuple[str, str, str]]:
    """(namespace, kind, name) of the objects the cluster makes, as the collision check plans them."""
    credentials = tuple(stack.ha_credentials.get(spec.name, ()))
    objects = [claim.key for claim in cluster_claims(spec, credentials) if claim.key[0] == "object"]
    return {(namespace, kind, name) for _, namespace, kind, name in objects}


def _identity(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata", {})
    return (str(meta.get("namespace", "")), str(obj.get("kind")), str(meta.get("name")))


def summarize(stack: StackConfig, objects: Sequence[dict[str, Any]], stack_name: str) -> str:
    """What the render holds: per cluster its parts and the requests of its rendered pods, then
    the object kinds and the totals over every rendered object."""
    lines = [f"Stack {stack_name}: {len(stack.clusters)} Flink cluster(s), {len(objects)} Kubernetes objects"]
    for spec in stack.clusters:
        owned = _owned(stack, spec)
        lines += _describe(spec, objects_requests(o for o in objects if _identity(o) in owned))
    kinds = Counter(str(obj.get("kind")) for obj in objects)
    on_demand = " (plus native TaskManagers)" if any(spec.native for spec in stack.clusters) else ""
    slots = sum(_slots(spec) for spec in stack.clusters)
    lines += [
        "",
        "Objects: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())),
        f"Totals: {slots} slot(s), {objects_requests(objects).text()}{on_demand}",
    ]
    warnings = stack.warnings
    lines.append("")
    lines += [f"WARNING: {w}" for w in warnings] if warnings else ["Warnings: none"]
    return "\n".join(lines) + "\n"

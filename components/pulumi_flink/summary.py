"""A readable summary of a render: what is created, slots, CPU and memory, warnings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .program import StackConfig
from .quantities import format_cpu
from .spec import FlinkClusterSpec


def _totals(spec: FlinkClusterSpec) -> tuple[int, int]:
    jm, tm = spec.job_manager, spec.task_manager
    cpu = jm.replicas * jm.cpu_millicores + tm.replicas * tm.cpu_millicores
    memory = jm.replicas * jm.memory_mib + tm.replicas * tm.memory_mib
    return cpu, memory


def _mib(value: int) -> str:
    return f"{value / 1024:g}Gi" if value % 1024 == 0 else f"{value}Mi"


def summarize(stack: StackConfig, objects: Sequence[dict[str, Any]], stack_name: str) -> str:
    lines = [f"Stack {stack_name}: {len(stack.clusters)} Flink cluster(s), {len(objects)} Kubernetes objects"]
    total_cpu = total_memory = total_slots = 0
    for spec in stack.clusters:
        jm, tm = spec.job_manager, spec.task_manager
        cpu, memory = _totals(spec)
        total_cpu, total_memory = total_cpu + cpu, total_memory + memory
        total_slots += spec.total_slots
        lines += [
            "",
            f"{spec.name} (namespace {spec.namespace}): standalone session, Flink {spec.version}, "
            f"image {spec.resolved_image}",
            f"  JobManager:   {jm.replicas} x ({jm.cpu} CPU, {_mib(jm.memory_mib)})",
            f"  TaskManagers: {tm.replicas} x ({tm.cpu} CPU, {_mib(tm.memory_mib)}), {tm.slots} slot(s) each"
            f" = {spec.total_slots} slot(s); parallelism {spec.parallelism}",
            f"  Requests = limits: {format_cpu(cpu)} CPU, {_mib(memory)} memory",
            f"  REST: {spec.rest.exposure} Service {spec.name}-rest:{spec.ports.rest}",
        ]
    kinds = Counter(str(obj.get("kind")) for obj in objects)
    lines += [
        "",
        "Objects: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())),
        f"Totals: {total_slots} slot(s), {format_cpu(total_cpu)} CPU, {_mib(total_memory)} memory",
    ]
    warnings = stack.warnings
    lines.append("")
    lines += [f"WARNING: {w}" for w in warnings] if warnings else ["Warnings: none"]
    return "\n".join(lines) + "\n"

"""Flink's memory model, derived the way Flink derives it from a process size.

Used to refuse, before anything is registered, a container too small for the
JobManager or TaskManager to start. The tests check these numbers against
Flink's own ``TaskExecutorProcessUtils`` and ``JobManagerProcessUtils``.
Only process-size-driven models are derived here: the library refuses the
keys that would size the process another way (see ``flink_config``).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .quantities import MIB, flink_memory_bytes
from .versions import FlinkVersion

ConfigMap = Mapping[str, object]
UNBOUNDED = 2**63 - 1  # Flink's MemorySize.MAX_VALUE


class MemoryModelError(ValueError):
    pass


def _size(config: ConfigMap, key: str, default: str | int) -> int:
    return flink_memory_bytes(str(config.get(key, default)))


def fraction_of(base: int, fraction: object) -> int:
    """``MemorySize.multiply`` of a fraction option: Flink keeps fractions as Java floats
    (0.4 is 0.4000000059604645), multiplies exactly, and truncates to whole bytes."""
    as_float = struct.unpack("<f", struct.pack("<f", float(str(fraction))))[0]
    return int(Decimal(base) * Decimal(repr(as_float)))


def _clamped(config: ConfigMap, prefix: str, base: int, defaults: tuple[float, str, str | int]) -> int:
    low = _size(config, f"{prefix}.min", defaults[1])
    high = _size(config, f"{prefix}.max", defaults[2])
    if low > high:
        raise MemoryModelError(f"{prefix}.min is above {prefix}.max")
    return max(low, min(high, fraction_of(base, config.get(f"{prefix}.fraction", defaults[0]))))


def _overhead_and_metaspace(config: ConfigMap, role: str, process: int, process_mib: int) -> tuple[int, int]:
    overhead = _clamped(config, f"{role}.memory.jvm-overhead", process, (0.1, "192m", "1g"))
    metaspace = _size(config, f"{role}.memory.jvm-metaspace.size", "256m")
    if overhead + metaspace >= process:
        raise MemoryModelError(
            f"{process_mib}Mi leaves nothing for Flink after JVM overhead "
            f"({overhead // MIB}Mi) and metaspace ({metaspace // MIB}Mi)"
        )
    return overhead, metaspace


@dataclass(frozen=True)
class TaskManagerMemory:
    process: int
    jvm_overhead: int
    metaspace: int
    framework_heap: int
    framework_off_heap: int
    task_off_heap: int
    network: int
    managed: int
    task_heap: int

    @property
    def heap(self) -> int:
        return self.framework_heap + self.task_heap


@dataclass(frozen=True)
class JobManagerMemory:
    process: int
    jvm_overhead: int
    metaspace: int
    off_heap: int
    heap: int


def taskmanager_memory(process_mib: int, config: ConfigMap, version: FlinkVersion) -> TaskManagerMemory:
    process = process_mib * MIB
    overhead, metaspace = _overhead_and_metaspace(config, "taskmanager", process, process_mib)
    total_flink = process - overhead - metaspace
    framework_heap = _size(config, "taskmanager.memory.framework.heap.size", "128m")
    framework_off_heap = _size(config, "taskmanager.memory.framework.off-heap.size", "128m")
    task_off_heap = _size(config, "taskmanager.memory.task.off-heap.size", 0)
    if "taskmanager.memory.managed.size" in config:
        managed = _size(config, "taskmanager.memory.managed.size", 0)
    else:
        managed = fraction_of(total_flink, config.get("taskmanager.memory.managed.fraction", 0.4))
    # FLINK-30469: from 1.17 on the network memory has no upper bound by default.
    network_max: str | int = UNBOUNDED if version.at_least(1, 17) else "1g"
    network = _clamped(config, "taskmanager.memory.network", total_flink, (0.1, "64m", network_max))
    task_heap = total_flink - framework_heap - framework_off_heap - task_off_heap - managed - network
    if framework_heap + framework_off_heap + task_off_heap + managed > total_flink or task_heap < 0:
        raise MemoryModelError(
            f"{process_mib}Mi is too small: after JVM overhead, metaspace, framework, network "
            f"and managed memory the task heap would be {task_heap // MIB}Mi"
        )
    return TaskManagerMemory(
        process,
        overhead,
        metaspace,
        framework_heap,
        framework_off_heap,
        task_off_heap,
        network,
        managed,
        task_heap,
    )


def jobmanager_memory(process_mib: int, config: ConfigMap) -> JobManagerMemory:
    process = process_mib * MIB
    overhead, metaspace = _overhead_and_metaspace(config, "jobmanager", process, process_mib)
    off_heap = _size(config, "jobmanager.memory.off-heap.size", "128m")
    heap = process - overhead - metaspace - off_heap
    if heap <= 0:
        raise MemoryModelError(
            f"{process_mib}Mi is too small: after JVM overhead ({overhead // MIB}Mi), metaspace "
            f"({metaspace // MIB}Mi) and off-heap ({off_heap // MIB}Mi) no heap is left"
        )
    return JobManagerMemory(process, overhead, metaspace, off_heap, heap)

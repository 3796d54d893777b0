"""Flink's memory model, derived the way Flink derives it from a process size.

Used to refuse, before anything is registered, a container too small for the
JobManager or TaskManager to start. The tests check these numbers against
Flink's own ``TaskExecutorProcessUtils`` and ``JobManagerProcessUtils``.
Only process-size-driven models are derived here: the library refuses the
keys that would size the process another way (see ``flink_config``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .quantities import MIB, flink_memory_bytes

ConfigMap = Mapping[str, object]


def _size(config: ConfigMap, key: str, default: str) -> int:
    return flink_memory_bytes(str(config.get(key, default)))


def _fraction(config: ConfigMap, key: str, default: float) -> float:
    return float(str(config.get(key, default)))


def _clamped(config: ConfigMap, prefix: str, base: int, defaults: tuple[float, str, str]) -> int:
    fraction = _fraction(config, f"{prefix}.fraction", defaults[0])
    low = _size(config, f"{prefix}.min", defaults[1])
    high = _size(config, f"{prefix}.max", defaults[2])
    return max(low, min(high, int(base * fraction)))


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


class MemoryModelError(ValueError):
    pass


def taskmanager_memory(process_mib: int, config: ConfigMap) -> TaskManagerMemory:
    process = process_mib * MIB
    overhead = _clamped(config, "taskmanager.memory.jvm-overhead", process, (0.1, "192m", "1g"))
    metaspace = _size(config, "taskmanager.memory.jvm-metaspace.size", "256m")
    total_flink = process - overhead - metaspace
    if total_flink <= 0:
        raise MemoryModelError(
            f"{process_mib}Mi leaves nothing for Flink after JVM overhead "
            f"({overhead // MIB}Mi) and metaspace ({metaspace // MIB}Mi)"
        )
    framework_heap = _size(config, "taskmanager.memory.framework.heap.size", "128m")
    framework_off_heap = _size(config, "taskmanager.memory.framework.off-heap.size", "128m")
    task_off_heap = _size(config, "taskmanager.memory.task.off-heap.size", "0")
    network = _clamped(config, "taskmanager.memory.network", total_flink, (0.1, "64m", "1g"))
    if "taskmanager.memory.managed.size" in config:
        managed = _size(config, "taskmanager.memory.managed.size", "0")
    else:
        managed = int(total_flink * _fraction(config, "taskmanager.memory.managed.fraction", 0.4))
    task_heap = total_flink - framework_heap - framework_off_heap - task_off_heap - network - managed
    if task_heap < 0:
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
    overhead = _clamped(config, "jobmanager.memory.jvm-overhead", process, (0.1, "192m", "1g"))
    metaspace = _size(config, "jobmanager.memory.jvm-metaspace.size", "256m")
    off_heap = _size(config, "jobmanager.memory.off-heap.size", "128m")
    heap = process - overhead - metaspace - off_heap
    if heap <= 0:
        raise MemoryModelError(
            f"{process_mib}Mi is too small: after JVM overhead ({overhead // MIB}Mi), metaspace "
            f"({metaspace // MIB}Mi) and off-heap ({off_heap // MIB}Mi) no heap is left"
        )
    return JobManagerMemory(process, overhead, metaspace, off_heap, heap)

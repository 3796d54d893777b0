"""Flink's memory model, derived the way Flink derives it from a process size.

Used to refuse, before anything is registered, a container too small for the
JobManager or TaskManager to start. The tests check these numbers against
Flink's own ``TaskExecutorProcessUtils`` and ``JobManagerProcessUtils``.
Only process-size-driven models are derived here: the library refuses the
keys that would size the process another way (see ``flink_config``).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from pulumi_flink.model.quantities import MIB, flink_memory_bytes
from pulumi_flink.model.text import whole_string
from pulumi_flink.model.versions import FlinkVersion

ConfigMap = Mapping[str, object]
UNBOUNDED = 2**63 - 1  # Flink's MemorySize.MAX_VALUE


class MemoryModelError(ValueError):
    """The process size is too small for the memory model (Flink would not start it)."""


class MemoryOptionError(ValueError):
    """A ``*.memory.*`` option Flink would refuse to read, named by ``key``."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _size(config: ConfigMap, key: str, default: str | int) -> int:
    try:
        return flink_memory_bytes(str(config.get(key, default)))
    except ValueError as exc:
        raise MemoryOptionError(key, str(exc)) from None


# Float.parseFloat after String.trim(): decimal digits with an optional exponent and type
# suffix, NaN and Infinity (hex floats, which no one writes for a fraction, are refused).
_JAVA_FLOAT = whole_string(
    r"[\x00-\x20]*[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)[\x00-\x20]*",
    re.ASCII,
)


def java_float(text: object) -> float:
    """A fraction option as Flink holds it: a Java float (0.4 is 0.4000000059604645)."""
    written = "true" if text is True else "false" if text is False else str(text)
    if not _JAVA_FLOAT(written):
        raise ValueError(f"{written!r} is not a number")
    value = float(written.strip("".join(map(chr, range(33)))).rstrip("fFdD"))
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:  # beyond a float's range: Float.parseFloat gives Infinity
        return math.copysign(math.inf, value)


def _fraction(config: ConfigMap, key: str, default: float) -> float:
    """A ``*.fraction`` option: Flink refuses one outside [0, 1) (``RangeFraction``)."""
    try:
        fraction = java_float(config.get(key, default))
    except ValueError as exc:
        raise MemoryOptionError(key, str(exc)) from None
    if not 0 <= fraction < 1:  # NaN too
        written = config.get(key)
        raise MemoryOptionError(key, f"{written!r} is not a fraction from 0 (included) to 1 (excluded)")
    return fraction


def fraction_of(base: int, fraction: float) -> int:
    """``MemorySize.multiply`` of a fraction option: Flink multiplies exactly by the Java
    float, and truncates to whole bytes."""
    return int(Decimal(base) * Decimal(repr(fraction)))


def _clamped(config: ConfigMap, prefix: str, base: int, defaults: tuple[float, str, str | int]) -> int:
    low = _size(config, f"{prefix}.min", defaults[1])
    high = _size(config, f"{prefix}.max", defaults[2])
    if low > high:
        raise MemoryModelError(f"{prefix}.min is above {prefix}.max")
    fraction = _fraction(config, f"{prefix}.fraction", defaults[0])
    return max(low, min(high, fraction_of(base, fraction)))


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
        managed = fraction_of(total_flink, _fraction(config, "taskmanager.memory.managed.fraction", 0.4))
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

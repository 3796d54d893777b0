"""The memory model against Flink's documented defaults (Flink's own classes check it in tests/flink)."""

from __future__ import annotations

import pytest

from pulumi_flink.memory import MemoryModelError, jobmanager_memory, taskmanager_memory
from pulumi_flink.quantities import (
    MIB,
    cpu_millicores,
    flink_memory_bytes,
    format_cpu,
    memory_mebibytes,
)
from pulumi_flink.versions import FlinkVersion

V120 = FlinkVersion.parse("1.20")


def mib(value: int) -> int:
    return value // MIB


def test_taskmanager_default_1728m_matches_flinks_documented_split() -> None:
    tm = taskmanager_memory(1728, {}, V120)
    assert mib(tm.jvm_overhead) == 192 and mib(tm.metaspace) == 256
    assert mib(tm.network) == 128 and mib(tm.managed) == 512
    assert tm.task_heap + tm.framework_heap + tm.framework_off_heap + tm.network + tm.managed == 1280 * MIB
    # Flink's float fractions give network and managed memory a few bytes more than
    # 10% and 40%: the task heap is 10 bytes short of the documented 384Mi.
    assert tm.task_heap == 384 * MIB - 10


def test_jobmanager_default_1600m_gives_flinks_1024m_heap() -> None:
    jm = jobmanager_memory(1600, {})
    assert mib(jm.heap) == 1024 and mib(jm.off_heap) == 128 and mib(jm.jvm_overhead) == 192


def test_overhead_is_clamped_to_max_one_gib() -> None:
    assert mib(taskmanager_memory(16384, {}, V120).jvm_overhead) == 1024


def test_network_memory_is_unbounded_from_flink_1_17_and_capped_at_1g_before() -> None:
    # FLINK-30469: 10% of a 32Gi TaskManager's Flink memory is above the old 1g cap.
    assert mib(taskmanager_memory(32768, {}, FlinkVersion.parse("1.16")).network) == 1024
    assert mib(taskmanager_memory(32768, {}, V120).network) > 3000


def test_fractions_are_java_floats_like_flinks() -> None:
    # 0.4 as a Java float is 0.4000000059604645: a few bytes more than the double.
    tm = taskmanager_memory(1728, {}, V120)
    total_flink = tm.process - tm.jvm_overhead - tm.metaspace
    assert tm.managed == int(total_flink * 0.4000000059604645) > int(total_flink * 0.4)


def test_min_above_max_is_refused() -> None:
    with pytest.raises(MemoryModelError, match="min is above"):
        taskmanager_memory(
            1728, {"taskmanager.memory.network.min": "2g", "taskmanager.memory.network.max": "1g"}, V120
        )


def test_overrides_change_the_split() -> None:
    tm = taskmanager_memory(1728, {"taskmanager.memory.managed.fraction": "0.1"}, V120)
    assert mib(tm.managed) == 128
    assert mib(taskmanager_memory(1728, {"taskmanager.memory.managed.size": "64m"}, V120).managed) == 64


@pytest.mark.parametrize("size", [256, 448, 600])
def test_too_small_taskmanager_is_refused(size: int) -> None:
    with pytest.raises(MemoryModelError):
        taskmanager_memory(size, {}, V120)


def test_too_small_jobmanager_is_refused() -> None:
    with pytest.raises(MemoryModelError):
        jobmanager_memory(576, {})
    assert jobmanager_memory(640, {}).heap > 0


@pytest.mark.parametrize(
    ("text", "mib_value"), [("2Gi", 2048), ("1600Mi", 1600), ("1073741824", 1024), ("2097152Ki", 2048)]
)
def test_memory_quantities(text: str, mib_value: int) -> None:
    assert memory_mebibytes(text) == mib_value


@pytest.mark.parametrize("text", ["2G", "1.1Gi", "0", "-1Mi", "lots", "2 Gi"])
def test_bad_memory_quantities(text: str) -> None:
    with pytest.raises(ValueError):
        memory_mebibytes(text)


@pytest.mark.parametrize(
    ("text", "millis", "formatted"),
    [("1", 1000, "1"), ("500m", 500, "500m"), ("2.5", 2500, "2500m"), ("0.1", 100, "100m")],
)
def test_cpu_quantities(text: str, millis: int, formatted: str) -> None:
    assert cpu_millicores(text) == millis
    assert format_cpu(millis) == formatted


@pytest.mark.parametrize(
    ("text", "value"), [("256m", 256 * MIB), ("1 gb", 1 << 30), ("64", 64), (7, 7), ("2 mebibytes", 2 * MIB)]
)
def test_flink_memory_sizes(text: str | int, value: int) -> None:
    assert flink_memory_bytes(text) == value


def test_bad_flink_memory_size() -> None:
    with pytest.raises(ValueError, match="not a Flink memory size"):
        flink_memory_bytes("1.5g")

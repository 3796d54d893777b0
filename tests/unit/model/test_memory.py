"""The memory model against Flink's documented defaults (Flink's own classes check it in tests/flink)."""

from __future__ import annotations

import pytest

from pulumi_flink.model.memory import MemoryModelError, jobmanager_memory, taskmanager_memory
from pulumi_flink.model.quantities import (
    MIB,
    cpu_millicores,
    flink_memory_bytes,
    format_cpu,
    memory_mebibytes,
)
from pulumi_flink.model.versions import FlinkVersion

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


# --- bounds: what Kubernetes would cap and Flink would refuse (tests/flink proves Flink's side) ---

LONG_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (str(LONG_MAX), LONG_MAX),
        ("8589934591g", 8589934591 << 30),
        (" \t64 m \n", 64 * MIB),  # Flink trims every character up to a space, as Java's trim()
        ("1 \u212a", 1 << 10),  # the Kelvin sign lower-cases to k, in Java as in Python
    ],
)
def test_flink_memory_sizes_up_to_a_java_long(text: str, value: int) -> None:
    assert flink_memory_bytes(text) == value


@pytest.mark.parametrize(
    "text", [str(LONG_MAX + 1), "8589934592g", "8388608t", f"{LONG_MAX}k", "-1", "1\u00a0m"]
)
def test_flink_memory_sizes_past_a_java_long_or_unreadable_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"more than Flink can hold|not a Flink memory size"):
        flink_memory_bytes(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("8Ei", "more than Kubernetes can hold"),
        ("9223372036854775808", "more than Kubernetes can hold"),
        # 29 digits: Decimal arithmetic (28) rounded this to exactly 1Mi.
        ("1.0000000000000000000000000001Mi", "not a whole number of mebibytes"),
        (" 1Gi", "not a Kubernetes quantity"),
        ("1Gi\n", "not a Kubernetes quantity"),
    ],
)
def test_memory_quantities_kubernetes_would_cap_or_refuse(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        memory_mebibytes(text)


def test_the_largest_memory_quantity_is_the_last_whole_mib_under_2_to_the_63() -> None:
    assert memory_mebibytes(f"{LONG_MAX >> 20}Mi") == LONG_MAX >> 20
    assert cpu_millicores(f"{LONG_MAX}m") == LONG_MAX
    with pytest.raises(ValueError, match="more than Kubernetes can hold"):
        cpu_millicores(f"{LONG_MAX + 1}m")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("taskmanager.memory.managed.fraction", 1.0),
        ("taskmanager.memory.managed.fraction", -0.1),
        ("taskmanager.memory.managed.fraction", "NaN"),
        ("taskmanager.memory.managed.fraction", "1e39"),
        ("taskmanager.memory.managed.fraction", "0.1_5"),  # Python reads it, Java does not
        ("taskmanager.memory.network.fraction", 1),
        ("taskmanager.memory.jvm-overhead.fraction", 1.5),
        ("jobmanager.memory.jvm-overhead.fraction", 1.0000001),
    ],
)
def test_fractions_outside_zero_to_one_are_refused_at_their_key(key: str, value: object) -> None:
    from pulumi_flink.validation import check_cluster
    from tests.support.rendering import make_spec

    problems = check_cluster(make_spec(flinkConfiguration={key: value}))
    assert [(p.path, "fraction" in p.fix) for p in problems] == [(f"flinkConfiguration.{key}", True)]


@pytest.mark.parametrize(("value", "fraction"), [(0.0, 0.0), ("0.5f", 0.5), (" 0.25 ", 0.25), ("1e-50", 0.0)])
def test_fractions_are_read_as_java_floats(value: object, fraction: float) -> None:
    from pulumi_flink.model.memory import java_float

    assert java_float(value) == fraction

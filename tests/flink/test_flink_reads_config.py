"""Flink reads the rendered configuration: proof by Flink's own classes.

For each Flink release and config file format the library renders, the rendered
files are loaded with ``GlobalConfiguration.loadConfiguration`` and the memory
model is resolved with the calls the start scripts make (``tests/java/ConfigCheck.java``).
Then:

* (a) both memory models resolve, and the process sizes are the spec's memory;
* (b) every key the library set comes back from Flink with the value meant;
* (c) over a sweep of process sizes and overrides, ``pulumi_flink.model.memory`` accepts and
  refuses the same sizes as Flink and derives the same components, to the byte.

All directories of one variant (the main spec and the whole sweep) are loaded by
ONE JVM, so each variant costs about a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.model.memory import MemoryModelError, jobmanager_memory, taskmanager_memory
from pulumi_flink.model.quantities import MIB
from pulumi_flink.model.versions import FlinkVersion
from pulumi_flink.render.flink_config import RenderedConfig, render_config
from pulumi_flink.spec import ConfigValue, FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import check_cluster
from tests.support.paths import ROOT
from tests.support.toolchain import Java, JavaBuild, flink_versions, run_config_check

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()

# (Flink release, spec.configFile, the file Flink must say it read)
VARIANTS = [
    pytest.param(V120, "auto", "flink-conf.yaml", id="1.20-flink-conf.yaml"),
    pytest.param(V120, "config.yaml", "config.yaml", id="1.20-config.yaml"),
    pytest.param(V23, "auto", "config.yaml", id="2.3-config.yaml"),
]

# A production-like spec: every value type a user writes in flinkConfiguration.
USER_CONFIGURATION: dict[str, ConfigValue] = {
    "execution.checkpointing.interval": "30 s",
    "execution.checkpointing.min-pause": "10 s",
    "execution.checkpointing.dir": "s3://analytics-checkpoints/flink",
    "state.backend.type": "rocksdb",
    "state.backend.incremental": True,
    "restart-strategy.type": "exponential-delay",
    "taskmanager.memory.managed.fraction": 0.3,
    "heartbeat.timeout": 60000,
    "web.cancel.enable": False,
    # The Prometheus reporter's keys are the library's own now (metrics.*); they are rendered.
}


def main_spec(version: str, config_file: str) -> FlinkClusterSpec:
    return FlinkClusterSpec.parse({
        "name": "analytics",
        "flinkVersion": version,
        "namespace": "flink",
        "configFile": config_file,
        "jobManager": {"cpu": "1", "memory": "1600Mi"},
        "taskManager": {"cpu": "2", "memory": "4Gi", "replicas": 3, "slots": 4},
        "parallelism": 4,
        "flinkConfiguration": USER_CONFIGURATION,
        "jvmOptions": ["-XX:+ExitOnOutOfMemoryError"],
        # HA keys of every type: strings, the quorum list, millisecond numbers, a boolean.
        "highAvailability": {
            "type": "zookeeper",
            "storageDir": "s3://analytics-state/flink",
            "zookeeper": {"existingQuorum": ",".join(f"zk-{i}.zk.infra.svc:2181" for i in range(3))},
        },
    })


# The sweep: process sizes (MiB) for both processes, under several sets of overrides.
SWEEP_SIZES = (*range(256, 1201, 16), 1600, 1728, 2048, 4096, 10240, 16384, 32768)
SWEEP_OVERRIDES: dict[str, dict[str, ConfigValue]] = {
    "defaults": {},
    "managed-fraction-0.1": {
        "taskmanager.memory.managed.fraction": 0.1,
        "jobmanager.memory.off-heap.size": "64m",
    },
    "metaspace-128m": {
        "taskmanager.memory.jvm-metaspace.size": "128m",
        "jobmanager.memory.jvm-metaspace.size": "128m",
    },
    "overhead-and-network": {
        "taskmanager.memory.jvm-overhead.fraction": 0.2,
        "taskmanager.memory.jvm-overhead.min": "128m",
        "taskmanager.memory.network.fraction": 0.15,
        "taskmanager.memory.network.min": "32m",
        "jobmanager.memory.jvm-overhead.fraction": 0.25,
        "jobmanager.memory.jvm-overhead.max": "300m",
    },
    # Flink refuses this from 16Gi on (network memory is unbounded since 1.17).
    "managed-fraction-0.9": {"taskmanager.memory.managed.fraction": 0.9},
    "managed-size-and-framework": {
        "taskmanager.memory.managed.size": "96m",
        "taskmanager.memory.task.off-heap.size": "32m",
        "taskmanager.memory.framework.heap.size": "64m",
    },
}


@dataclass(frozen=True)
class SweepPoint:
    overrides: str
    size_mib: int
    configuration: Mapping[str, ConfigValue]


@dataclass(frozen=True)
class Checked:
    """One variant: the main spec, its render, and Flink's view of it and of the sweep."""

    spec: FlinkClusterSpec
    rendered: RenderedConfig
    flink: dict[str, Any]
    sweep: list[tuple[SweepPoint, dict[str, Any]]]


def write_conf_dir(rendered: RenderedConfig, directory: Path) -> Path:
    directory.mkdir(parents=True)
    for name, text in rendered.files.items():
        (directory / name).write_text(text)
    return directory


@pytest.fixture(scope="module")
def checked(
    java: Java, java_build: Callable[[str], JavaBuild], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], Checked]:
    results: dict[tuple[str, str], Checked] = {}

    def get(version: str, config_file: str) -> Checked:
        if (version, config_file) in results:
            return results[(version, config_file)]
        work = tmp_path_factory.mktemp(f"conf-{version}-{config_file}")
        spec = main_spec(version, config_file)
        rendered = render_config(spec)
        dirs = [write_conf_dir(rendered, work / "main")]
        points = []
        for label, overrides in SWEEP_OVERRIDES.items():
            for size in SWEEP_SIZES:
                sweep_spec = FlinkClusterSpec.parse({
                    "name": "sweep", "flinkVersion": version, "configFile": config_file,
                    "jobManager": {"memory": f"{size}Mi"}, "taskManager": {"memory": f"{size}Mi"},
                    "flinkConfiguration": overrides,
                })
                points.append(SweepPoint(label, size, sweep_spec.flink_configuration))
                dirs.append(write_conf_dir(render_config(sweep_spec), work / f"{label}-{size}"))
        out = run_config_check(java, java_build(version), dirs, work)
        sweep = list(zip(points, out[1:], strict=True))
        results[(version, config_file)] = Checked(spec, rendered, out[0], sweep)
        return results[(version, config_file)]

    return get


# --- (a) the memory model resolves, at the spec's sizes -----------------------------------

@pytest.mark.parametrize(("version", "config_file", "read_file"), VARIANTS)
def test_memory_model_resolves_at_the_spec_sizes(
    checked: Callable[[str, str], Checked], version: str, config_file: str, read_file: str
) -> None:
    result = checked(version, config_file)
    assert not check_cluster(result.spec), "the spec should be one the library accepts"
    flink = result.flink
    assert "loadError" not in flink, flink["loadError"]
    assert flink["readFile"] == read_file == result.rendered.file_name
    assert "taskmanagerError" not in flink, flink["taskmanagerError"]
    assert "jobmanagerError" not in flink, flink["jobmanagerError"]
    assert flink["taskmanager"]["process"] == result.spec.task_manager.memory_mib * MIB
    assert flink["jobmanager"]["process"] == result.spec.job_manager.memory_mib * MIB


# --- (b) every rendered key comes back with the meant value -------------------------------

def normalised(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def same_value(meant: ConfigValue, read: str) -> bool:
    if normalised(meant) == normalised(read):
        return True
    try:  # 0.30 and 0.3, 60000 and 60000.0: the same number
        return Decimal(normalised(meant)) == Decimal(normalised(read))
    except InvalidOperation:
        return False


@pytest.mark.parametrize(("version", "config_file", "read_file"), VARIANTS)
def test_flink_reads_every_rendered_key_as_meant(
    checked: Callable[[str, str], Checked], version: str, config_file: str, read_file: str
) -> None:
    result = checked(version, config_file)
    read = result.flink["config"]
    assert set(result.rendered.values) <= set(read), (
        f"keys Flink did not read: {sorted(set(result.rendered.values) - set(read))}"
    )
    wrong = {
        key: (meant, read[key])
        for key, meant in result.rendered.values.items()
        if not same_value(meant, read[key])
    }
    assert not wrong, f"rendered value -> value Flink read: {wrong}"
    assert set(read) == set(result.rendered.values), (
        f"Flink read keys the library did not render: {sorted(set(read) - set(result.rendered.values))}"
    )


# --- (c) our memory model against Flink's, over a sweep -------------------------------------
#
# Flink's model (through ConfigCheck) against the library's (pulumi_flink.model.memory),
# which refuses too-small containers before anything is registered.

TM_FIELDS = {  # library field -> Flink field
    "process": "process", "jvm_overhead": "jvmOverhead", "metaspace": "metaspace",
    "framework_heap": "frameworkHeap", "framework_off_heap": "frameworkOffHeap",
    "task_off_heap": "taskOffHeap", "network": "network", "managed": "managed",
    "task_heap": "taskHeap",
}
JM_FIELDS = {
    "process": "process", "jvm_overhead": "jvmOverhead", "metaspace": "metaspace",
    "off_heap": "offHeap", "heap": "heap",
}


class Refused(ValueError):
    """A model refuses the process size (Flink would not start the process)."""


def library_model(process: str) -> Callable[[int, Mapping[str, object], FlinkVersion], dict[str, int]]:
    fields = TM_FIELDS if process == "taskmanager" else JM_FIELDS

    def derive(size_mib: int, config: Mapping[str, object], version: FlinkVersion) -> dict[str, int]:
        try:
            if process == "taskmanager":
                sizes: object = taskmanager_memory(size_mib, config, version)
            else:
                sizes = jobmanager_memory(size_mib, config)
        except MemoryModelError as exc:
            raise Refused(str(exc)) from None
        return {flink_field: getattr(sizes, field) for field, flink_field in fields.items()}

    return derive


LIBRARY = {"taskmanager": library_model("taskmanager"), "jobmanager": library_model("jobmanager")}


@dataclass(frozen=True)
class Comparison:
    verdicts: list[str]
    """Sizes one model accepts and Flink refuses, or the other way round."""
    sizes: list[str]
    """Component sizes that differ where both accept, with the difference in bytes."""

    def report(self, what: str, limit: int = 30) -> str:
        lines = [f"{what}: {len(self.verdicts)} accept/refuse disagreements, "
                 f"{len(self.sizes)} differing component sizes"]
        lines += self.verdicts[:limit] + self.sizes[: max(0, limit - len(self.verdicts))]
        return "\n".join(lines)


def compare(models: Mapping[str, Callable[[int, Mapping[str, object], FlinkVersion], dict[str, int]]],
            version: FlinkVersion, sweep: list[tuple[SweepPoint, dict[str, Any]]]) -> Comparison:
    verdicts: list[str] = []
    sizes: list[str] = []
    for point, flink in sweep:
        assert "loadError" not in flink, flink["loadError"]
        for process, model in models.items():
            where = f"{process} {point.size_mib}Mi [{point.overrides}]"
            try:
                ours: dict[str, int] | None = model(point.size_mib, point.configuration, version)
                why = ""
            except Refused as exc:
                ours, why = None, str(exc)
            theirs = flink.get(process)
            if (ours is None) != (theirs is None):
                model_says = f"refuses ({why})" if ours is None else "accepts"
                flink_says = f"refuses ({flink[process + 'Error']})" if theirs is None else "accepts"
                verdicts.append(f"{where}: model {model_says}, Flink {flink_says}")
            elif ours is not None and theirs is not None:
                sizes += [
                    f"{where}: {field} model {value} Flink {theirs[field]} ({value - theirs[field]:+d} B)"
                    for field, value in ours.items() if value != theirs[field]
                ]
    return Comparison(verdicts, sizes)


@pytest.mark.parametrize(("version", "config_file", "read_file"), VARIANTS)
def test_library_model_accepts_and_refuses_like_flink(
    checked: Callable[[str, str], Checked], version: str, config_file: str, read_file: str
) -> None:
    result = checked(version, config_file)
    comparison = compare(LIBRARY, result.spec.version, result.sweep)
    assert not comparison.verdicts, comparison.report("pulumi_flink.model.memory vs Flink")


@pytest.mark.parametrize(("version", "config_file", "read_file"), VARIANTS)
def test_library_model_derives_the_sizes_flink_derives(
    checked: Callable[[str, str], Checked], version: str, config_file: str, read_file: str
) -> None:
    result = checked(version, config_file)
    comparison = compare(LIBRARY, result.spec.version, result.sweep)
    assert not comparison.sizes, comparison.report("pulumi_flink.model.memory vs Flink")


# --- (d) the environment stacks: every cluster's render, read by Flink ----------------------

ENV_STACKS = ("dev", "staging", "prod")
STACKS = ROOT / "stacks"


def env_clusters() -> list[FlinkClusterSpec]:
    from pulumi_flink.offline.cli import load_stack_file
    from pulumi_flink.program import parse_stack_config

    return [
        spec
        for stack in ENV_STACKS
        for spec in parse_stack_config(load_stack_file(STACKS / f"Pulumi.{stack}.yaml")).clusters
    ]


def test_flink_reads_every_env_stack_cluster(
    java: Java, java_build: Callable[[str], JavaBuild], tmp_path: Path
) -> None:
    specs = env_clusters()
    assert {s.version.minor_key for s in specs} == {(1, 20)}, "the check below loads 1.20 only"
    rendered = [render_config(spec, ha_cluster_id=f"{spec.name}-0123abcd") for spec in specs]
    pairs = zip(specs, rendered, strict=True)
    dirs = [write_conf_dir(r, tmp_path / f"{s.namespace}-{s.name}") for s, r in pairs]
    results = run_config_check(java, java_build(V120), dirs, tmp_path)
    for spec, config, flink in zip(specs, rendered, results, strict=True):
        assert not {"loadError", "taskmanagerError", "jobmanagerError"} & set(flink), (spec.name, flink)
        assert flink["taskmanager"]["process"] == spec.task_manager.memory_mib * MIB, spec.name
        assert flink["jobmanager"]["process"] == spec.job_manager.memory_mib * MIB, spec.name
        wrong = {k: (v, flink["config"].get(k)) for k, v in config.values.items()
                 if k not in flink["config"] or not same_value(v, flink["config"][k])}
        assert not wrong, (spec.name, wrong)


# --- (e) the bounds: what Flink refuses to read, the library refuses --------------------------
#
# Sizes past a Java long (MemorySize), fractions outside [0, 1) (RangeFraction and the managed
# fraction), and process sizes at 2^63 bytes: each case is rendered (or, where the library
# refuses the spec itself, written as Flink would get it) and loaded by Flink, and the
# library must refuse exactly the cases Flink refuses.

LONG_MAX = 2**63 - 1
BOUND_OPTIONS: list[dict[str, ConfigValue]] = [
    *({"taskmanager.memory.managed.fraction": f} for f in (-0.1, 0.0, 0.5, 0.99, 1.0, 1.5, "NaN", "1e39")),
    *({"taskmanager.memory.network.fraction": f} for f in (-0.01, 0.0, 0.999, 1.0, 2)),
    *({"taskmanager.memory.jvm-overhead.fraction": f} for f in (-1, 0.0, 0.999999, 1.0)),
    *({"jobmanager.memory.jvm-overhead.fraction": f} for f in (0.0, 0.5, 1.0, 1.0000001)),
    {"taskmanager.memory.managed.fraction": 1.0, "taskmanager.memory.managed.size": "64m"},
    *({"taskmanager.memory.managed.size": s} for s in (str(LONG_MAX), str(LONG_MAX + 1), "8589934591g",
                                                        "8589934592g", "8388608t", "-1")),
    *({"jobmanager.memory.off-heap.size": s} for s in ("8388607t", "8388608t", f"{LONG_MAX}b",
                                                       f"{LONG_MAX + 1}b", "99999999999999999999")),
    *({"taskmanager.memory.jvm-metaspace.size": s} for s in ("9223372036854775807b", "9223372036854775808")),
]
# Process sizes (MiB, as rendered): the largest whole MiB under 2^63 bytes, and 2^63 bytes.
BOUND_PROCESS_MIB = ((LONG_MAX >> 20), (LONG_MAX >> 20) + 1)


def library_refuses(data: dict[str, Any]) -> str | None:
    """Why the library refuses a spec (parse or cross-field memory checks), or None."""
    try:
        spec = FlinkClusterSpec.parse(data)
    except FlinkSpecError as exc:
        return str(exc)
    memory = [p for p in check_cluster(spec) if "memory" in p.path]
    return "; ".join(map(str, memory)) or None


def with_process_size(rendered: RenderedConfig, mib: int) -> dict[str, str]:
    """The rendered files with both process sizes replaced, as if the spec had said ``mib``."""
    pattern = re.compile(r"^((?:taskmanager|jobmanager)\.memory\.process\.size): .*$", re.MULTILINE)
    return {name: pattern.sub(rf"\1: {mib}m", text) for name, text in rendered.files.items()}


@pytest.mark.parametrize(("version", "config_file", "read_file"), VARIANTS)
def test_library_refuses_exactly_the_bounds_flink_refuses(
    java: Java, java_build: Callable[[str], JavaBuild], tmp_path: Path,
    version: str, config_file: str, read_file: str,
) -> None:
    base = {"name": "bounds", "flinkVersion": version, "configFile": config_file}
    cases: list[tuple[str, str | None, Path]] = []
    for index, options in enumerate(BOUND_OPTIONS):
        data = {**base, "flinkConfiguration": options}
        rendered = render_config(FlinkClusterSpec.parse(data))
        cases.append((f"{options}", library_refuses(data), write_conf_dir(rendered, tmp_path / f"o{index}")))
    for mib in BOUND_PROCESS_MIB:
        data = {**base, "jobManager": {"memory": f"{mib}Mi"}, "taskManager": {"memory": f"{mib}Mi"}}
        files = with_process_size(render_config(FlinkClusterSpec.parse(base)), mib)
        directory = tmp_path / f"p{mib}"
        directory.mkdir()
        for name, text in files.items():
            (directory / name).write_text(text)
        cases.append((f"process size {mib}Mi", library_refuses(data), directory))
    results = run_config_check(java, java_build(version), [d for *_, d in cases], tmp_path)
    disagreements = []
    flink_refusals = 0
    for (case, ours, _), flink in zip(cases, results, strict=True):
        errors = ("loadError", "taskmanagerError", "jobmanagerError")
        theirs = " ".join(flink.get(k, "") for k in errors).strip()
        flink_refusals += bool(theirs)
        if bool(ours) != bool(theirs):
            disagreements.append(f"{case}: library {'refuses: ' + ours if ours else 'accepts'}; "
                                 f"Flink {'refuses: ' + theirs if theirs else 'accepts'}")
    assert not disagreements, "\n".join(disagreements)
    assert 0 < flink_refusals < len(cases), "the cases must straddle the bounds"

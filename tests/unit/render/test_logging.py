"""Logs: stdout by default; ``logging.toFile`` adds log4j's rolling file appender on the file
Flink's start scripts name, in /opt/flink/log on a bounded emptyDir or a claim (a directory per
pod). That real processes write the file is proven in tests/flink/test_metrics.py."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from pulumi_flink.model.layout import LOG_DIR, LOG_POD_NAME_ENV
from pulumi_flink.render.flink_config import (
    LOG4J_CLI_FILE,
    LOG4J_CONSOLE,
    LOG4J_CONSOLE_FILE,
    render_config,
)
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.kubernetes_schema import KUBERNETES_VERSION
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

Obj = dict[str, Any]
JAR = "/opt/flink/usrlib/job.jar"


def properties(text: str) -> dict[str, str]:
    """A log4j2 properties file as keys and values (what log4j reads)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def flink_pods(overrides: dict[str, Any]) -> dict[str, Obj]:
    """Pod specs by workload name, and the native TaskManager pod template as '<name>-taskmanager'."""
    pods = {}
    for (kind, name), obj in objects_by_kind_name(render_specs(make_spec(**overrides))).items():
        if kind in ("Deployment", "Job", "StatefulSet"):
            pods[name] = obj["spec"]["template"]["spec"]
        elif kind == "ConfigMap" and "taskmanager-pod-template.yaml" in obj["data"]:
            template = yaml.safe_load(obj["data"]["taskmanager-pod-template.yaml"])
            pods["analytics-taskmanager"] = template["spec"]
    return pods


def log_mount(pod: Obj) -> tuple[Obj, Obj] | None:
    """(volume, mount) at /opt/flink/log of the pod's first container, if any."""
    container = pod["containers"][0]
    mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"] == LOG_DIR]
    if not mounts:
        return None
    (mount,) = mounts
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    return volume, mount


def test_stdout_only_by_default() -> None:
    spec = make_spec()
    assert not spec.logging.to_file
    files = render_config(spec).files
    assert files[LOG4J_CONSOLE_FILE] == files[LOG4J_CLI_FILE] == LOG4J_CONSOLE
    config = properties(files[LOG4J_CONSOLE_FILE])
    references = [key for key in config if key.startswith("rootLogger.appenderRef")]
    assert references == ["rootLogger.appenderRef.console.ref"]
    for pod in flink_pods({}).values():
        found = log_mount(pod)
        if found is not None:  # the read-only root filesystem's scratch emptyDir, unbounded
            assert "sizeLimit" not in found[0].get("emptyDir", {})


@pytest.mark.parametrize("version", ["1.20", "2.3"])
def test_to_file_adds_a_rolling_file_appender_on_flinks_log_file(version: str) -> None:
    files = render_config(make_spec(flinkVersion=version, logging={"toFile": True})).files
    config = properties(files[LOG4J_CONSOLE_FILE])
    assert config["rootLogger.appenderRef.console.ref"] == "ConsoleAppender"  # stdout stays
    appender = config["rootLogger.appenderRef.file.ref"]
    assert config["appender.file.name"] == appender
    assert config["appender.file.type"] == "RollingFile"
    assert config["appender.file.fileName"] == "${sys:log.file}"  # what flink-console.sh sets
    assert config["appender.file.filePattern"] == "${sys:log.file}.%i"
    assert config["appender.file.policies.size.type"] == "SizeBasedTriggeringPolicy"
    assert config["appender.file.policies.size.size"] == "100MB"
    assert config["appender.file.policies.startup.type"] == "OnStartupTriggeringPolicy"
    assert config["appender.file.strategy.type"] == "DefaultRolloverStrategy"
    assert config["appender.file.strategy.max"] == "10"
    assert config["appender.file.layout.pattern"] == config["appender.console.layout.pattern"]
    assert files[LOG4J_CLI_FILE] == LOG4J_CONSOLE  # the CLI keeps logging to the console


@pytest.mark.parametrize("native", [False, True])
def test_to_file_bounds_the_emptydir_of_every_flink_process(native: bool) -> None:
    overrides: dict[str, Any] = {"native": native, "logging": {"toFile": True}}
    pods = flink_pods(overrides)
    expected = {"analytics-jobmanager" if not native else "analytics", "analytics-taskmanager"}
    for name in expected:
        found = log_mount(pods[name])
        assert found is not None, name
        volume, mount = found
        assert volume["emptyDir"] == {"sizeLimit": "1200Mi"}  # (10 rolled + current + 1) x 100 MiB
        assert mount == {"name": volume["name"], "mountPath": LOG_DIR}
        assert [v["name"] for v in pods[name]["volumes"]].count(volume["name"]) == 1
    for obj in render_specs(make_spec(**overrides)).kubernetes_objects():
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("size", "files", "limit"),
    [("10MB", 3, "50Mi"), ("1GB", 2, "4096Mi"), ("512KB", 10, "6Mi"), ("100KB", 1, "1Mi")],
)
def test_sizes_are_configurable(size: str, files: int, limit: str) -> None:
    overrides = {"logging": {"toFile": True, "maxFileSize": size, "maxFiles": files}}
    config = properties(render_config(make_spec(**overrides)).files[LOG4J_CONSOLE_FILE])
    assert config["appender.file.policies.size.size"] == size
    assert config["appender.file.strategy.max"] == str(files)
    found = log_mount(flink_pods(overrides)["analytics-taskmanager"])
    assert found is not None and found[0]["emptyDir"]["sizeLimit"] == limit


@pytest.mark.parametrize("native", [False, True])
def test_a_claim_gives_each_pod_its_own_directory(native: bool) -> None:
    overrides: dict[str, Any] = {"native": native, "logging": {"toFile": True, "volumeClaim": "flink-logs"}}
    pods = flink_pods(overrides)
    for name in ("analytics" if native else "analytics-jobmanager", "analytics-taskmanager"):
        found = log_mount(pods[name])
        assert found is not None
        volume, mount = found
        assert volume == {"name": volume["name"], "persistentVolumeClaim": {"claimName": "flink-logs"}}
        assert mount["subPathExpr"] == f"$({LOG_POD_NAME_ENV})"
        env = {e["name"]: e for e in pods[name]["containers"][0]["env"]}
        assert env[LOG_POD_NAME_ENV]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    objects = render_specs(make_spec(**overrides)).kubernetes_objects()
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_per_job_client_and_the_stores_are_untouched() -> None:
    overrides = {
        "mode": "per-job", "jobs": [{"name": "orders", "jar": JAR}],
        "highAvailability": {"type": "zookeeper", "storageDir": "hdfs://nn:8020/f"},
        "logging": {"toFile": True, "volumeClaim": "flink-logs"},
    }
    pods = flink_pods(overrides)
    client = pods["analytics-orders-submit"]
    assert LOG_POD_NAME_ENV not in {e["name"] for e in client["containers"][0].get("env", [])}
    found = log_mount(client)
    assert found is None or "persistentVolumeClaim" not in found[0]
    assert log_mount(pods["analytics-zookeeper"]) is None
    for name in ("analytics-orders-jobmanager", "analytics-orders-taskmanager"):
        found = log_mount(pods[name])
        assert found is not None and "persistentVolumeClaim" in found[0]


def problem_paths(**overrides: Any) -> list[str]:
    with pytest.raises(FlinkSpecError) as caught:
        render_specs(make_spec(**overrides))
    return [p.path for p in caught.value.problems]


def test_file_options_without_to_file_are_refused() -> None:
    assert problem_paths(logging={"volumeClaim": "x", "maxFileSize": "1MB", "maxFiles": 2}) == [
        "logging.volumeClaim", "logging.maxFileSize", "logging.maxFiles",
    ]


@pytest.mark.parametrize(
    ("logging", "path"),
    [
        ({"maxFileSize": "100"}, "logging.maxFileSize"),
        ({"maxFileSize": "100mb"}, "logging.maxFileSize"),
        ({"maxFileSize": "0MB"}, "logging.maxFileSize"),
        ({"maxFiles": 0}, "logging.maxFiles"),
        ({"volumeClaim": "Not_A_Name"}, "logging.volumeClaim"),
    ],
)
def test_bad_values_are_refused(logging: dict[str, Any], path: str) -> None:
    with pytest.raises(FlinkSpecError) as caught:
        make_spec(logging={"toFile": True, **logging})
    (problem,) = caught.value.problems
    assert problem.path == path and problem.fix


def test_env_log_dir_elsewhere_is_refused_with_to_file() -> None:
    assert problem_paths(logging={"toFile": True}, flinkConfiguration={"env.log.dir": "/tmp/logs"}) == [
        "flinkConfiguration.env.log.dir"
    ]
    render_specs(make_spec(logging={"toFile": True}, flinkConfiguration={"env.log.dir": LOG_DIR + "/"}))

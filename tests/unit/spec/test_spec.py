"""The typed spec: defaults, both key styles, and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_flink.resources.meta import ensure_valid
from pulumi_flink.spec import FlinkClusterSpec, TaskManagerSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import check_cluster
from tests.support.rendering import make_spec


def problems_of(data: dict[str, Any]) -> FlinkSpecError:
    base = {"name": "analytics", "flinkVersion": "1.20"}
    with pytest.raises(FlinkSpecError) as info:
        spec = FlinkClusterSpec.parse({**base, **data})
        ensure_valid(spec)
    return info.value


def only_problem(data: dict[str, Any]) -> tuple[str, str, str]:
    error = problems_of(data)
    assert len(error.problems) == 1, error
    problem = error.problems[0]
    return problem.path, problem.message, problem.fix


def test_defaults_are_flinks_own() -> None:
    spec = FlinkClusterSpec(name="analytics", flink_version="1.20")
    assert spec.namespace == "default"
    assert spec.job_manager.memory_mib == 1600
    assert spec.task_manager.memory_mib == 1728
    assert (spec.task_manager.replicas, spec.task_manager.slots, spec.parallelism) == (1, 1, 1)
    assert spec.ports.jobmanager_ports == {"rpc": 6123, "blob": 6124, "rest": 8081}
    assert spec.rest.exposure == "ClusterIP"
    assert spec.resolved_image == "flink:1.20-java17"
    assert spec.resolved_config_file == "flink-conf.yaml"


@pytest.mark.parametrize(
    ("version", "image", "config_file"),
    [
        ("1.14", "flink:1.14-java11", "flink-conf.yaml"),
        ("1.17.2", "flink:1.17.2-java11", "flink-conf.yaml"),
        ("1.18", "flink:1.18-java17", "flink-conf.yaml"),
        ("2.0", "flink:2.0-java17", "config.yaml"),
        ("2.3.0", "flink:2.3.0-java17", "config.yaml"),
    ],
)
def test_version_decides_image_and_config_file(version: str, image: str, config_file: str) -> None:
    spec = make_spec(flinkVersion=version)
    assert spec.resolved_image == image
    assert spec.resolved_config_file == config_file


def test_camel_case_and_snake_case_give_the_same_spec() -> None:
    camel = FlinkClusterSpec.parse(
        {
            "name": "a",
            "flinkVersion": "2.3",
            "taskManager": {"replicas": 3, "slots": 2},
            "imagePullPolicy": "Always",
        }
    )
    snake = FlinkClusterSpec(
        name="a",
        flink_version="2.3",
        task_manager=TaskManagerSpec(replicas=3, slots=2),
        image_pull_policy="Always",
    )
    assert camel == snake
    assert camel.total_slots == 6


def test_flink_version_is_required_with_a_fix() -> None:
    with pytest.raises(FlinkSpecError) as info:
        FlinkClusterSpec.parse({"name": "a"})
    (problem,) = info.value.problems
    assert problem.path == "flinkVersion"
    assert "no default" in problem.fix


@pytest.mark.parametrize(
    ("data", "path", "fix_words"),
    [
        ({"name": "Analytics"}, "name", "e.g. 'analytics'"),
        ({"name": "9lives"}, "name", "starting with a letter"),
        ({"name": "a" * 41}, "name", "at most 40"),
        ({"namespace": "Flink_NS"}, "namespace", "lowercase"),
        ({"flinkVersion": "1.13"}, "flinkVersion", "supported release"),
        ({"flinkVersion": "3.0"}, "flinkVersion", "supported release"),
        ({"flinkVersion": "latest"}, "flinkVersion", "supported release"),
        ({"taskManager": {"replicas": 0}}, "taskManager.replicas", "raise it"),
        ({"taskManager": {"slots": -1}}, "taskManager.slots", "raise it"),
        ({"jobManager": {"replicas": 0}}, "jobManager.replicas", "raise it"),
        ({"parallelism": 0}, "parallelism", "raise it"),
        ({"taskManager": {"memory": "2GB"}}, "taskManager.memory", "'2Gi'"),
        ({"taskManager": {"memory": "1.1Gi"}}, "taskManager.memory", "whole number of mebibytes"),
        ({"jobManager": {"memory": "-1Gi"}}, "jobManager.memory", "positive memory quantity"),
        ({"jobManager": {"cpu": "0"}}, "jobManager.cpu", "positive CPU quantity"),
        ({"jobManager": {"cpu": "one"}}, "jobManager.cpu", "positive CPU quantity"),
        ({"taskManager": {"cpu": "0.0001"}}, "taskManager.cpu", "positive CPU quantity"),
        ({"taskManager": {"replicas": "3"}}, "taskManager.replicas", "whole number"),
        ({"taskManager": {"replica": 3}}, "taskManager.replica", "spelling"),
        ({"rest": {"exposure": "Ingress"}}, "rest.exposure", "one of the values"),
        ({"rest": {"exposure": "NodePort", "nodePort": 80}}, "rest.nodePort", "raise it"),
        ({"ports": {"rest": 70000}}, "ports.rest", "lower it"),
        ({"imagePullPolicy": "always"}, "imagePullPolicy", "one of the values"),
        ({"image": "flink 1.20"}, "image", "flink:1.20-java17"),
        ({"labels": {"team": "data platform"}}, "labels", "at most 63"),
        ({"labels": {"bad key!": "x"}}, "labels", "'prefix/name'"),
        ({"flinkConfiguration": {"state backend": "x"}}, "flinkConfiguration", "dotted key"),
        ({"flinkConfiguration": {"a.b": "x\ny"}}, "flinkConfiguration", "one line"),
        ({"flinkConfiguration": {"a.b": ["x"]}}, "flinkConfiguration.a.b", ""),
        ({"pod": {"env": [{"value": "x"}]}}, "pod.env[0].name", "set it"),
        ({"pod": {"volumeMounts": [{"name": "data"}]}}, "pod.volumeMounts[0].mountPath", "set it"),
        ({"pod": {"volumes": [{"name": "a", "emptyDir": {}}, {"name": "a", "emptyDir": {}}]}}, "pod.volumes",
         "its own name"),
        ({"pod": {"imagePullSecrets": ["Reg_Cred"]}}, "pod.imagePullSecrets", "lowercase"),
        ({"pod": {"serviceAccountName": "Flink"}}, "pod.serviceAccountName", "lowercase"),
    ],
)
def test_bad_field_names_its_path_and_the_fix(data: dict[str, Any], path: str, fix_words: str) -> None:
    error = problems_of(data)
    assert any(p.path.startswith(path) for p in error.problems), error
    problem = next(p for p in error.problems if p.path.startswith(path))
    assert fix_words in problem.fix + problem.message, problem
    assert path in str(error)


@pytest.mark.parametrize(
    ("data", "path", "fix_words"),
    [
        (
            {"flinkConfiguration": {"taskmanager.numberOfTaskSlots": 4}},
            "flinkConfiguration.taskmanager.numberOfTaskSlots",
            "taskManager.slots",
        ),
        (
            {"flinkConfiguration": {"taskmanager.memory.process.size": "4g"}},
            "flinkConfiguration.taskmanager.memory.process.size",
            "taskManager.memory",
        ),
        (
            {"flinkConfiguration": {"env.java.opts.all": "-Xss4m"}},
            "flinkConfiguration.env.java.opts.all",
            "jvmOptions",
        ),
        (
            {"flinkConfiguration": {"jobmanager.rpc.address": "x"}},
            "flinkConfiguration.jobmanager.rpc.address",
            "the library sets it",
        ),
        ({"taskManager": {"memory": "512Mi"}}, "taskManager.memory", "raise taskManager.memory"),
        ({"jobManager": {"memory": "400Mi"}}, "jobManager.memory", "raise jobManager.memory"),
        ({"flinkVersion": "1.18", "configFile": "config.yaml"}, "configFile", "1.19 or later"),
        ({"flinkVersion": "2.1", "configFile": "flink-conf.yaml"}, "configFile", "'config.yaml'"),
        ({"rest": {"exposure": "LoadBalancer", "nodePort": 30080}}, "rest.nodePort", "NodePort"),
        ({"ports": {"rest": 6123}}, "ports.rest", "its own number"),
        ({"ports": {"taskManagerData": 6122}}, "ports.taskManagerData", "its own number"),
        ({"labels": {"app.kubernetes.io/instance": "x"}}, "labels.app.kubernetes.io/instance", "another key"),
        (
            {"pod": {"volumes": [{"name": "flink-config", "emptyDir": {}}]}},
            "pod.volumes[0].name",
            "another name",
        ),
        (
            {
                "pod": {
                    "volumes": [{"name": "d", "emptyDir": {}}],
                    "volumeMounts": [{"name": "d", "mountPath": "/opt/flink/conf/extra"}],
                }
            },
            "pod.volumeMounts[0].mountPath",
            "mount elsewhere",
        ),
        (
            {"pod": {"env": [{"name": "FLINK_PROPERTIES", "value": "a: b"}]}},
            "pod.env[0].name",
            "flinkConfiguration",
        ),
        (
            {"pod": {"env": [{"name": "TASK_MANAGER_NUMBER_OF_TASK_SLOTS", "value": "4"}]}},
            "pod.env[0].name",
            "taskManager.slots",
        ),
        (
            {"pod": {"volumeMounts": [{"name": "missing", "mountPath": "/data"}]}},
            "pod.volumeMounts[0].name",
            "add that volume",
        ),
        (
            {"flinkConfiguration": {"taskmanager.memory.jvm-metaspace.size": "lots"}},
            "flinkConfiguration.taskmanager.memory.jvm-metaspace.size",
            "memory size",
        ),
    ],
)
def test_cross_field_problems_name_path_and_fix(data: dict[str, Any], path: str, fix_words: str) -> None:
    assert only_problem(data)[0] == path
    assert fix_words in only_problem(data)[2]


def test_every_problem_is_reported_at_once() -> None:
    error = problems_of({"name": "Bad", "taskManager": {"replicas": 0, "memory": "1.1Gi"}, "extra": 1})
    assert set(error.paths) == {"name", "taskManager.replicas", "taskManager.memory", "extra"}
    assert str(error).startswith("invalid Flink spec (4 problems):")


def test_python_constructor_raises_the_library_error_not_pydantics() -> None:
    with pytest.raises(FlinkSpecError) as info:
        TaskManagerSpec(replicas=0)
    assert info.value.paths == ["replicas"]


def test_non_mapping_input_is_refused_with_path() -> None:
    with pytest.raises(FlinkSpecError) as info:
        FlinkClusterSpec.parse(["analytics"], "clusters[0]")
    assert info.value.paths == ["clusters[0]"]


def test_spec_is_immutable() -> None:
    spec = make_spec()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.parallelism = 4  # type: ignore[misc]


def test_valid_pod_hooks_are_accepted() -> None:
    spec = make_spec(
        pod={
            "env": [{"name": "TZ", "value": "UTC"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "nodeSelector": {"pool": "flink"},
            "tolerations": [
                {"key": "dedicated", "operator": "Equal", "value": "flink", "effect": "NoSchedule"}
            ],
            "imagePullSecrets": ["registry"],
            "serviceAccountName": "shared-flink",
        }
    )
    assert check_cluster(spec) == []


@pytest.mark.parametrize(
    ("data", "path", "limit"),
    [
        ({"taskManager": {"replicas": 2**31}}, "taskManager.replicas", "2147483647"),
        ({"taskManager": {"slots": 2**31}}, "taskManager.slots", "2147483647"),
        ({"jobManager": {"replicas": 2**31}}, "jobManager.replicas", "2147483647"),
        ({"parallelism": 2**15 + 1}, "parallelism", "32768"),
        ({"probes": {"startupTimeoutSeconds": 86401}}, "probes.startupTimeoutSeconds", "86400"),
        ({"pod": {"terminationGracePeriodSeconds": 2**63}}, "pod.terminationGracePeriodSeconds",
         "9223372036854775807"),
    ],
)
def test_counts_beyond_what_kubernetes_and_flink_hold_are_refused(
    data: dict[str, Any], path: str, limit: str
) -> None:
    """Kubernetes stores replicas as int32 and Flink slots as a Java int: a larger number
    would fail at the API server or in Flink, long after the preview looked fine."""
    found_path, message, _ = only_problem(data)
    assert found_path == path and limit in message


def test_the_largest_counts_that_fit_are_accepted() -> None:
    spec = make_spec(taskManager={"replicas": 2**31 - 1, "slots": 1}, parallelism=2**15)
    assert spec.task_manager.replicas == 2**31 - 1 and spec.parallelism == 2**15


# --- whole strings, ports, image references, store memory -----------------------------------

@pytest.mark.parametrize(
    ("quorum", "refused"),
    [
        ("zk-0.zk:2181", False),
        ("zk-0.zk:2181, zk-1.zk:65535", False),
        ("zk-0.zk:0", True),
        ("zk-0.zk:65536", True),
        ("zk-0.zk:99999", True),
        ("zk-0.zk:2181\n", True),
        ("zk-0.zk:2181,\nzk-1.zk:2181", True),
    ],
)
def test_quorum_ports_are_tcp_ports(quorum: str, refused: bool) -> None:
    ha = {"type": "zookeeper", "storageDir": "s3://b/f", "zookeeper": {"existingQuorum": quorum}}
    if refused:
        with pytest.raises(FlinkSpecError) as info:
            make_spec(highAvailability=ha)
        assert info.value.paths == ["highAvailability.zookeeper.existingQuorum"]
    else:
        assert make_spec(highAvailability=ha).zookeeper_quorum == quorum


@pytest.mark.parametrize(
    "image",
    [
        "flink:1.20-java17",
        "registry.example.com:5000/data/flink:1.20.3-java17",
        "localhost/a/b__c",
        "[2001:db8::1]:5000/flink:2.3",
        "flink:2.3@sha256:" + "ab" * 32,
    ],
)
def test_image_references_a_runtime_can_pull_are_accepted(image: str) -> None:
    assert make_spec(image=image).resolved_image == image


@pytest.mark.parametrize(
    ("image", "words"),
    [
        ("Flink:1.20", "lowercase"),
        ("flink:1.20 ", "lowercase"),
        ("flink::1.20", "lowercase"),
        ("flink:1.20\n", "control character"),
        ("flink:1.20\x00", "control character"),
        ("-flink", "lowercase"),
        ("a" * 256, "lowercase"),
        ("flink:" + "t" * 129, "lowercase"),
    ],
)
def test_image_references_no_runtime_can_pull_are_refused(image: str, words: str) -> None:
    for data in ({"image": image}, {"highAvailability": {"zookeeper": {"image": image}}}):
        with pytest.raises(FlinkSpecError) as info:
            make_spec(**data)
        (problem,) = info.value.problems
        assert problem.path.endswith("image")
        assert words in str(problem)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"name": "analytics\n"}, "name"),
        ({"namespace": "flink\n"}, "namespace"),
        ({"flinkVersion": "1.20\n"}, "flinkVersion"),
        ({"flinkVersion": "\u0661.\u0662\u0660"}, "flinkVersion"),  # Arabic-Indic digits
        ({"labels": {"team\n": "data"}}, "labels"),
        ({"labels": {"team": "data\n"}}, "labels"),
        ({"pod": {"imagePullSecrets": ["registry\n"]}}, "pod.imagePullSecrets"),
        ({"pod": {"serviceAccountName": "runner\n"}}, "pod.serviceAccountName"),
        ({"pod": {"priorityClassName": "streaming\n"}}, "pod.priorityClassName"),
        ({"jvmOptions": ["-Xss1m", "-Da=b\n-Dc=d"]}, "jvmOptions[1]"),
        ({"mode": "application", "job": {"jar": "/opt/flink/usrlib/a.jar", "args": ["--x\t1"]}},
         "job.args[0]"),
        ({"mode": "application", "job": {"jar": "https://h/x\n/a.jar"}}, "job.jar"),
        ({"mode": "application", "job": {"jar": "/opt/flink/usrlib/a.jar", "jobId": "0" * 32 + "\n"}},
         "job.jobId"),
        ({"mode": "application", "job": {"jar": "/opt/flink/usrlib/a.jar", "entryClass": "a.B\n"}},
         "job.entryClass"),
        ({"mode": "per-job", "jobs": [{"name": "orders\n", "jar": "/opt/flink/usrlib/a.jar"}]},
         "jobs[0].name"),
        ({"highAvailability": {"pathRoot": "/flink\x00"}}, "highAvailability.pathRoot"),
        ({"highAvailability": {"clusterId": "a\n"}}, "highAvailability.clusterId"),
        ({"highAvailability": {"zookeeper": {"storageClassName": "Fast SSD"}}},
         "highAvailability.zookeeper.storageClassName"),
        ({"logging": {"maxFileSize": "100MB\n"}}, "logging.maxFileSize"),
        ({"flinkConfiguration": {"a.b\x00": 1}}, "flinkConfiguration"),
        ({"taskManager": {"cpu": "1\n"}}, "taskManager.cpu"),
    ],
)
def test_a_trailing_newline_or_control_character_is_refused_by_its_field(
    data: dict[str, Any], path: str
) -> None:
    with pytest.raises(FlinkSpecError) as info:
        make_spec(**data)
    assert info.value.paths == [path]


def test_a_store_server_needs_64mi() -> None:
    with pytest.raises(FlinkSpecError) as info:
        make_spec(highAvailability={"zookeeper": {"memory": "63Mi"}})
    (problem,) = info.value.problems
    assert problem.path == "highAvailability.zookeeper.memory"
    assert "64Mi" in problem.fix
    with pytest.raises(FlinkSpecError):
        make_spec(highAvailability={"etcd": {"memory": "1Mi"}})
    smallest = make_spec(highAvailability={"zookeeper": {"memory": "64Mi"}})
    assert smallest.high_availability.zookeeper.heap_mib == 32

"""Pod security and resources: every container the library renders runs as a non-root user
without privileges, on a read-only root filesystem with emptyDirs only where it writes, and
with CPU and memory requests and limits.

The walk covers every stack file under stacks/ and every variant of tests/support/kubernetes_schema.py
(each mode, native, every HA store); the security settings' defaults, overrides and errors follow. That the
processes really need nothing else writable is proven with real Flink processes running as
uid 9999 in tests/flink/test_hardened_pods.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flink.model.layout import LOG_DIR, LOG_VOLUME, TMP_DIR, TMP_VOLUME
from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import parse_stack_config
from pulumi_flink.render.flink_config import LOCAL_DIR_KEYS, render_config
from pulumi_flink.render.pods import (
    FETCH_JAR_RESOURCES,
    SUBMITTER_RESOURCES,
    WRITABLE_DIRS,
    container_security_context,
    enabled_plugins,
    library_layout,
    pod_security_context,
)
from pulumi_flink.render.stores import STORE_UID, ZETCD_UID
from pulumi_flink.resources.meta import ensure_valid
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import check_cluster, cluster_warnings
from tests.support.kubernetes_schema import STACK_DIR, VARIANTS
from tests.support.rendering import make_spec, render_specs

Obj = dict[str, Any]
FLINK_UID = 9999
POD_DEFAULTS = {
    "runAsNonRoot": True,
    "runAsUser": FLINK_UID,
    "runAsGroup": FLINK_UID,
    "fsGroup": FLINK_UID,
    "fsGroupChangePolicy": "OnRootMismatch",
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_DEFAULTS = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
}
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
# Volume kinds a container can write to (the rest are read-only whatever the mount says).
WRITABLE_KINDS = ("emptyDir", "persistentVolumeClaim")
S3_HA = {"type": "kubernetes", "storageDir": "s3://bucket/flink", "credentialsSecret": "s3"}


# --- the renders walked -------------------------------------------------------------------------

def stack_renders() -> Iterator[tuple[str, list[Obj]]]:
    for stack_file in sorted(STACK_DIR.glob("Pulumi.*.yaml")):
        stack = parse_stack_config(load_stack_file(stack_file))
        yield stack_file.name, render_stack(stack).kubernetes_objects()


def variant_renders() -> Iterator[tuple[str, list[Obj]]]:
    for name, overrides in sorted(VARIANTS.items()):
        yield name, render_specs(make_spec(**overrides)).kubernetes_objects()


RENDERS = [*stack_renders(), *variant_renders()]


def pod_specs(objects: list[Obj]) -> Iterator[tuple[str, Obj, bool]]:
    """(where, pod spec, is a native TaskManager pod template) of every pod the objects make:
    each workload's template, and each native TaskManager pod template in its ConfigMap."""
    for obj in objects:
        where = f"{obj['kind']} {obj['metadata']['name']}"
        if obj["kind"] in WORKLOAD_KINDS:
            yield where, obj["spec"]["template"]["spec"], False
        elif obj["kind"] == "ConfigMap" and "taskmanager-pod-template.yaml" in obj.get("data", {}):
            yield where, yaml.safe_load(obj["data"]["taskmanager-pod-template.yaml"])["spec"], True


def containers(pod: Obj) -> list[Obj]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def is_flink(container: Obj, template: bool) -> bool:
    return template or str(container.get("image", "")).startswith("flink:")


def writable_mounts(pod: Obj, container: Obj) -> set[str]:
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = container.get("volumeMounts", [])
    return {
        m["mountPath"] for m in mounts
        if not m.get("readOnly", False) and any(kind in volumes.get(m["name"], {}) for kind in WRITABLE_KINDS)
    } | {m["mountPath"] for m in mounts if m["name"] not in volumes}  # a StatefulSet's claim templates


def test_the_walk_covers_every_kind_of_pod() -> None:
    pods = [(where, pod, template) for _, objects in RENDERS for where, pod, template in pod_specs(objects)]
    seen = {(where.split()[0], is_flink(c, flag)) for where, pod, flag in pods for c in containers(pod)}
    assert seen == {
        ("Deployment", True), ("Deployment", False),  # Flink; zetcd
        ("Job", True), ("Job", False),  # JobManager Job, submitter; fetch-jar
        ("StatefulSet", False),  # ZooKeeper, etcd
        ("ConfigMap", True),  # native TaskManager pod template
    }
    names = {c["name"] for _, pod, _ in pods for c in containers(pod)}
    assert names >= {"jobmanager", "taskmanager", "submitter", "fetch-jar", "flink-main-container"}
    assert names >= {"zookeeper", "etcd", "zetcd"}


@pytest.mark.parametrize(("name", "objects"), RENDERS, ids=[name for name, _ in RENDERS])
def test_every_container_has_requests_and_limits(name: str, objects: list[Obj]) -> None:
    for where, pod, template in pod_specs(objects):
        for container in containers(pod):
            if template:
                # Flink's JobManager sets the TaskManager's resources from its memory model
                # (checked against Flink in tests/flink/test_native_factories.py); the template
                # must not fight it.
                assert "resources" not in container, where
                continue
            resources = container.get("resources", {})
            for which in ("requests", "limits"):
                assert set(resources.get(which, {})) == {"cpu", "memory"}, (where, container["name"])
            # Requests equal limits: Guaranteed QoS, and Flink's memory model fits the limit.
            assert resources["requests"] == resources["limits"], (where, container["name"])


@pytest.mark.parametrize(("name", "objects"), RENDERS, ids=[name for name, _ in RENDERS])
def test_every_pod_and_container_runs_unprivileged(name: str, objects: list[Obj]) -> None:
    for where, pod, template in pod_specs(objects):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, where
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert isinstance(context.get("runAsUser"), int) and context["runAsUser"] > 0, where
        for container in containers(pod):
            assert container["securityContext"] == CONTAINER_DEFAULTS, (where, container["name"])
        flink = [c for c in containers(pod) if is_flink(c, template)]
        if flink or template:
            assert context == POD_DEFAULTS, where


@pytest.mark.parametrize(("name", "objects"), RENDERS, ids=[name for name, _ in RENDERS])
def test_flink_containers_write_only_to_their_emptydirs(name: str, objects: list[Obj]) -> None:
    """Each Flink container's writable places are the library's /tmp and log emptyDirs, plus
    exactly what its job, HA storage, plugins, native artifacts or the user's volumes add."""
    for where, pod, template in pod_specs(objects):
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            if not is_flink(container, template):
                continue
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            for path, volume in WRITABLE_DIRS:
                assert mounts[path] == volume, where
            assert volumes[TMP_VOLUME] == {"name": TMP_VOLUME, "emptyDir": {}}, where
            # The log dir: an emptyDir (with logging.toFile, size-limited or a claim).
            assert {"emptyDir", "persistentVolumeClaim"} & set(volumes[LOG_VOLUME]), where
            extra = writable_mounts(pod, container) - {path for path, _ in WRITABLE_DIRS}
            allowed = {"/opt/flink/usrlib", "/opt/flink/artifacts", "/flink-ha", "/data"}
            plugins = {p for p in extra if p.startswith("/opt/flink/plugins/")}
            assert extra - plugins <= allowed, (where, extra)
            if plugins:
                (plugin_env,) = [e for e in container["env"] if e["name"] == "ENABLE_BUILT_IN_PLUGINS"]
                assert plugins == {f"/opt/flink/plugins/{plugin_env['value'].removesuffix('.jar')}"}, where


def store_pods(objects: list[Obj]) -> dict[str, Obj]:
    return {
        o["spec"]["template"]["spec"]["containers"][0]["name"]: o["spec"]["template"]["spec"]
        for o in objects if o["kind"] in ("StatefulSet", "Deployment")
        and not o["spec"]["template"]["spec"]["containers"][0]["image"].startswith("flink:")
    }


def test_ha_stores_run_unprivileged_with_writable_data_and_tmp_only() -> None:
    zookeeper = store_pods(render_specs(make_spec(**VARIANTS["zookeeper-ha-standby"])).kubernetes_objects())
    etcd_zetcd = store_pods(render_specs(make_spec(**VARIANTS["zetcd-ha-1.14"])).kubernetes_objects())
    pods = {**zookeeper, **etcd_zetcd}
    assert set(pods) == {"zookeeper", "etcd", "zetcd"}
    for name in ("zookeeper", "etcd"):
        assert pods[name]["securityContext"] == {
            **POD_DEFAULTS, "runAsUser": STORE_UID, "runAsGroup": STORE_UID, "fsGroup": STORE_UID,
        }
    assert STORE_UID == 1000  # the official zookeeper image's user, owner of its directories
    assert pods["zetcd"]["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": ZETCD_UID, "runAsGroup": ZETCD_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    for pod in pods.values():
        (container,) = pod["containers"]
        assert container["securityContext"] == CONTAINER_DEFAULTS
    # ZooKeeper writes its data volume and, as any JVM, /tmp; etcd only its data; zetcd nothing.
    (zk,) = zookeeper["zookeeper"]["containers"]
    assert writable_mounts(zookeeper["zookeeper"], zk) == {"/data", "/tmp"}
    assert {"name": "tmp", "emptyDir": {}} in zookeeper["zookeeper"]["volumes"]
    (etcd,) = pods["etcd"]["containers"]
    assert writable_mounts(pods["etcd"], etcd) == {"/var/run/etcd"}
    assert "volumeMounts" not in pods["zetcd"]["containers"][0]


def test_fixed_container_sizes() -> None:
    assert (FETCH_JAR_RESOURCES.cpu, FETCH_JAR_RESOURCES.memory) == ("100m", "64Mi")
    assert (SUBMITTER_RESOURCES.cpu, SUBMITTER_RESOURCES.memory) == ("500m", "1Gi")
    objects = render_specs(make_spec(**VARIANTS["per-job"])).kubernetes_objects()
    (submitter,) = [o for o in objects if (o["kind"], o["metadata"]["name"]) == ("Job", "analytics-a-submit")]
    pod = submitter["spec"]["template"]["spec"]
    (client,) = pod["containers"]
    (fetch,) = pod["initContainers"]
    assert client["resources"]["limits"] == {"cpu": "500m", "memory": "1024Mi"}
    assert fetch["resources"]["limits"] == {"cpu": "100m", "memory": "64Mi"}


# --- defaults, overrides, errors ----------------------------------------------------------------

def flink_pods(spec: FlinkClusterSpec) -> dict[str, Obj]:
    """Every Flink pod of the render by workload (or pod template ConfigMap) name."""
    return {
        where.split()[1]: pod for where, pod, template in pod_specs(render_specs(spec).kubernetes_objects())
        if template or any(is_flink(c, False) for c in pod["containers"])
    }


def test_defaults() -> None:
    options = make_spec().pod
    assert (options.run_as_user, options.run_as_group, options.fs_group) == (FLINK_UID,) * 3
    assert options.read_only_root_filesystem is True
    assert pod_security_context(FLINK_UID, FLINK_UID, FLINK_UID) == POD_DEFAULTS
    assert container_security_context() == CONTAINER_DEFAULTS
    for pod in flink_pods(make_spec()).values():
        assert pod["securityContext"] == POD_DEFAULTS
        assert all(c["securityContext"] == CONTAINER_DEFAULTS for c in containers(pod))
    assert cluster_warnings(make_spec()) == []


OVERRIDES = {"runAsUser": 1001, "runAsGroup": 0, "fsGroup": 2000, "readOnlyRootFilesystem": False}


@pytest.mark.parametrize(
    "overrides",
    [
        {"mode": "application", "job": {"jar": "https://x.example.com/a.jar"}},
        {"mode": "per-job", "jobs": [{"name": "a", "jar": "https://x.example.com/a.jar"}]},
        {"native": True, "flinkVersion": "2.3", "mode": "application", "job": {"jar": "https://x.example.com/a.jar"}},
    ],
    ids=["application", "per-job", "native-application"],
)
def test_overrides_reach_every_flink_pod_and_container(overrides: dict[str, Any]) -> None:
    spec = make_spec(pod=OVERRIDES, **overrides)
    pods = flink_pods(spec)
    assert len(pods) >= 2
    kinds = set()
    for pod in pods.values():
        assert pod["securityContext"] == {**POD_DEFAULTS, "runAsUser": 1001, "runAsGroup": 0, "fsGroup": 2000}
        for container in containers(pod):
            kinds.add(container["name"])
            assert container["securityContext"] == {**CONTAINER_DEFAULTS, "readOnlyRootFilesystem": False}
        # The layout stays: the emptyDirs are there with a writable root filesystem too.
        (main, *_) = pod["containers"]
        assert {(m["mountPath"], m["name"]) for m in main["volumeMounts"]} >= set(WRITABLE_DIRS)
    assert "fetch-jar" in kinds


def test_configurable_through_stack_config_with_camel_case() -> None:
    spec = FlinkClusterSpec.parse({
        "name": "a", "flinkVersion": "1.20",
        "pod": {"runAsUser": 1001, "runAsGroup": 1001, "fsGroup": 1001, "readOnlyRootFilesystem": False},
    })
    assert (spec.pod.run_as_user, spec.pod.run_as_group, spec.pod.fs_group) == (1001, 1001, 1001)
    assert spec.pod.read_only_root_filesystem is False


def spec_error(pod: Mapping[str, Any] | None = None, **data: Any) -> FlinkSpecError:
    with pytest.raises(FlinkSpecError) as info:
        ensure_valid(make_spec(**({"pod": pod} if pod is not None else {}), **data))
    return info.value


@pytest.mark.parametrize(
    ("pod", "path", "message", "fix"),
    [
        ({"runAsUser": 0}, "pod.runAsUser", "0 is root", "9999"),
        ({"runAsUser": -1}, "pod.runAsUser", "greater than or equal to 0", "raise it"),
        ({"runAsGroup": -5}, "pod.runAsGroup", "greater than or equal to 0", "raise it"),
        ({"fsGroup": 2**31}, "pod.fsGroup", "less than or equal to 2147483647", "lower it"),
        ({"runAsUser": "9999"}, "pod.runAsUser", "valid integer", ""),
        ({"runAsUser": True}, "pod.runAsUser", "valid integer", ""),
        # Always set: Kubernetes cannot tell the official images' own user is not root.
        ({"runAsUser": None}, "pod.runAsUser", "valid integer", ""),
        ({"fsGroup": None}, "pod.fsGroup", "valid integer", ""),
        ({"readOnlyRootFilesystem": "yes"}, "pod.readOnlyRootFilesystem", "valid boolean", "true or false"),
    ],
)
def test_bad_security_values_are_refused(pod: dict[str, Any], path: str, message: str, fix: str) -> None:
    error = spec_error(pod)
    (problem, *_) = [p for p in error.problems if p.path == path]
    assert message in problem.message, problem
    assert fix in problem.fix, problem


def test_root_group_is_allowed() -> None:
    """OpenShift-style images run with group 0; only the user id must not be root."""
    ensure_valid(make_spec(pod={"runAsGroup": 0, "fsGroup": 0}))


# --- writable places: the library's, and local directories in flinkConfiguration ------------------

def test_writable_dirs_are_the_documented_ones() -> None:
    assert WRITABLE_DIRS == ((TMP_DIR, TMP_VOLUME), (LOG_DIR, LOG_VOLUME)) == (("/tmp", "flink-tmp"),
                                                                              ("/opt/flink/log", "flink-log"))
    # What the user may not take: read from the builders' pods.
    layout = library_layout(make_spec())
    assert {TMP_VOLUME, LOG_VOLUME} <= layout.volumes
    assert {TMP_DIR, LOG_DIR} <= layout.mount_paths
    # The library sets none of the local-directory keys: Flink's defaults land in the mounts.
    for version in ("1.20", "2.3"):
        assert not set(render_config(make_spec(flinkVersion=version)).values) & set(LOCAL_DIR_KEYS)


@pytest.mark.parametrize(
    ("volumes", "path"),
    [
        ([{"name": "flink-tmp", "emptyDir": {}}], "pod.volumes[0].name"),
        ([{"name": "flink-log", "emptyDir": {}}], "pod.volumes[0].name"),
        ([{"name": "flink-plugin-0", "emptyDir": {}}], "pod.volumes[0].name"),
    ],
)
def test_the_librarys_volume_names_are_reserved(volumes: list[Obj], path: str) -> None:
    (problem,) = spec_error({"volumes": volumes}).problems
    assert problem.path == path and "the library's own volume" in problem.message


@pytest.mark.parametrize("path", ["/tmp", "/tmp/", "/tmp/scratch", "/opt/flink/log", "/opt/flink/log/x"])
def test_the_librarys_mount_paths_are_reserved(path: str) -> None:
    pod = {"volumes": [{"name": "d", "emptyDir": {}}], "volumeMounts": [{"name": "d", "mountPath": path}]}
    (problem,) = spec_error(pod).problems
    assert problem.path == "pod.volumeMounts[0].mountPath"
    assert "the library's emptyDir" in problem.message


DATA = {
    "volumes": [{"name": "data", "emptyDir": {}}],
    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
}
HA_CLAIM = {"type": "kubernetes", "storageDir": "file:///flink-ha", "volumeClaim": "ha"}


@pytest.mark.parametrize(
    ("key", "value", "pod"),
    [
        ("state.backend.rocksdb.localdir", "/tmp/rocksdb", None),
        ("io.tmp.dirs", "/tmp/a,/tmp/b", None),
        ("io.tmp.dirs", "/tmp/a:/data/b", DATA),
        ("taskmanager.state.local.root-dirs", "file:///data/local-state", DATA),
        ("process.taskmanager.working-dir", "/data", DATA),
        ("env.log.dir", "/opt/flink/log/sub", None),
        ("web.upload.dir", "/flink-ha/uploads", "ha"),
        ("web.tmpdir", "/var/flink", "writable-root"),
        ("state.backend.rocksdb.localdir", "/data/rocksdb", {**DATA, "volumeMounts": [
            {"name": "data", "mountPath": "/data/"}]}),
    ],
)
def test_local_dirs_on_writable_volumes_are_accepted(key: str, value: str, pod: Any) -> None:
    data: dict[str, Any] = {"flinkConfiguration": {key: value}}
    if pod == "ha":
        data["highAvailability"] = HA_CLAIM
    elif pod == "writable-root":
        data["pod"] = {"readOnlyRootFilesystem": False}
    elif pod is not None:
        data["pod"] = pod
    assert check_cluster(make_spec(**data)) == []


@pytest.mark.parametrize(
    ("key", "value", "pod", "shown"),
    [
        ("state.backend.rocksdb.localdir", "/data/rocksdb", None, "'/data/rocksdb'"),
        ("io.tmp.dirs", "/tmp/a,/var/tmp", None, "'/var/tmp'"),
        ("io.tmp.dirs", "/tmp/a|/opt/flink/tmp", None, "'/opt/flink/tmp'"),
        ("taskmanager.state.local.root-dirs", "local-state", None, "relative"),
        ("process.working-dir", "/tmp/../opt/flink", None, "'/tmp/../opt/flink'"),
        ("state.backend.rocksdb.localdir", "/data/rocksdb",
         {**DATA, "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}]},
         "'/data/rocksdb'"),
        ("state.backend.rocksdb.localdir", "/data/rocksdb",
         {"volumes": [{"name": "data", "configMap": {"name": "x"}}],
          "volumeMounts": [{"name": "data", "mountPath": "/data"}]}, "'/data/rocksdb'"),
        ("env.pid.dir", "/run/flink", None, "'/run/flink'"),
        ("state.backend.forst.local-dir", "/datastore", DATA, "'/datastore'"),
    ],
)
def test_local_dirs_off_writable_volumes_are_refused(key: str, value: str, pod: Any, shown: str) -> None:
    (problem,) = spec_error(pod, flinkConfiguration={key: value}).problems
    assert problem.path == f"flinkConfiguration.{key}"
    assert shown in problem.message and "read-only (pod.readOnlyRootFilesystem)" in problem.message
    assert "/tmp" in problem.fix and "pod.readOnlyRootFilesystem: false" in problem.fix


def test_other_keys_are_not_taken_for_directories() -> None:
    assert check_cluster(make_spec(flinkConfiguration={"state.checkpoints.num-retained": "/x"})) == []


# --- plugins the image's entrypoint links at start ------------------------------------------------

def plugin_mounts(container: Obj) -> dict[str, str]:
    mounts = container["volumeMounts"]
    return {m["mountPath"]: m["name"] for m in mounts if m["name"].startswith("flink-plugin-")}


def test_each_enabled_plugin_gets_its_own_writable_directory() -> None:
    """The entrypoint makes plugins/<jar without .jar> and links the jar into it: on a read-only
    root filesystem that directory must be a volume, and only it (the image's other plugins stay)."""
    spec = make_spec(flinkVersion="1.20.3", highAvailability=S3_HA)
    pods = flink_pods(spec)
    assert set(pods) == {"analytics-jobmanager", "analytics-taskmanager"}
    for pod in pods.values():
        (container,) = pod["containers"]
        assert plugin_mounts(container) == {"/opt/flink/plugins/flink-s3-fs-hadoop-1.20.3": "flink-plugin-0"}
        assert {"name": "flink-plugin-0", "emptyDir": {}} in pod["volumes"]
    native = flink_pods(make_spec(flinkVersion="1.20.3", native=True, highAvailability=S3_HA))
    for pod in native.values():
        assert plugin_mounts(pod["containers"][0]) == {
            "/opt/flink/plugins/flink-s3-fs-hadoop-1.20.3": "flink-plugin-0"}
    assert all(not plugin_mounts(p["containers"][0]) for p in flink_pods(make_spec()).values())


def test_plugins_enabled_by_the_user_get_directories_too() -> None:
    jars = "flink-s3-fs-presto-1.20.3.jar; flink-gs-fs-hadoop-1.20.3.jar"
    env = [{"name": "ENABLE_BUILT_IN_PLUGINS", "value": jars}]
    (container,) = flink_pods(make_spec(pod={"env": env}))["analytics-taskmanager"]["containers"]
    assert plugin_mounts(container) == {
        "/opt/flink/plugins/flink-s3-fs-presto-1.20.3": "flink-plugin-0",
        "/opt/flink/plugins/flink-gs-fs-hadoop-1.20.3": "flink-plugin-1",
    }


@pytest.mark.parametrize(
    ("env", "jars"),
    [
        ([], []),
        ([{"name": "ENABLE_BUILT_IN_PLUGINS", "value": "a.jar"}], ["a.jar"]),
        ([{"name": "ENABLE_BUILT_IN_PLUGINS", "value": "a.jar;b.jar;;a.jar"}], ["a.jar", "b.jar"]),
        ([{"name": "ENABLE_BUILT_IN_PLUGINS", "value": " a.jar  b.jar "}], ["a.jar", "b.jar"]),
        ([{"name": "ENABLE_BUILT_IN_PLUGINS", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}], []),
        ([{"name": "OTHER", "value": "a.jar"}], []),
    ],
)
def test_enabled_plugins_reads_the_variable_as_the_entrypoint_does(env: list[Obj], jars: list[str]) -> None:
    assert enabled_plugins({"env": env}) == jars


def test_local_dir_keys_documented_with_defaults() -> None:
    assert all(default for default in LOCAL_DIR_KEYS.values())
    assert LOCAL_DIR_KEYS["io.tmp.dirs"] == "java.io.tmpdir (/tmp)"
    assert LOCAL_DIR_KEYS["env.log.dir"] == "/opt/flink/log"


def test_schema_describes_the_new_fields() -> None:
    import json

    schema = json.loads((Path(STACK_DIR) / "stack-config.schema.json").read_text())
    text = json.dumps(schema)
    for field in ("runAsUser", "runAsGroup", "fsGroup", "readOnlyRootFilesystem"):
        assert f'"{field}"' in text, field

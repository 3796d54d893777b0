"""Native mode against Flink itself: what the library renders versus what Flink's own native
client would create for the same configuration.

For Flink 1.20 (``flink-conf.yaml``) and 2.3 (``config.yaml``), session and application:
the spec is rendered; the rendered ``flink-config-<cluster-id>`` files become the conf dir of
Flink's ``KubernetesClusterDescriptor`` (run by ``tests/java/NativeSpecs.java``, no API
server), and the rendered TaskManager pod template its ``kubernetes.pod-template-file``.
Flink's JobManager Deployment, Services and ConfigMaps are compared with ours field by field,
and the first TaskManager pod Flink's JobManager would build from our template is checked.

Every deliberate difference is listed in ``DIFFERENCES`` with its reason, and each is asserted
to be exactly that difference. Real native processes need a Kubernetes API server (the
JobManager lists, watches and creates pods through it), which this machine does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flink.model.layout import POD_TEMPLATE_DIR
from pulumi_flink.model.quantities import cpu_millicores
from pulumi_flink.render.flink_config import TASKMANAGER_POD_TEMPLATE_FILE, render_config
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.native_factories import flink_native_specs
from tests.support.pods.plans import flat_config
from tests.support.rendering import objects_by_kind_name, render_specs
from tests.support.toolchain import Java, JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
JAR_URL = "https://jars.example.com/jobs/orders-1.4.jar"
# Arguments that Flink's list syntax must carry intact: ';', quotes, spaces, a leading '--'.
JOB_ARGS = ["--topic", "orders;eu", "it's", "a b", "--flag"]

# What differs on purpose between our objects and Flink's client's, and why.
DIFFERENCES = {
    "labels": "ours add the app.kubernetes.io/* labels to Flink's app/component/type on every "
    "object and pod; our selectors use app.kubernetes.io/* (the JobManager pods carry "
    "both sets, so Flink's selectors would select the same pods)",
    "annotations": "ours put a checksum of the configuration on the JobManager pods (a change "
    "rolls them) and the deployment mode on the Deployment (a change replaces it)",
    "trailing space": "Flink's client leaves a space after the entrypoint argument (it appends "
    "its empty kubernetes.jobmanager.entrypoint.args); ours has none",
    "serviceAccount": "Flink also sets the deprecated pod field serviceAccount; ours sets only "
    "serviceAccountName, which wins",
    "pod defaults": "Flink spells out dnsPolicy ClusterFirst and hostNetwork false, Kubernetes' "
    "defaults; ours leaves them to Kubernetes",
    "cpu": "Flink writes CPU as a decimal ('1.0'), ours as the user wrote it ('1'): the same quantity",
    "protocol": "ours names TCP on every port, Kubernetes' default",
    "targetPort": "Flink's internal Service has no targetPort (it defaults to the port); ours "
    "names the container port",
    "readOnly": "ours mounts the configuration and the pod template read-only",
    "token": "ours mounts the API token on the JobManager explicitly (it calls the API); Flink "
    "leaves it to the ServiceAccount, whose token ours never automounts",
    "extra volumes": "ours adds the fetched jar's usrlib volume and init container (application "
    "with a jar URL) and the user's pod.volumes",
    "bind addresses": "Flink's client strips rest.bind-address, jobmanager.bind-host and "
    "taskmanager.bind-host (values from the client machine); ours ships the "
    "pod's wildcard 0.0.0.0, proven to work by the standalone real-cluster tests",
    "template path": "kubernetes.pod-template-file.taskmanager: the client keeps its local file "
    "path (here the probe's temp file); ours names where the JobManager pod "
    "mounts it. Flink's JobManager reads the fixed path either way",
    "client-only keys": "kubernetes.internal.jobmanager.entrypoint.class and "
    "internal.cluster.execution-mode: the client records them; "
    "kubernetes-jobmanager.sh picks the entrypoint class from its argument "
    "and NORMAL is the default",
    "extra keys": "ours also ships what standalone needs as well: rest.address, "
    "jobmanager.rpc.port, the data port, memory, failover strategy, JVM options",
    "health": "Flink's client puts no probes on the JobManager; ours has startup and readiness "
    "probes (GET /config on the REST port) and a liveness probe (the RPC port, or the job check), "
    "and the TaskManager pod template startup and liveness probes on the TaskManager RPC port, "
    "which Flink keeps in the pods it builds; with high availability (or spread.*), ours spreads "
    "both over nodes (topologySpreadConstraints), and pod.priorityClassName and "
    "pod.terminationGracePeriodSeconds reach both when set (tests/flink/test_probes.py)",
}
DIFFERENCES["security"] = (
    "ours runs every pod as the image's flink user (runAsUser, runAsGroup, fsGroup 9999; "
    "runAsNonRoot; seccomp RuntimeDefault) and every container without capabilities or privilege "
    "escalation on a read-only root filesystem (pod.runAsUser and the other pod.* security fields); "
    "Flink's client sets no securityContext, so its 1.x image starts as root and steps down with "
    "gosu. The TaskManager pods Flink builds keep our template's (tests/flink/test_hardened_pods.py)"
)
DIFFERENCES["writable volumes"] = (
    "ours adds emptyDirs at /tmp and /opt/flink/log (and one per plugin ENABLE_BUILT_IN_PLUGINS "
    "enables, under /opt/flink/plugins), the only places Flink writes on the read-only root "
    "filesystem; Flink's pods write into the image's filesystem"
)
DIFFERENCES["metrics port"] = (
    "ours declares the Prometheus reporter's port (metrics.port, 9249) as the container port "
    "'metrics' on the JobManager and in the TaskManager pod template, whose ports Flink keeps "
    "beside its own taskmanager-rpc port; Flink's client declares only rest, jobmanager-rpc and "
    "blobserver (the reporter's configuration keys themselves reach Flink's ConfigMap unchanged)"
)
DIFFERENCES["network policies"] = (
    "ours adds the NetworkPolicies <name>-jobmanager and <name>-taskmanager (networkPolicy, "
    "tests/unit/resources/test_network.py); Flink's client creates none"
)
SCRATCH_VOLUMES = {"flink-tmp": "/tmp", "flink-log": "/opt/flink/log"}
STRIPPED_BY_CLIENT = {"rest.bind-address", "jobmanager.bind-host", "taskmanager.bind-host"}
CLIENT_ONLY_KEYS = {"kubernetes.internal.jobmanager.entrypoint.class", "internal.cluster.execution-mode"}


def native_spec(version: str, mode: str) -> FlinkClusterSpec:
    data: dict[str, Any] = {
        "name": "analytics",
        "namespace": "flink",
        "flinkVersion": version,
        "native": True,
        "mode": mode,
        "jobManager": {"cpu": "1", "memory": "1600Mi"},
        "taskManager": {"cpu": "2", "memory": "2Gi", "slots": 2},
        "parallelism": 4,
        "rest": {"exposure": "NodePort"},
        "labels": {"example.com/team": "data"},
        "pod": {
            "env": [{"name": "TZ", "value": "UTC"}],
            "volumes": [{"name": "scratch", "emptyDir": {}}],
            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
            "nodeSelector": {"pool": "flink"},
            "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        },
    }
    if mode == "application":
        data["job"] = {
            "jar": JAR_URL,
            "entryClass": "com.example.Orders",
            "args": JOB_ARGS,
            "jobId": "0000000000000000000000000000002a",
        }
    return FlinkClusterSpec.parse(data)


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def config_file_values(file_name: str, text: str) -> dict[str, str]:
    """A config file's flat values as strings, however it nests or quotes them."""
    if file_name == "config.yaml":
        loaded = flatten(yaml.safe_load(text))
        return {
            k: (";".join(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in loaded.items()
        }
    return flat_config({file_name: text})


@dataclass(frozen=True)
class Comparison:
    spec: FlinkClusterSpec
    ours: dict[tuple[str, str], dict[str, Any]]
    flink: dict[str, Any]

    def flink_object(self, kind: str, name: str) -> dict[str, Any]:
        if kind == "Deployment":
            deployment: dict[str, Any] = self.flink["deployment"]
            assert deployment["metadata"]["name"] == name
            return deployment
        (found,) = [
            r for r in self.flink["accompanying"] if (r["kind"], r["metadata"]["name"]) == (kind, name)
        ]
        return dict(found)

    @property
    def flink_names(self) -> set[tuple[str, str]]:
        deployment = self.flink["deployment"]
        return {(deployment["kind"], deployment["metadata"]["name"])} | {
            (r["kind"], r["metadata"]["name"]) for r in self.flink["accompanying"]
        }


@pytest.fixture(scope="module")
def compare(
    java: Java, java_build: Callable[[str], JavaBuild], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, str], Comparison]]:
    cache: dict[tuple[str, str], Comparison] = {}
    work: Path = tmp_path_factory.mktemp("native")

    def get(version: str, mode: str) -> Comparison:
        if (version, mode) not in cache:
            spec = native_spec(version, mode)
            ours = objects_by_kind_name(render_specs(spec))
            conf_files = ours[("ConfigMap", "flink-config-analytics")]["data"]
            template_text = ours[("ConfigMap", "pod-template-analytics")]["data"][
                TASKMANAGER_POD_TEMPLATE_FILE
            ]
            flink = flink_native_specs(
                java, java_build(version), version, conf_files, yaml.safe_load(template_text), work
            )
            cache[(version, mode)] = Comparison(spec, ours, flink)
        return cache[(version, mode)]

    yield get


cases = pytest.mark.parametrize(
    ("version", "mode"),
    [(V120, "session"), (V120, "application"), (V23, "session"), (V23, "application")],
    ids=["1.20-session", "1.20-application", "2.3-session", "2.3-application"],
)


def main_container(pod: Mapping[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in pod["containers"] if c["name"] == "flink-main-container"]
    return dict(container)


@cases
def test_the_same_objects_with_the_same_names(
    compare: Callable[[str, str], Comparison], version: str, mode: str
) -> None:
    c = compare(version, mode)
    ours = {key for key in c.ours if key[0] not in ("ServiceAccount", "Role", "RoleBinding", "NetworkPolicy")}
    # Flink's client creates no ServiceAccount or RBAC (the user must); ours does, see test_native.py.
    assert (
        ours
        == c.flink_names
        == {
            ("Deployment", "analytics"),
            ("Service", "analytics"),
            ("Service", "analytics-rest"),
            ("ConfigMap", "flink-config-analytics"),
            ("ConfigMap", "pod-template-analytics"),
        }
    )


@cases
def test_jobmanager_deployment_matches_flinks(
    compare: Callable[[str, str], Comparison], version: str, mode: str
) -> None:
    c = compare(version, mode)
    ours, flink = c.ours[("Deployment", "analytics")], c.flink_object("Deployment", "analytics")
    assert ours["spec"]["replicas"] == flink["spec"]["replicas"]
    # labels: Flink's are a subset of ours, on the object and the pods.
    assert flink["metadata"]["labels"].items() <= ours["metadata"]["labels"].items()
    pod_labels = ours["spec"]["template"]["metadata"]["labels"]
    assert flink["spec"]["template"]["metadata"]["labels"].items() <= pod_labels.items()
    assert flink["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert ours["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()

    our_pod, flink_pod = ours["spec"]["template"]["spec"], flink["spec"]["template"]["spec"]
    assert our_pod["serviceAccountName"] == flink_pod["serviceAccountName"] == "analytics-flink"
    assert flink_pod["serviceAccount"] == flink_pod["serviceAccountName"] and "serviceAccount" not in our_pod
    assert (flink_pod["dnsPolicy"], flink_pod["hostNetwork"]) == ("ClusterFirst", False)
    assert our_pod["automountServiceAccountToken"] is True and "automountServiceAccountToken" not in flink_pod

    mine, theirs = main_container(our_pod), main_container(flink_pod)
    for field in ("image", "imagePullPolicy", "command"):
        assert mine[field] == theirs[field], field
    assert theirs["args"][:2] == mine["args"][:2] == ["bash", "-c"]
    assert theirs["args"][2] == mine["args"][2] + " "  # the trailing space
    assert mine["args"][2] == f"kubernetes-jobmanager.sh kubernetes-{mode}"
    # env: Flink's entries (the pod IP for HA) are ours; ours adds the user's.
    assert [e for e in mine["env"] if e in theirs["env"]] == theirs["env"]
    assert [e["name"] for e in mine["env"] if e not in theirs["env"]] == ["TZ"]
    assert {(p["name"], p["containerPort"]) for p in mine["ports"]} == {
        (p["name"], p["containerPort"]) for p in theirs["ports"]
    } | {("metrics", 9249)}  # the metrics port
    assert all(p["protocol"] == "TCP" for p in mine["ports"])
    for which in ("requests", "limits"):
        assert cpu_millicores(mine["resources"][which]["cpu"]) == cpu_millicores(
            theirs["resources"][which]["cpu"]
        )
        assert mine["resources"][which]["memory"] == theirs["resources"][which]["memory"]

    # Volumes: every one of Flink's, the same (same ConfigMap, same items); ours adds only
    # the user's, the writable emptyDirs and, for a fetched jar, usrlib.
    our_volumes = {v["name"]: v for v in our_pod["volumes"]}
    for volume in flink_pod["volumes"]:
        mine_volume = our_volumes.pop(volume["name"])
        if "configMap" in volume:
            assert mine_volume["configMap"]["name"] == volume["configMap"]["name"]
            assert sorted(map(str, mine_volume["configMap"]["items"])) == sorted(
                map(str, volume["configMap"]["items"])
            )
        else:
            assert mine_volume == volume
    usrlib = {"usrlib": "/opt/flink/usrlib"} if mode == "application" else {}
    extra = {"scratch": "/scratch", **SCRATCH_VOLUMES, **usrlib}  # the writable volumes difference
    assert sorted(our_volumes) == sorted(extra)
    assert all(our_volumes[name] == {"name": name, "emptyDir": {}} for name in SCRATCH_VOLUMES)
    our_mounts = {m["mountPath"]: m for m in mine["volumeMounts"]}
    for mount in theirs["volumeMounts"]:
        assert our_mounts.pop(mount["mountPath"])["name"] == mount["name"]
    assert {path: mount["name"] for path, mount in our_mounts.items()} == {p: n for n, p in extra.items()}
    # The security difference: Flink's client sets none; ours, on the pod and every container.
    assert not flink_pod.get("securityContext") and not theirs.get("securityContext")
    assert our_pod["securityContext"]["runAsUser"] == 9999
    assert all(c["securityContext"]["readOnlyRootFilesystem"] for c in our_pod.get("initContainers", []))
    assert mine["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    if mode == "application":
        (fetch,) = our_pod["initContainers"]
        assert fetch["command"][-2:] == ["/opt/flink/usrlib/orders-1.4.jar", JAR_URL]


@cases
def test_services_match_flinks(compare: Callable[[str, str], Comparison], version: str, mode: str) -> None:
    c = compare(version, mode)
    jm_pod_labels = c.ours[("Deployment", "analytics")]["spec"]["template"]["metadata"]["labels"]
    for name in ("analytics", "analytics-rest"):
        ours, flink = c.ours[("Service", name)]["spec"], c.flink_object("Service", name)["spec"]
        assert ours["type"] == flink.get("type", "ClusterIP")
        assert ours.get("clusterIP") == flink.get("clusterIP")
        assert {(p["name"], p["port"]) for p in ours["ports"]} == {
            (p["name"], p["port"]) for p in flink["ports"]
        }
        # Both selectors pick the JobManager pods we render.
        assert ours["selector"].items() <= jm_pod_labels.items()
        assert flink["selector"].items() <= jm_pod_labels.items()
    assert c.ours[("Service", "analytics")]["spec"]["clusterIP"] == "None"  # headless, as Flink's
    assert c.ours[("Service", "analytics-rest")]["spec"]["type"] == "NodePort"


@cases
def test_configmaps_match_flinks(compare: Callable[[str, str], Comparison], version: str, mode: str) -> None:
    c = compare(version, mode)
    ours = c.ours[("ConfigMap", "flink-config-analytics")]["data"]
    flink = c.flink_object("ConfigMap", "flink-config-analytics")["data"]
    file_name = c.spec.resolved_config_file
    assert sorted(ours) == sorted(flink) == sorted([file_name, "log4j-console.properties"])
    assert ours["log4j-console.properties"] == flink["log4j-console.properties"]

    mine, theirs = (
        config_file_values(file_name, ours[file_name]),
        config_file_values(file_name, flink[file_name]),
    )
    assert set(mine) - set(theirs) == STRIPPED_BY_CLIENT  # the bind addresses
    assert set(theirs) - set(mine) == CLIENT_ONLY_KEYS
    differing = {k: (mine[k], theirs[k]) for k in set(mine) & set(theirs) if mine[k] != theirs[k]}
    template_key = "kubernetes.pod-template-file.taskmanager"
    assert set(differing) == {template_key}, differing  # the template path
    assert mine[template_key] == f"{POD_TEMPLATE_DIR}/{TASKMANAGER_POD_TEMPLATE_FILE}"
    # Everything Flink's client needs to find and configure the cluster is ours.
    assert mine["kubernetes.cluster-id"] == "analytics" and mine["kubernetes.namespace"] == "flink"
    assert mine["jobmanager.rpc.address"] == "analytics.flink"
    assert mine["execution.target"] == f"kubernetes-{mode}"

    # The pod template ConfigMap carries our template unchanged (Flink copies the file).
    ours_template = c.ours[("ConfigMap", "pod-template-analytics")]["data"][TASKMANAGER_POD_TEMPLATE_FILE]
    flink_template = c.flink_object("ConfigMap", "pod-template-analytics")["data"][
        TASKMANAGER_POD_TEMPLATE_FILE
    ]
    assert yaml.safe_load(ours_template) == yaml.safe_load(flink_template)


@cases
def test_flinks_taskmanager_pods_carry_our_template(
    compare: Callable[[str, str], Comparison], version: str, mode: str
) -> None:
    """The first TaskManager pod Flink's JobManager builds from our template and configuration."""
    c = compare(version, mode)
    pod = c.flink["taskManagerPod"]
    assert pod["metadata"]["name"] == "analytics-taskmanager-1-1"
    ours = yaml.safe_load(
        c.ours[("ConfigMap", "pod-template-analytics")]["data"][TASKMANAGER_POD_TEMPLATE_FILE]
    )
    assert ours["metadata"]["labels"].items() <= pod["metadata"]["labels"].items()
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "taskmanager"
    assert {"app": "analytics", "component": "taskmanager"}.items() <= pod["metadata"]["labels"].items()
    spec = pod["spec"]
    assert spec["automountServiceAccountToken"] is False  # TaskManagers never call the API
    assert spec["serviceAccountName"] == "analytics-flink"
    assert spec["nodeSelector"] == {"pool": "flink"}
    assert spec["tolerations"] == c.spec.pod.tolerations
    assert {"name": "scratch", "emptyDir": {}} in spec["volumes"]
    (config_volume,) = [v for v in spec["volumes"] if "configMap" in v]
    assert config_volume["configMap"]["name"] == "flink-config-analytics"
    container = main_container(spec)
    assert container["image"] == c.spec.resolved_image
    assert {"name": "TZ", "value": "UTC"} in container["env"]
    assert {"name": "scratch", "mountPath": "/scratch"} in container["volumeMounts"]
    assert cpu_millicores(container["resources"]["limits"]["cpu"]) == c.spec.task_manager.cpu_millicores
    assert container["resources"]["limits"]["memory"] == f"{c.spec.task_manager.memory_mib}Mi"
    assert "-D taskmanager.numberOfTaskSlots=2" in container["args"][2]
    # The metrics port: ours from the template, Flink's rpc port beside it.
    ports = {(p["name"], p["containerPort"]) for p in container["ports"]}
    assert ports >= {("metrics", 9249), ("taskmanager-rpc", 6122)}


@pytest.mark.parametrize("version", [V120, V23], ids=["1.20", "2.3"])
def test_flink_reads_the_application_as_rendered(
    compare: Callable[[str, str], Comparison], version: str
) -> None:
    """The JobManager's entrypoint reads main class, program arguments and jar from our ConfigMap."""
    c = compare(version, "application")
    assert c.flink["application"] == {
        "mainClass": "com.example.Orders",
        "programArguments": JOB_ARGS,
        "jars": ["local:///opt/flink/usrlib/orders-1.4.jar"],
    }
    assert c.flink["jobManagerConfig"]["$internal.pipeline.job-id"] == "0000000000000000000000000000002a"
    assert render_config(c.spec).values["parallelism.default"] == 4

"""High availability under mocks: validation, Flink's HA configuration per store and version,
the ZooKeeper ensemble, standby JobManagers, storage, and the HA cluster id per incarnation."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pulumi_flink.render.flink_config import FAST_FAILOVER, ha_cleanup_hint, render_config
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

ZK = {"type": "zookeeper", "storageDir": "file:///flink-ha", "volumeClaim": "flink-ha"}
K8S = {"type": "kubernetes", "storageDir": "hdfs://nn:8020/flink"}


def ha_spec(ha: dict[str, Any] | None = None, **overrides: Any) -> FlinkClusterSpec:
    return make_spec(highAvailability=ha or ZK, **overrides)


def pod(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def config_of(render: Any, name: str = "analytics-config") -> dict[str, str]:
    (config_map,) = [o for o in render.kubernetes_objects() if o["metadata"]["name"] == name]
    text = next(v for k, v in config_map["data"].items() if k in ("flink-conf.yaml", "config.yaml"))
    return dict(line.split(": ", 1) for line in text.splitlines())


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"jobManager": {"replicas": 2}}, "jobManager.replicas", "set highAvailability.type"),
        ({"highAvailability": {"type": "zookeeper"}}, "highAvailability.storageDir", "durable storage"),
        (
            {"highAvailability": {"type": "kubernetes", "storageDir": "file:///flink-ha"}},
            "highAvailability.storageDir",
            "set highAvailability.volumeClaim",
        ),
        (
            {"highAvailability": {**ZK, "storageDir": "file:///data/ha"}},
            "highAvailability.storageDir",
            "below it",
        ),
        ({"highAvailability": {**K8S, "volumeClaim": "x"}}, "highAvailability.volumeClaim", "unused"),
        (
            {"highAvailability": {"type": "kubernetes", "storageDir": "s3://b/flink"}},
            "flinkVersion",
            "patch version",
        ),
        (
            {"highAvailability": {**ZK, "zookeeper": {"replicas": 4}}},
            "highAvailability.zookeeper.replicas",
            "odd number",
        ),
        (
            {"highAvailability": {"storageDir": "s3://b/f"}},
            "highAvailability.storageDir",
            "set highAvailability.type",
        ),
        (
            {"flinkConfiguration": {"high-availability.type": "zookeeper"}},
            "flinkConfiguration.high-availability.type",
            "highAvailability.type",
        ),
        (
            {"flinkConfiguration": {"high-availability.storageDir": "s3://x"}},
            "flinkConfiguration.high-availability.storageDir",
            "highAvailability.storageDir",
        ),
    ],
)
def test_ha_rules_name_the_field_and_the_fix(data: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        render_specs(make_spec(**data))
    assert info.value.paths == [path], info.value
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("ha", "path"),
    [
        ({"type": "etcd"}, "highAvailability.type"),
        ({"storageDir": "ftp://x/y"}, "highAvailability.storageDir"),
        ({"zookeeper": {"existingQuorum": "zk-0 zk-1"}}, "highAvailability.zookeeper.existingQuorum"),
        ({"zookeeper": {"cpu": "lots"}}, "highAvailability.zookeeper.cpu"),
        ({"pathRoot": "flink"}, "highAvailability.pathRoot"),
        ({"clusterId": "Not_A_Name"}, "highAvailability.clusterId"),
    ],
)
def test_ha_fields_are_checked(ha: dict[str, Any], path: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        make_spec(highAvailability=ha)
    assert info.value.paths == [path]


# --- Flink's configuration ---------------------------------------------------------------------


def test_zookeeper_configuration_with_fast_failover() -> None:
    values = render_config(ha_spec(), "analytics-0a1b2c3d").values
    assert values["high-availability.type"] == "zookeeper"
    assert values["high-availability.cluster-id"] == "analytics-0a1b2c3d"
    assert values["high-availability.storageDir"] == "file:///flink-ha/ha"
    assert values["execution.checkpointing.dir"] == "file:///flink-ha/checkpoints"
    assert values["execution.checkpointing.savepoint-dir"] == "file:///flink-ha/savepoints"
    assert values["high-availability.zookeeper.path.root"] == "/flink"
    assert values["high-availability.zookeeper.quorum"] == ",".join(
        f"analytics-zookeeper-{i}.analytics-zookeeper-peers.flink.svc:2181" for i in range(3)
    )
    assert {k: values[k] for k in FAST_FAILOVER} == FAST_FAILOVER
    # A killed leader's session must expire well before Flink's default minute.
    assert int(values["high-availability.zookeeper.client.session-timeout"]) <= 10000
    assert values["execution.checkpointing.interval"] == "30 s"
    assert values["restart-strategy.type"] == "exponential-delay"


def test_flinks_defaults_when_fast_failover_is_off_and_the_users_values_win() -> None:
    spec = ha_spec(
        {**ZK, "fastFailover": False},
        flinkConfiguration={
            "execution.checkpointing.interval": "5 s",
            "restart-strategy.type": "fixed-delay",
            "execution.checkpointing.dir": "s3://other/cp",
        },
    )
    values = render_config(spec, "x").values
    assert not set(FAST_FAILOVER) & set(values)
    assert values["execution.checkpointing.interval"] == "5 s"
    assert values["restart-strategy.type"] == "fixed-delay"
    assert values["execution.checkpointing.dir"] == "s3://other/cp"


def test_older_releases_get_the_older_keys() -> None:
    values = render_config(ha_spec(flinkVersion="1.16"), "x").values
    assert values["high-availability"] == "zookeeper" and "high-availability.type" not in values
    assert values["restart-strategy"] == "exponential-delay"
    assert values["state.checkpoints.dir"] == "file:///flink-ha/checkpoints"
    assert values["state.savepoints.dir"] == "file:///flink-ha/savepoints"
    later = render_config(ha_spec(flinkVersion="1.19"), "x").values
    assert later["high-availability.type"] == "zookeeper" and "high-availability" not in later
    assert later["state.checkpoints.dir"] == "file:///flink-ha/checkpoints"


def test_kubernetes_ha_names_its_configmaps_after_the_incarnation_in_standalone_mode_only() -> None:
    standalone = render_config(ha_spec(K8S), "analytics-0a1b2c3d").values
    assert standalone["high-availability.type"] == "kubernetes"
    assert standalone["kubernetes.cluster-id"] == "analytics-0a1b2c3d"
    assert "high-availability.zookeeper.quorum" not in standalone
    native = render_config(ha_spec(K8S, native=True), "analytics-0a1b2c3d").values
    assert native["kubernetes.cluster-id"] == "analytics"  # native: the object names
    assert native["high-availability.cluster-id"] == "analytics-0a1b2c3d"


# --- objects -----------------------------------------------------------------------------------


def test_the_zookeeper_ensemble() -> None:
    objects = objects_by_kind_name(render_specs(ha_spec()))
    statefulset = objects[("StatefulSet", "analytics-zookeeper")]["spec"]
    assert statefulset["replicas"] == 3 and statefulset["serviceName"] == "analytics-zookeeper-peers"
    assert statefulset["podManagementPolicy"] == "Parallel"
    (container,) = pod({"spec": statefulset})["containers"]
    assert container["image"] == "zookeeper:3.8.4"
    assert (
        "/data/myid" in container["command"][2]
        and "zkServer.sh start-foreground /conf/zoo.cfg" in container["command"][2]
    )
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "client": 2181,
        "peer": 2888,
        "election": 3888,
    }
    (claim,) = statefulset["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    security = pod({"spec": statefulset})["securityContext"]
    assert security["runAsNonRoot"] is True and security["fsGroup"] == 1000
    anti = pod({"spec": statefulset})["affinity"]["podAntiAffinity"]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["topologyKey"] == (
        "kubernetes.io/hostname"
    )
    peers = objects[("Service", "analytics-zookeeper-peers")]["spec"]
    assert peers["clusterIP"] == "None" and peers["publishNotReadyAddresses"] is True
    assert objects[("Service", "analytics-zookeeper")]["spec"]["ports"][0]["port"] == 2181
    assert objects[("PodDisruptionBudget", "analytics-zookeeper")]["spec"]["maxUnavailable"] == 1
    cfg = objects[("ConfigMap", "analytics-zookeeper")]["data"]["zoo.cfg"]
    assert [line for line in cfg.splitlines() if line.startswith("server.")] == [
        f"server.{i + 1}=analytics-zookeeper-{i}.analytics-zookeeper-peers.flink.svc:2888:3888"
        for i in range(3)
    ]


def test_an_existing_quorum_runs_no_ensemble() -> None:
    quorum = "zk-0.zk.infra.svc:2181,zk-1.zk.infra.svc:2181,zk-2.zk.infra.svc:2181"
    render = render_specs(ha_spec({**ZK, "zookeeper": {"existingQuorum": quorum}}))
    assert not [o for o in render.kubernetes_objects() if "zookeeper" in o["metadata"]["name"]]
    assert config_of(render)["high-availability.zookeeper.quorum"] == quorum


def test_standby_jobmanagers_advertise_their_pod_ip() -> None:
    objects = objects_by_kind_name(render_specs(ha_spec(jobManager={"replicas": 2})))
    jobmanager = objects[("Deployment", "analytics-jobmanager")]
    assert jobmanager["spec"]["replicas"] == 2
    (container,) = pod(jobmanager)["containers"]
    assert container["args"] == ["jobmanager", "$(POD_IP)"]
    assert {
        "name": "POD_IP",
        "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}},
    } in (container["env"])
    application = objects_by_kind_name(
        render_specs(ha_spec(mode="application", job={"jar": "/opt/flink/usrlib/a.jar", "entryClass": "a.B"}))
    )
    (app_container,) = pod(application[("Job", "analytics-jobmanager")])["containers"]
    # Flink 2.x's standalone-job has no --host: a dynamic property works on every release.
    assert app_container["args"][:3] == [
        "standalone-job",
        "-Djobmanager.rpc.address=$(POD_IP)",
        "--job-classname",
    ]
    assert "--job-id" in app_container["args"]


def test_every_flink_pod_mounts_the_shared_volume() -> None:
    objects = objects_by_kind_name(render_specs(ha_spec()))
    for name in ("analytics-jobmanager", "analytics-taskmanager"):
        spec = pod(objects[("Deployment", name)])
        assert {"name": "ha-storage", "persistentVolumeClaim": {"claimName": "flink-ha"}} in spec["volumes"]
        assert {"name": "ha-storage", "mountPath": "/flink-ha"} in spec["containers"][0]["volumeMounts"]


def test_object_store_credentials_come_from_a_secret_and_the_plugin_is_enabled() -> None:
    ha = {"type": "kubernetes", "storageDir": "s3://bucket/flink", "credentialsSecret": "flink-s3"}
    spec = ha_spec(ha, flinkVersion="1.20.3", native=True)
    objects = objects_by_kind_name(render_specs(spec))
    (container,) = pod(objects[("Deployment", "analytics")])["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "flink-s3"}}]
    assert {"name": "ENABLE_BUILT_IN_PLUGINS", "value": "flink-s3-fs-hadoop-1.20.3.jar"} in container["env"]
    template = yaml.safe_load(
        objects[("ConfigMap", "pod-template-analytics")]["data"]["taskmanager-pod-template.yaml"]
    )
    assert template["spec"]["containers"][0]["envFrom"] == [{"secretRef": {"name": "flink-s3"}}]
    # The Flink configuration holds neither the Secret nor credentials: only pods reference it.
    flink_config = str(objects[("ConfigMap", "flink-config-analytics")]["data"])
    assert "flink-s3" not in flink_config and "AWS_" not in flink_config and "secret" not in flink_config


# --- the HA cluster id -------------------------------------------------------------------------


def test_each_incarnation_draws_its_own_cluster_id() -> None:
    render = render_specs(ha_spec())
    (random_id,) = [r for r in render.resources if r.type == "random:index/randomId:RandomId"]
    assert random_id.name == "analytics-ha-cluster-id"
    assert random_id.inputs["byteLength"] == 4
    # New id only when what the id stands for changes; stable across ordinary updates.
    assert random_id.inputs["keepers"] == {"cluster": "analytics", "namespace": "flink", "store": "zookeeper"}
    config = config_of(render)
    assert config["high-availability.cluster-id"].startswith("analytics-")
    assert len(config["high-availability.cluster-id"]) == len("analytics-") + 8
    configmap = next(r for r in render.resources if r.name == "analytics-configuration-config")
    assert random_id.urn in configmap.dependencies  # the ConfigMap carries the drawn id
    fixed = render_specs(ha_spec({**ZK, "clusterId": "analytics-blue"}))
    assert not [r for r in fixed.resources if r.type.startswith("random:")]
    assert config_of(fixed)["high-availability.cluster-id"] == "analytics-blue"


def test_cleanup_hints_name_the_leftovers() -> None:
    assert ha_cleanup_hint(ha_spec(), "analytics-1a2b") == (
        "ZooKeeper node /flink/analytics-1a2b; "
        "files under file:///flink-ha/ha whose path names analytics-1a2b"
    )
    assert "app=analytics-1a2b,configmap-type=high-availability" in ha_cleanup_hint(
        ha_spec(K8S), "analytics-1a2b"
    )


def test_per_job_clusters_share_one_ensemble_under_their_own_ids() -> None:
    spec = make_spec(
        mode="per-job",
        highAvailability=ZK,
        jobs=[
            {"name": "a", "jar": "/opt/flink/usrlib/a.jar"},
            {"name": "b", "jar": "/opt/flink/usrlib/b.jar"},
        ],
    )
    render = render_specs(spec)
    names = {o["metadata"]["name"] for o in render.kubernetes_objects() if o["kind"] == "StatefulSet"}
    assert names == {"analytics-zookeeper"}
    ids = {config_of(render, f"analytics-{job}-config")["high-availability.cluster-id"] for job in "ab"}
    quorums = {
        config_of(render, f"analytics-{job}-config")["high-availability.zookeeper.quorum"] for job in "ab"
    }
    assert len(ids) == 2 and quorums == {spec.zookeeper_quorum}


def test_the_cluster_outputs_its_ha_ids_and_cleanup() -> None:
    import pulumi

    from pulumi_flink.offline.renderer import run_program
    from pulumi_flink.package.package_args import spec_args
    from pulumi_flink.resources.cluster import FlinkCluster

    seen: dict[str, Any] = {}

    def program() -> Any:
        cluster = FlinkCluster("analytics", spec_args(ha_spec()))
        plain = FlinkCluster("plain", spec_args(make_spec(name="plain")))
        return pulumi.Output.all(cluster.ha_cluster_ids, cluster.ha_cleanup, plain.ha_cluster_ids).apply(
            lambda values: seen.update(ids=values[0], cleanup=values[1], plain=values[2])
        )

    run_program(program)
    (cluster_id,) = seen["ids"].values()
    assert list(seen["ids"]) == ["analytics"] and cluster_id.startswith("analytics-")
    assert seen["cleanup"]["analytics"].startswith(f"ZooKeeper node /flink/{cluster_id};")
    assert seen["plain"] == {}


# --- etcd via zetcd ----------------------------------------------------------------------------

ZETCD = {"type": "zetcd", "storageDir": "hdfs://nn:8020/flink"}


def test_zetcd_is_refused_for_flink_1_15_and_later_unless_overridden() -> None:
    with pytest.raises(FlinkSpecError) as info:
        render_specs(ha_spec(ZETCD, flinkVersion="1.15"))
    assert info.value.paths == ["highAvailability.type"]
    message = str(info.value)
    assert "ZooKeeper 3.4" in message and "Curator 5" in message and "container nodes" in message
    assert "allowUnsupportedFlinkVersion: true" in message
    overridden = ha_spec({**ZETCD, "zetcd": {"allowUnsupportedFlinkVersion": True}}, flinkVersion="1.20")
    assert render_specs(overridden).kubernetes_objects()
    assert render_specs(ha_spec(ZETCD, flinkVersion="1.14")).kubernetes_objects()


def test_etcd_behind_zetcd_is_flinks_zookeeper() -> None:
    spec = ha_spec(ZETCD, flinkVersion="1.14", jobManager={"replicas": 2})
    render = render_specs(spec)
    objects = objects_by_kind_name(render)
    config = config_of(render)
    assert config["high-availability"] == "zookeeper"
    assert config["high-availability.zookeeper.quorum"] == "analytics-zetcd.flink.svc:2181"
    etcd = objects[("StatefulSet", "analytics-etcd")]["spec"]
    assert etcd["replicas"] == 3 and etcd["serviceName"] == "analytics-etcd-peers"
    (member,) = pod({"spec": etcd})["containers"]
    assert (
        "--initial-cluster="
        + ",".join(
            f"analytics-etcd-{i}=http://analytics-etcd-{i}.analytics-etcd-peers.flink.svc:2380"
            for i in range(3)
        )
        in member["args"]
    )
    assert "--name=$(POD_NAME)" in member["args"]
    assert objects[("PodDisruptionBudget", "analytics-etcd")]["spec"]["maxUnavailable"] == 1
    zetcd = objects[("Deployment", "analytics-zetcd")]
    (proxy,) = pod(zetcd)["containers"]
    assert proxy["args"] == ["--zkaddr=0.0.0.0:2181", "--endpoints=analytics-etcd.flink.svc:2379"]
    assert zetcd["spec"]["replicas"] == 2
    assert objects[("Service", "analytics-zetcd")]["spec"]["ports"][0]["port"] == 2181


def test_even_etcd_clusters_are_refused() -> None:
    with pytest.raises(FlinkSpecError) as info:
        render_specs(ha_spec({**ZETCD, "etcd": {"replicas": 2}}, flinkVersion="1.14"))
    assert info.value.paths == ["highAvailability.etcd.replicas"]


def test_zookeeper_ha_fixes_the_rpc_port_and_always_tolerates_suspension() -> None:
    """Measured with real processes: under ZooKeeper HA the JobManager's RPC port is
    high-availability.jobmanager.port (random by default), and without tolerating suspended
    connections a ZooKeeper leader change restarted the job."""
    for fast in (True, False):
        values = render_config(ha_spec({**ZK, "fastFailover": fast}), "x").values
        assert values["high-availability.jobmanager.port"] == 6123
        assert values["high-availability.zookeeper.client.tolerate-suspended-connections"] is True
        assert values["zookeeper.sasl.disable"] is True
    assert "high-availability.jobmanager.port" not in render_config(ha_spec(K8S), "x").values


def test_the_zookeeper_heap_fits_its_memory_limit() -> None:
    objects = objects_by_kind_name(render_specs(ha_spec({**ZK, "zookeeper": {"memory": "2Gi"}})))
    (container,) = pod(objects[("StatefulSet", "analytics-zookeeper")])["containers"]
    assert container["env"] == [{"name": "ZK_SERVER_HEAP", "value": "1024"}]
    assert "logback.xml" in objects[("ConfigMap", "analytics-zookeeper")]["data"]


def test_credentials_passed_as_pulumi_secrets_become_a_secret_and_stay_secret() -> None:
    import pulumi

    from pulumi_flink.offline.renderer import REDACTED, run_program
    from pulumi_flink.package.package_args import spec_args
    from pulumi_flink.resources.cluster import FlinkCluster

    spec = ha_spec({"type": "kubernetes", "storageDir": "s3://bucket/flink"}, flinkVersion="1.20.3")
    credentials = {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": pulumi.Output.secret("s3cr3t"),
    }
    args = spec_args(spec, ha_credentials=credentials)
    render = run_program(lambda: FlinkCluster("analytics", args) and None)
    objects = objects_by_kind_name(render)
    secret = objects[("Secret", "analytics-ha-credentials")]
    # Every value is secret in the state and never written by the renderer, not even the plain one.
    assert secret["stringData"] == {"AWS_ACCESS_KEY_ID": REDACTED, "AWS_SECRET_ACCESS_KEY": REDACTED}
    assert "s3cr3t" not in str(render.kubernetes_objects()) and "AKIAEXAMPLE" not in str(
        render.kubernetes_objects()
    )
    for name in ("analytics-jobmanager", "analytics-taskmanager"):
        (container,) = pod(objects[("Deployment", name)])["containers"]
        assert container["envFrom"] == [{"secretRef": {"name": "analytics-ha-credentials"}}]


@pytest.mark.parametrize(
    ("ha", "credentials", "words"),
    [
        (None, {"A": "b"}, "no object-store HA storage"),
        (ZK, {"A": "b"}, "no object-store HA storage"),
        (
            {"type": "kubernetes", "storageDir": "hdfs://nn/f", "credentialsSecret": "x"},
            {"A": "b"},
            "one of them",
        ),
        ({"type": "kubernetes", "storageDir": "hdfs://nn/f"}, {"not a name": "b"}, "environment variable"),
    ],
)
def test_bad_credentials_are_refused_before_registering(
    ha: dict[str, Any] | None, credentials: dict[str, str], words: str
) -> None:
    from pulumi_flink.offline.renderer import Render, run_program
    from pulumi_flink.package.package_args import spec_args
    from pulumi_flink.resources.cluster import FlinkCluster

    spec = make_spec(highAvailability=ha) if ha else make_spec()
    render = Render()
    with pytest.raises(FlinkSpecError) as info:
        run_program(lambda: FlinkCluster("analytics", spec_args(spec, ha_credentials=credentials)), render)
    assert info.value.paths == ["haCredentials"] and words in str(info.value)
    assert render.resources == []

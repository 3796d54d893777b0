"""High availability: the store Flink elects its leader in, and the HA cluster id.

- ``ZooKeeperEnsemble``: a ZooKeeper StatefulSet of odd size with its peer and client
  Services and a disruption budget that keeps the quorum; usable on its own.
- ``FlinkHighAvailability``: per cluster, the HA cluster id of this incarnation (drawn by
  pulumi-random, so a destroyed and re-created cluster never recovers an old job from
  leftover HA data) and, for ``type: zookeeper`` without an existing quorum, the ensemble.

Kubernetes HA needs no store: Flink keeps its leader and metadata in ConfigMaps, which the
Role allows (``rbac.role_rules``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from pulumi_flink.model.layout import (
    ETCD_DATA_DIR,
    STORE_DATA_VOLUME,
    STORE_TMP_DIR,
    STORE_TMP_VOLUME,
    ZOOKEEPER_CONF_DIR,
    ZOOKEEPER_CONFIG_VOLUME,
    ZOOKEEPER_DATA_DIR,
)
from pulumi_flink.model.naming import selector_labels
from pulumi_flink.render.flink_config import HA_ID_RANDOM_BYTES
from pulumi_flink.render.pods import (
    LIVENESS_PERIOD_SECONDS,
    PROBE_FAILURES,
    READINESS_PERIOD_SECONDS,
    STARTUP_PERIOD_SECONDS,
    container_resources,
    container_security_context,
    pod_security_context,
    probe_timing,
    tcp_probe,
)
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, object_labels, object_metadata, wire
from pulumi_flink.spec import ZOOKEEPER_CLIENT_PORT, FlinkClusterSpec, Resources, StoreSpec

ZOOKEEPER_COMPONENT = "zookeeper"
ZOOKEEPER_PEER_PORT = 2888
ZOOKEEPER_ELECTION_PORT = 3888
# The stores run as this user, not root (the official zookeeper image's own user); the
# data volumes are group-writable for it (fsGroup). The etcd image runs as root unless told
# and needs only its data dir writable, so it runs as this user too.
STORE_UID = 1000
# zetcd keeps nothing on disk (sessions live in etcd): 'nobody'.
ZETCD_UID = 65534

Obj = dict[str, Any]

# Store probes are always on (``probes`` is about the Flink containers). Liveness never depends
# on the quorum, so a lost quorum never restarts every server at once; readiness does, and
# decides which servers the client Service sends clients to. The peer Services publish
# servers before they are ready, so readiness never keeps a quorum from forming.
STORE_STARTUP_SECONDS = 120
"""ZooKeeper's JVM answers within two minutes (a few seconds on an idle node; loading a large
snapshot takes longer), checked every 5 s. etcd binds its client port before it replays its
data dir: its startup probe passes within seconds, and its liveness (the same TCP check) never
fails during a long replay."""
ZOOKEEPER_READY_SCRIPT = (
    f"exec 3<>/dev/tcp/localhost/{ZOOKEEPER_CLIENT_PORT} && printf srvr >&3 && "
    "while read -r line; do [[ $line == Mode:* ]] && exit 0; done <&3; exit 1"
)
"""``srvr`` reports a ``Mode:`` (leader, follower) only while the server serves, i.e. is part
of a quorum. Bash built-ins only: the image needs no nc."""
ZOOKEEPER_ALIVE_SCRIPT = (
    f"exec 3<>/dev/tcp/localhost/{ZOOKEEPER_CLIENT_PORT} && printf ruok >&3 && "
    "read -r -n 4 reply <&3 && [[ $reply == imok ]]"
)
"""``ruok`` answers ``imok`` whenever the server runs, in a quorum or not."""
ETCD_HEALTH_PATH = "/health"
"""200 only while the member sees a leader (503 otherwise)."""


def _exec_probe(script: str, period: int, failures: int) -> Obj:
    return {"exec": {"command": ["bash", "-c", script]}, **probe_timing(period, failures)}


def _startup_failures() -> int:
    return STORE_STARTUP_SECONDS // STARTUP_PERIOD_SECONDS


def zookeeper_probes() -> Obj:
    """Started and alive: ``ruok``; ready: ``srvr`` shows the server in a quorum.

    Always rendered: the cluster's ``probes`` (``enabled: false`` too) is about the Flink
    containers only."""
    return {
        "startupProbe": _exec_probe(ZOOKEEPER_ALIVE_SCRIPT, STARTUP_PERIOD_SECONDS, _startup_failures()),
        "readinessProbe": _exec_probe(ZOOKEEPER_READY_SCRIPT, READINESS_PERIOD_SECONDS, PROBE_FAILURES),
        "livenessProbe": _exec_probe(ZOOKEEPER_ALIVE_SCRIPT, LIVENESS_PERIOD_SECONDS, PROBE_FAILURES),
    }


def etcd_probes() -> Obj:
    """Started and alive: the client port accepts (with or without a leader); ready:
    ``/health`` (a leader is known).

    Always rendered: the cluster's ``probes`` is about the Flink containers only."""
    return {
        "startupProbe": tcp_probe(ETCD_CLIENT_PORT, STARTUP_PERIOD_SECONDS, _startup_failures()),
        "readinessProbe": {
            "httpGet": {"path": ETCD_HEALTH_PATH, "port": ETCD_CLIENT_PORT, "scheme": "HTTP"},
            **probe_timing(READINESS_PERIOD_SECONDS, PROBE_FAILURES),
        },
        "livenessProbe": tcp_probe(ETCD_CLIENT_PORT, LIVENESS_PERIOD_SECONDS, PROBE_FAILURES),
    }


def zetcd_probes() -> Obj:
    """zetcd holds no state: its ZooKeeper port accepting is all there is to check (a
    ZooKeeper four-letter word would need zetcd to implement it, and an exec probe a shell
    in its image). Always rendered: the cluster's ``probes`` is about the Flink containers."""
    return {
        "readinessProbe": tcp_probe(ZOOKEEPER_CLIENT_PORT, READINESS_PERIOD_SECONDS, PROBE_FAILURES),
        "livenessProbe": tcp_probe(ZOOKEEPER_CLIENT_PORT, LIVENESS_PERIOD_SECONDS, PROBE_FAILURES),
    }


def store_statefulset_spec(
    spec: FlinkClusterSpec,
    component: str,
    object_name: str,
    peers: str,
    store: StoreSpec,
    container: Obj,
    data_dir: str,
    volumes: list[Obj] | None = None,
) -> Obj:
    """A store's servers: one persistent volume each, started together (a quorum forms only
    once they all can), spread over nodes when the cluster has enough; not root, without
    capabilities, on a read-only root filesystem (writing only their data volume, and /tmp
    where the container mounts an emptyDir there)."""
    selector = selector_labels(spec.name, component)
    claim: Obj = {
        "metadata": {"name": STORE_DATA_VOLUME},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": store.storage}}},
    }
    if store.storage_class_name:
        claim["spec"]["storageClassName"] = store.storage_class_name
    container = {
        **container,
        "image": store.image,
        "imagePullPolicy": spec.image_pull_policy,
        "resources": container_resources(Resources(cpu=store.cpu, memory=store.memory)),
        "volumeMounts": [
            *container.get("volumeMounts", []), {"name": STORE_DATA_VOLUME, "mountPath": data_dir}
        ],
    }
    container["securityContext"] = container_security_context(read_only_root_filesystem=True)
    pod: Obj = {
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(STORE_UID, STORE_UID, STORE_UID),
        "affinity": {"podAntiAffinity": _spread(selector)},
        "containers": [container],
    }
    if volumes:
        pod["volumes"] = volumes
    return {
        "serviceName": peers,
        "replicas": store.replicas,
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": object_labels(spec, component)},
            "spec": pod,
        },
        "volumeClaimTemplates": [claim],
    }


ZOOKEEPER_LOGBACK = """\
<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder>
      <pattern>%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n</pattern>
    </encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="CONSOLE"/>
  </root>
</configuration>
"""


def zoo_cfg(spec: FlinkClusterSpec) -> str:
    """The ensemble's configuration: every server by its stable pod DNS name."""
    names = spec.names
    zookeeper = spec.high_availability.zookeeper
    lines = [
        "tickTime=2000",
        "initLimit=10",
        "syncLimit=5",
        f"dataDir={ZOOKEEPER_DATA_DIR}",
        f"clientPort={ZOOKEEPER_CLIENT_PORT}",
        "standaloneEnabled=false",
        "reconfigEnabled=false",
        "admin.enableServer=false",
        "4lw.commands.whitelist=ruok,srvr,mntr",
    ]
    lines += [
        f"server.{index + 1}={names.zookeeper}-{index}.{names.zookeeper_peers}.{spec.namespace}.svc"
        f":{ZOOKEEPER_PEER_PORT}:{ZOOKEEPER_ELECTION_PORT}"
        for index in range(zookeeper.replicas)
    ]
    return "\n".join(lines) + "\n"


def zookeeper_statefulset_spec(spec: FlinkClusterSpec) -> Obj:
    names = spec.names
    container: Obj = {
        "name": ZOOKEEPER_COMPONENT,
        # The server's id is its pod ordinal + 1, as zoo.cfg numbers the servers.
        "command": [
            "bash",
            "-c",
            f"echo $(( ${{HOSTNAME##*-}} + 1 )) > {ZOOKEEPER_DATA_DIR}/myid "
            f"&& exec zkServer.sh start-foreground {ZOOKEEPER_CONF_DIR}/zoo.cfg",
        ],
        "ports": [
            {"name": "client", "containerPort": ZOOKEEPER_CLIENT_PORT, "protocol": "TCP"},
            {"name": "peer", "containerPort": ZOOKEEPER_PEER_PORT, "protocol": "TCP"},
            {"name": "election", "containerPort": ZOOKEEPER_ELECTION_PORT, "protocol": "TCP"},
        ],
        "volumeMounts": [
            {"name": ZOOKEEPER_CONFIG_VOLUME, "mountPath": ZOOKEEPER_CONF_DIR, "readOnly": True},
            {"name": STORE_TMP_VOLUME, "mountPath": STORE_TMP_DIR},
        ],
        **zookeeper_probes(),
    }
    # The image's zkEnv.sh gives the JVM 1000m of heap unless told.
    container["env"] = [{"name": "ZK_SERVER_HEAP", "value": str(spec.high_availability.zookeeper.heap_mib)}]
    return store_statefulset_spec(
        spec,
        ZOOKEEPER_COMPONENT,
        names.zookeeper,
        names.zookeeper_peers,
        spec.high_availability.zookeeper,
        container,
        ZOOKEEPER_DATA_DIR,
        volumes=[
            {"name": ZOOKEEPER_CONFIG_VOLUME, "configMap": {"name": names.zookeeper}},
            {"name": STORE_TMP_VOLUME, "emptyDir": {}},
        ],
    )


def _port(name: str, number: int) -> Obj:
    return {"name": name, "port": number, "targetPort": name, "protocol": "TCP"}


def peer_service_spec(spec: FlinkClusterSpec, component: str, ports: list[tuple[str, int]]) -> Obj:
    """Headless: each server's stable DNS name, published before it is ready (the quorum
    forms only once the servers can reach each other)."""
    return {
        "clusterIP": "None",
        # Keep: a store server is ready only in a quorum, which needs its peers' names first.
        "publishNotReadyAddresses": True,
        "selector": selector_labels(spec.name, component),
        "ports": [_port(name, number) for name, number in ports],
    }


def client_service_spec(spec: FlinkClusterSpec, component: str, port: int) -> Obj:
    return {
        "type": "ClusterIP",
        "selector": selector_labels(spec.name, component),
        "ports": [_port("client", port)],
    }


def disruption_budget_spec(spec: FlinkClusterSpec, component: str) -> Obj:
    """One server at a time: a majority of an odd ensemble of 3 or more always stays up."""
    return {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(spec.name, component)}}


class _ReplicatedStore(pulumi.ComponentResource):
    """What the ZooKeeper ensemble and the etcd cluster share: a headless peer Service, a
    client Service, the StatefulSet (after its peers' DNS names exist) and a disruption budget."""

    stateful_set: k8s.apps.v1.StatefulSet
    peer_service: k8s.core.v1.Service
    client_service: k8s.core.v1.Service
    disruption_budget: k8s.policy.v1.PodDisruptionBudget

    def _register_store(
        self,
        name: str,
        spec: FlinkClusterSpec,
        component: str,
        object_name: str,
        peers_name: str,
        peer_ports: list[tuple[str, int]],
        client_port: int,
        statefulset: Obj,
        needs: list[pulumi.Resource],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        metadata = object_metadata(spec, object_name, component)
        self.peer_service = k8s.core.v1.Service(
            f"{name}-peers",
            metadata=wire(object_metadata(spec, peers_name, component)),
            spec=wire(peer_service_spec(spec, component, peer_ports)),
            opts=child,
        )
        self.client_service = k8s.core.v1.Service(
            f"{name}-client",
            metadata=wire(metadata),
            spec=wire(client_service_spec(spec, component, client_port)),
            opts=child,
        )
        self.stateful_set = k8s.apps.v1.StatefulSet(
            f"{name}-statefulset",
            metadata=wire(metadata),
            spec=wire(statefulset),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*needs, self.peer_service]),
        )
        self.disruption_budget = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=wire(metadata),
            spec=wire(disruption_budget_spec(spec, component)),
            opts=child,
        )


class ZooKeeperEnsemble(_ReplicatedStore):
    """A ZooKeeper ensemble for one Flink cluster: ConfigMap, StatefulSet with a persistent
    volume per server, a headless peer Service, a client Service and a disruption budget.

    ``quorum`` is the connection string Flink uses (every server by name).
    """

    config_map: k8s.core.v1.ConfigMap
    quorum: str

    def __init__(self, name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:ZooKeeperEnsemble", name, None, opts)
        names = spec.names
        child = pulumi.ResourceOptions(parent=self)
        self.quorum = spec.zookeeper_quorum
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=wire(object_metadata(spec, names.zookeeper, ZOOKEEPER_COMPONENT)),
            # The mount hides the image's own logback.xml: without one, ZooKeeper logs DEBUG.
            data={"zoo.cfg": zoo_cfg(spec), "logback.xml": ZOOKEEPER_LOGBACK},
            opts=child,
        )
        self._register_store(
            name,
            spec,
            ZOOKEEPER_COMPONENT,
            names.zookeeper,
            names.zookeeper_peers,
            [("peer", ZOOKEEPER_PEER_PORT), ("election", ZOOKEEPER_ELECTION_PORT)],
            ZOOKEEPER_CLIENT_PORT,
            zookeeper_statefulset_spec(spec),
            needs=[self.config_map],
        )
        self.register_outputs({"quorum": self.quorum})


ETCD_COMPONENT = "etcd"
ZETCD_COMPONENT = "zetcd"
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
# A stateless proxy in Go: a quarter CPU and 256Mi.
ZETCD_RESOURCES = Resources(cpu="250m", memory="256Mi")


def _member_url(spec: FlinkClusterSpec, member: str, port: int) -> str:
    names = spec.names
    return f"http://{member}.{names.etcd_peers}.{spec.namespace}.svc:{port}"


def etcd_statefulset_spec(spec: FlinkClusterSpec) -> Obj:
    """etcd members that find each other by their stable pod DNS names (static bootstrap)."""
    names = spec.names
    etcd = spec.high_availability.etcd
    members = [f"{names.etcd}-{index}" for index in range(etcd.replicas)]
    initial_cluster = ",".join(f"{m}={_member_url(spec, m, ETCD_PEER_PORT)}" for m in members)
    own = "$(POD_NAME)"
    container: Obj = {
        "name": ETCD_COMPONENT,
        "command": ["etcd"],
        "args": [
            f"--name={own}",
            f"--data-dir={ETCD_DATA_DIR}/data",
            f"--listen-peer-urls=http://0.0.0.0:{ETCD_PEER_PORT}",
            f"--listen-client-urls=http://0.0.0.0:{ETCD_CLIENT_PORT}",
            f"--advertise-client-urls={_member_url(spec, own, ETCD_CLIENT_PORT)}",
            f"--initial-advertise-peer-urls={_member_url(spec, own, ETCD_PEER_PORT)}",
            f"--initial-cluster={initial_cluster}",
            f"--initial-cluster-token={names.etcd}",
            "--initial-cluster-state=new",
        ],
        "env": [
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            }
        ],
        "ports": [
            {"name": "client", "containerPort": ETCD_CLIENT_PORT, "protocol": "TCP"},
            {"name": "peer", "containerPort": ETCD_PEER_PORT, "protocol": "TCP"},
        ],
        **etcd_probes(),
    }
    return store_statefulset_spec(
        spec, ETCD_COMPONENT, names.etcd, names.etcd_peers, etcd, container, ETCD_DATA_DIR
    )


def zetcd_deployment_spec(spec: FlinkClusterSpec) -> Obj:
    """zetcd serves the ZooKeeper API on 2181 from the etcd cluster's client Service."""
    names = spec.names
    zetcd = spec.high_availability.zetcd
    selector = selector_labels(spec.name, ZETCD_COMPONENT)
    container: Obj = {
        "name": ZETCD_COMPONENT,
        "image": zetcd.image,
        "imagePullPolicy": spec.image_pull_policy,
        "command": ["zetcd"],
        "args": [
            f"--zkaddr=0.0.0.0:{ZOOKEEPER_CLIENT_PORT}",
            f"--endpoints={names.etcd}.{spec.namespace}.svc:{ETCD_CLIENT_PORT}",
        ],
        "ports": [{"name": "client", "containerPort": ZOOKEEPER_CLIENT_PORT, "protocol": "TCP"}],
        "resources": container_resources(ZETCD_RESOURCES),
        "securityContext": container_security_context(read_only_root_filesystem=True),
        **zetcd_probes(),
    }
    return {
        "replicas": zetcd.replicas,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": object_labels(spec, ZETCD_COMPONENT)},
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": pod_security_context(ZETCD_UID, ZETCD_UID, None),
                "affinity": {"podAntiAffinity": _spread(selector)},
                "containers": [container],
            },
        },
    }


def _spread(selector: dict[str, str]) -> Obj:
    return {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "podAffinityTerm": {
                    "labelSelector": {"matchLabels": selector},
                    "topologyKey": "kubernetes.io/hostname",
                },
            }
        ]
    }


class EtcdCluster(_ReplicatedStore):
    """An etcd cluster: StatefulSet with a persistent volume per member, headless peer
    Service, client Service and a disruption budget of one member."""

    def __init__(self, name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:EtcdCluster", name, None, opts)
        names = spec.names
        self._register_store(
            name,
            spec,
            ETCD_COMPONENT,
            names.etcd,
            names.etcd_peers,
            [("client", ETCD_CLIENT_PORT), ("peer", ETCD_PEER_PORT)],
            ETCD_CLIENT_PORT,
            etcd_statefulset_spec(spec),
            needs=[],
        )
        self.register_outputs({})


class Zetcd(pulumi.ComponentResource):
    """zetcd in front of an ``EtcdCluster``: a Deployment and a Service on 2181, which Flink
    uses as its ZooKeeper quorum (``quorum``)."""

    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service
    quorum: str

    def __init__(self, name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:Zetcd", name, None, opts)
        names = spec.names
        child = pulumi.ResourceOptions(parent=self)
        metadata = object_metadata(spec, names.zetcd, ZETCD_COMPONENT)
        self.quorum = spec.zookeeper_quorum
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment", metadata=wire(metadata), spec=wire(zetcd_deployment_spec(spec)), opts=child
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=wire(metadata),
            spec=wire(client_service_spec(spec, ZETCD_COMPONENT, ZOOKEEPER_CLIENT_PORT)),
            opts=child,
        )
        self.register_outputs({"quorum": self.quorum})


def ha_cleanup_hint(spec: FlinkClusterSpec, cluster_id: str) -> str:
    """What identifies a destroyed incarnation's leftover HA data, for manual cleanup."""
    ha = spec.high_availability
    storage = f"files under {(ha.storage_dir or '').rstrip('/')}/ha whose path names {cluster_id}"
    if ha.flink_type == "zookeeper":
        return f"ZooKeeper node {ha.path_root}/{cluster_id}; {storage}"
    config_map_owner = spec.name if spec.native else cluster_id
    return (
        f"ConfigMaps -l app={config_map_owner},configmap-type=high-availability in namespace "
        f"{spec.namespace}; {storage}"
    )


def credentials_secret(
    name: str,
    spec: FlinkClusterSpec,
    credentials: Mapping[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """Object-store credentials passed as Pulumi secrets, as the Secret the Flink pods read
    (``highAvailability.credentialsSecret``): secret in the state, the preview and renders."""
    secret_name = spec.high_availability.credentials_secret
    assert secret_name is not None
    return k8s.core.v1.Secret(
        f"{name}-ha-credentials",
        metadata=wire(object_metadata(spec, secret_name, "ha")),
        type="Opaque",
        string_data={key: pulumi.Output.secret(value) for key, value in sorted(credentials.items())},
        opts=opts,
    )


def create_store(
    name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions
) -> tuple[ZooKeeperEnsemble | None, EtcdCluster | None, Zetcd | None]:
    """The store the spec's HA type runs, if the library runs one."""
    ha = spec.high_availability
    if ha.type == "zookeeper" and ha.zookeeper.existing_quorum is None:
        return ZooKeeperEnsemble(f"{name}-zookeeper", spec, opts=opts), None, None
    if ha.type == "zetcd":
        etcd = EtcdCluster(f"{name}-etcd", spec, opts=opts)
        return None, etcd, Zetcd(f"{name}-zetcd", spec, opts=opts)
    return None, None, None


class FlinkHighAvailability(pulumi.ComponentResource):
    """The HA cluster id of this incarnation, and the ZooKeeper ensemble when the library runs one.

    The id is ``highAvailability.clusterId`` when given; otherwise ``<name>-<8 hex digits>``
    from a ``random.RandomId`` whose keepers are the cluster name, namespace and store: the
    same across ordinary updates, new after ``pulumi destroy`` and ``pulumi up``, or when
    the store changes. ``cleanup`` says where a destroyed incarnation's HA data stays.
    """

    ha_cluster_id: pulumi.Output[str]
    cleanup: pulumi.Output[str]
    ensemble: ZooKeeperEnsemble | None
    etcd: EtcdCluster | None
    zetcd: Zetcd | None

    def __init__(self, name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkHighAvailability", name, None, opts)
        ha = spec.high_availability
        child = pulumi.ResourceOptions(parent=self)
        if ha.cluster_id is not None:
            self.ha_cluster_id = pulumi.Output.from_input(ha.cluster_id)
        else:
            incarnation = random.RandomId(
                f"{name}-cluster-id",
                byte_length=HA_ID_RANDOM_BYTES,
                keepers={"cluster": spec.name, "namespace": spec.namespace, "store": ha.type},
                opts=child,
            )
            self.ha_cluster_id = incarnation.hex.apply(lambda digits: f"{spec.name}-{digits}")
        self.ensemble, self.etcd, self.zetcd = create_store(name, spec, child)

        self.cleanup = self.ha_cluster_id.apply(lambda ha_cluster_id: ha_cleanup_hint(spec, ha_cluster_id))
        self.register_outputs({"haClusterId": self.ha_cluster_id, "cleanup": self.cleanup})

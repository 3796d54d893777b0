"""The HA stores the library runs, as plain Kubernetes dicts: a ZooKeeper ensemble, or an
etcd cluster with zetcd serving the ZooKeeper API in front of it.

Their servers are StatefulSets of one persistent volume each, reached through a headless
peer Service (stable DNS names) and a client Service; ``render.network`` admits their
traffic and ``render.disruption`` keeps their quorum through drains.
"""

from __future__ import annotations

from typing import Any

from pulumi_flink.model.layout import (
    ETCD_CLIENT_PORT,
    ETCD_DATA_DIR,
    ETCD_PEER_PORT,
    STORE_CLIENT_PORT_NAME,
    STORE_DATA_VOLUME,
    STORE_PEER_PORT_NAME,
    STORE_TMP_DIR,
    STORE_TMP_VOLUME,
    ZOOKEEPER_CLIENT_PORT,
    ZOOKEEPER_CONF_DIR,
    ZOOKEEPER_CONFIG_VOLUME,
    ZOOKEEPER_DATA_DIR,
    ZOOKEEPER_ELECTION_PORT,
    ZOOKEEPER_ELECTION_PORT_NAME,
    ZOOKEEPER_PEER_PORT,
)
from pulumi_flink.model.naming import selector_labels
from pulumi_flink.render.metadata import object_labels
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
from pulumi_flink.spec import FlinkClusterSpec, Resources, StoreSpec

Obj = dict[str, Any]

ZOOKEEPER_COMPONENT = "zookeeper"
ETCD_COMPONENT = "etcd"
ZETCD_COMPONENT = "zetcd"
# The stores run as this user, not root (the official zookeeper image's own user); the
# data volumes are group-writable for it (fsGroup). The etcd image runs as root unless told
# and needs only its data dir writable, so it runs as this user too.
STORE_UID = 1000
# zetcd keeps nothing on disk (sessions live in etcd): 'nobody'.
ZETCD_UID = 65534
# A stateless proxy in Go: a quarter CPU and 256Mi.
ZETCD_RESOURCES = Resources(cpu="250m", memory="256Mi")

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


ZOOKEEPER_CONFIG_FILE = "zoo.cfg"
ZOOKEEPER_LOGBACK_FILE = "logback.xml"
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


def zookeeper_config_files(spec: FlinkClusterSpec) -> dict[str, str]:
    """The ensemble's ConfigMap data. Its mount hides the image's own logback.xml: without
    one, ZooKeeper logs DEBUG."""
    return {ZOOKEEPER_CONFIG_FILE: zoo_cfg(spec), ZOOKEEPER_LOGBACK_FILE: ZOOKEEPER_LOGBACK}


def zookeeper_statefulset_spec(spec: FlinkClusterSpec) -> Obj:
    names = spec.names
    container: Obj = {
        "name": ZOOKEEPER_COMPONENT,
        # The server's id is its pod ordinal + 1, as zoo.cfg numbers the servers.
        "command": [
            "bash",
            "-c",
            f"echo $(( ${{HOSTNAME##*-}} + 1 )) > {ZOOKEEPER_DATA_DIR}/myid "
            f"&& exec zkServer.sh start-foreground {ZOOKEEPER_CONF_DIR}/{ZOOKEEPER_CONFIG_FILE}",
        ],
        "ports": [
            _container_port(STORE_CLIENT_PORT_NAME, ZOOKEEPER_CLIENT_PORT),
            _container_port(STORE_PEER_PORT_NAME, ZOOKEEPER_PEER_PORT),
            _container_port(ZOOKEEPER_ELECTION_PORT_NAME, ZOOKEEPER_ELECTION_PORT),
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


def _container_port(name: str, number: int) -> Obj:
    return {"name": name, "containerPort": number, "protocol": "TCP"}


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
        "ports": [_port(STORE_CLIENT_PORT_NAME, port)],
    }


ZOOKEEPER_PEER_PORTS = [
    (STORE_PEER_PORT_NAME, ZOOKEEPER_PEER_PORT), (ZOOKEEPER_ELECTION_PORT_NAME, ZOOKEEPER_ELECTION_PORT)
]
"""The ensemble's peer Service: quorum and leader election."""
ETCD_PEER_PORTS = [(STORE_CLIENT_PORT_NAME, ETCD_CLIENT_PORT), (STORE_PEER_PORT_NAME, ETCD_PEER_PORT)]
"""The etcd cluster's peer Service: each member's client and peer ports."""


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
            _container_port(STORE_CLIENT_PORT_NAME, ETCD_CLIENT_PORT),
            _container_port(STORE_PEER_PORT_NAME, ETCD_PEER_PORT),
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
        "ports": [_container_port(STORE_CLIENT_PORT_NAME, ZOOKEEPER_CLIENT_PORT)],
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

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

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .meta import TYPE_PREFIX, ensure_valid, object_metadata, wire
from .naming import selector_labels
from .pods import container_resources
from .spec import ZOOKEEPER_CLIENT_PORT, FlinkClusterSpec, Resources

ZOOKEEPER_COMPONENT = "zookeeper"
ZOOKEEPER_PEER_PORT = 2888
ZOOKEEPER_ELECTION_PORT = 3888
ZOOKEEPER_CONF_DIR = "/conf"
ZOOKEEPER_DATA_DIR = "/data"
# The official image's zookeeper user: not root, and the data volume is group-writable for it.
ZOOKEEPER_UID = 1000

Obj = dict[str, Any]


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
    zookeeper = spec.high_availability.zookeeper
    selector = selector_labels(spec.name, ZOOKEEPER_COMPONENT)
    claim: Obj = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": zookeeper.storage}}},
    }
    if zookeeper.storage_class_name:
        claim["spec"]["storageClassName"] = zookeeper.storage_class_name
    container: Obj = {
        "name": ZOOKEEPER_COMPONENT,
        "image": zookeeper.image,
        # The server's id is its pod ordinal + 1, as zoo.cfg numbers the servers.
        "command": [
            "bash", "-c",
            f"echo $(( ${{HOSTNAME##*-}} + 1 )) > {ZOOKEEPER_DATA_DIR}/myid "
            f"&& exec zkServer.sh start-foreground {ZOOKEEPER_CONF_DIR}/zoo.cfg",
        ],
        "ports": [
            {"name": "client", "containerPort": ZOOKEEPER_CLIENT_PORT, "protocol": "TCP"},
            {"name": "peer", "containerPort": ZOOKEEPER_PEER_PORT, "protocol": "TCP"},
            {"name": "election", "containerPort": ZOOKEEPER_ELECTION_PORT, "protocol": "TCP"},
        ],
        "resources": container_resources(Resources(cpu=zookeeper.cpu, memory=zookeeper.memory)),
        "volumeMounts": [
            {"name": "config", "mountPath": ZOOKEEPER_CONF_DIR, "readOnly": True},
            {"name": "data", "mountPath": ZOOKEEPER_DATA_DIR},
        ],
    }
    # Spread the servers over nodes when the cluster has enough; never refuse to schedule.
    anti_affinity = {
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
    return {
        "serviceName": names.zookeeper_peers,
        "replicas": zookeeper.replicas,
        # Servers must all be up to form the quorum the first time: start them together.
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": object_metadata(spec, names.zookeeper, ZOOKEEPER_COMPONENT)["labels"]},
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsUser": ZOOKEEPER_UID,
                    "runAsGroup": ZOOKEEPER_UID,
                    "runAsNonRoot": True,
                    "fsGroup": ZOOKEEPER_UID,
                },
                "affinity": {"podAntiAffinity": anti_affinity},
                "containers": [container],
                "volumes": [{"name": "config", "configMap": {"name": names.zookeeper}}],
            },
        },
        "volumeClaimTemplates": [claim],
    }


def _port(name: str, number: int) -> Obj:
    return {"name": name, "port": number, "targetPort": name, "protocol": "TCP"}


def zookeeper_peer_service_spec(spec: FlinkClusterSpec) -> Obj:
    """Headless: each server's stable DNS name, published before it is ready (the quorum
    forms only once the servers can reach each other)."""
    return {
        "clusterIP": "None",
        "publishNotReadyAddresses": True,
        "selector": selector_labels(spec.name, ZOOKEEPER_COMPONENT),
        "ports": [_port("peer", ZOOKEEPER_PEER_PORT), _port("election", ZOOKEEPER_ELECTION_PORT)],
    }


def zookeeper_client_service_spec(spec: FlinkClusterSpec) -> Obj:
    return {
        "type": "ClusterIP",
        "selector": selector_labels(spec.name, ZOOKEEPER_COMPONENT),
        "ports": [_port("client", ZOOKEEPER_CLIENT_PORT)],
    }


def zookeeper_disruption_budget_spec(spec: FlinkClusterSpec) -> Obj:
    """One server at a time: a majority of an odd ensemble of 3 or more always stays up."""
    return {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(spec.name, ZOOKEEPER_COMPONENT)}}


class ZooKeeperEnsemble(pulumi.ComponentResource):
    """A ZooKeeper ensemble for one Flink cluster: ConfigMap, StatefulSet with a persistent
    volume per server, a headless peer Service, a client Service and a disruption budget.

    ``quorum`` is the connection string Flink uses (every server by name).
    """

    config_map: k8s.core.v1.ConfigMap
    stateful_set: k8s.apps.v1.StatefulSet
    peer_service: k8s.core.v1.Service
    client_service: k8s.core.v1.Service
    disruption_budget: k8s.policy.v1.PodDisruptionBudget
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
            data={"zoo.cfg": zoo_cfg(spec)},
            opts=child,
        )
        self.peer_service = k8s.core.v1.Service(
            f"{name}-peers",
            metadata=wire(object_metadata(spec, names.zookeeper_peers, ZOOKEEPER_COMPONENT)),
            spec=wire(zookeeper_peer_service_spec(spec)),
            opts=child,
        )
        self.client_service = k8s.core.v1.Service(
            f"{name}-client",
            metadata=wire(object_metadata(spec, names.zookeeper, ZOOKEEPER_COMPONENT)),
            spec=wire(zookeeper_client_service_spec(spec)),
            opts=child,
        )
        self.stateful_set = k8s.apps.v1.StatefulSet(
            f"{name}-statefulset",
            metadata=wire(object_metadata(spec, names.zookeeper, ZOOKEEPER_COMPONENT)),
            spec=wire(zookeeper_statefulset_spec(spec)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.config_map, self.peer_service]),
        )
        self.disruption_budget = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=wire(object_metadata(spec, names.zookeeper, ZOOKEEPER_COMPONENT)),
            spec=wire(zookeeper_disruption_budget_spec(spec)),
            opts=child,
        )
        self.register_outputs({"quorum": self.quorum})


def ha_cleanup_hint(spec: FlinkClusterSpec, cluster_id: str) -> str:
    """What identifies a destroyed incarnation's leftover HA data, for manual cleanup."""
    ha = spec.high_availability
    storage = f"{(ha.storage_dir or '').rstrip('/')}/ha/{cluster_id}"
    if ha.type == "zookeeper":
        return f"ZooKeeper node {ha.path_root}/{cluster_id}; files under {storage}"
    config_map_owner = spec.name if spec.native else cluster_id
    return (
        f"ConfigMaps -l app={config_map_owner},configmap-type=high-availability in namespace "
        f"{spec.namespace}; files under {storage}"
    )


class FlinkHighAvailability(pulumi.ComponentResource):
    """The HA cluster id of this incarnation, and the ZooKeeper ensemble when the library runs one.

    The id is ``highAvailability.clusterId`` when given; otherwise ``<name>-<8 hex digits>``
    from a ``random.RandomId`` whose keepers are the cluster name, namespace and store: the
    same across ordinary updates, new after ``pulumi destroy`` and ``pulumi up``, or when
    the store changes. ``cleanup`` says where a destroyed incarnation's HA data stays.
    """

    cluster_id: pulumi.Output[str]
    cleanup: pulumi.Output[str]
    ensemble: ZooKeeperEnsemble | None

    def __init__(self, name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkHighAvailability", name, None, opts)
        ha = spec.high_availability
        child = pulumi.ResourceOptions(parent=self)
        if ha.cluster_id is not None:
            self.cluster_id = pulumi.Output.from_input(ha.cluster_id)
        else:
            incarnation = random.RandomId(
                f"{name}-cluster-id",
                byte_length=4,
                keepers={"cluster": spec.name, "namespace": spec.namespace, "store": ha.type},
                opts=child,
            )
            self.cluster_id = incarnation.hex.apply(lambda digits: f"{spec.name}-{digits}")
        self.ensemble = None
        if ha.type == "zookeeper" and ha.zookeeper.existing_quorum is None:
            self.ensemble = ZooKeeperEnsemble(f"{name}-zookeeper", spec, opts=child)
        self.cleanup = self.cluster_id.apply(lambda cluster_id: ha_cleanup_hint(spec, cluster_id))
        self.register_outputs({"clusterId": self.cluster_id, "cleanup": self.cleanup})

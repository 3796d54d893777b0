"""High availability: the store Flink elects its leader in, and the HA cluster id.

- ``ZooKeeperEnsemble``: a ZooKeeper StatefulSet of odd size with its peer and client
  Services and a disruption budget that keeps the quorum; usable on its own.
- ``EtcdCluster`` and ``Zetcd``: the same for etcd, and zetcd serving the ZooKeeper API
  from it.
- ``FlinkHighAvailability``: per cluster, the HA cluster id of this incarnation (drawn by
  pulumi-random, so a destroyed and re-created cluster never recovers an old job from
  leftover HA data) and, for ``type: zookeeper`` without an existing quorum or
  ``type: zetcd``, the store.
- ``FlinkHaStore``: per-job mode's store, which every job cluster shares.

The objects' bodies are ``render.stores``'. Kubernetes HA needs no store: Flink keeps its
leader and metadata in ConfigMaps, which the Role allows (``render.rbac.role_rules``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from pulumi_flink.model.layout import ETCD_CLIENT_PORT, ZOOKEEPER_CLIENT_PORT
from pulumi_flink.render.disruption import disruption_budget_spec
from pulumi_flink.render.flink_config import HA_ID_RANDOM_BYTES, ha_cleanup_hint
from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.render.stores import (
    ETCD_COMPONENT,
    ETCD_PEER_PORTS,
    ZETCD_COMPONENT,
    ZOOKEEPER_COMPONENT,
    ZOOKEEPER_PEER_PORTS,
    Obj,
    client_service_spec,
    etcd_statefulset_spec,
    peer_service_spec,
    zetcd_deployment_spec,
    zookeeper_config_files,
    zookeeper_statefulset_spec,
)
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec


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
            spec=wire(disruption_budget_spec(spec, component, evict_unhealthy=False)),
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
            data=zookeeper_config_files(spec),
            opts=child,
        )
        self._register_store(
            name,
            spec,
            ZOOKEEPER_COMPONENT,
            names.zookeeper,
            names.zookeeper_peers,
            ZOOKEEPER_PEER_PORTS,
            ZOOKEEPER_CLIENT_PORT,
            zookeeper_statefulset_spec(spec),
            needs=[self.config_map],
        )
        self.register_outputs({"quorum": self.quorum})


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
            ETCD_PEER_PORTS,
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


StoreOptions = Callable[[str], pulumi.ResourceOptions]
"""The options of a store's component, by its name ('zookeeper', 'etcd', 'zetcd')."""


def create_store(
    name: str, spec: FlinkClusterSpec, options_of: StoreOptions
) -> tuple[ZooKeeperEnsemble | None, EtcdCluster | None, Zetcd | None]:
    """The store the spec's HA type runs, if the library runs one: ``<name>-zookeeper``, or
    ``<name>-etcd`` and ``<name>-zetcd``."""
    components = spec.high_availability.store_components
    ensemble = etcd = zetcd = None
    if ZOOKEEPER_COMPONENT in components:
        ensemble = ZooKeeperEnsemble(
            f"{name}-{ZOOKEEPER_COMPONENT}", spec, opts=options_of(ZOOKEEPER_COMPONENT)
        )
    if ETCD_COMPONENT in components:
        etcd = EtcdCluster(f"{name}-{ETCD_COMPONENT}", spec, opts=options_of(ETCD_COMPONENT))
    if ZETCD_COMPONENT in components:
        zetcd = Zetcd(f"{name}-{ZETCD_COMPONENT}", spec, opts=options_of(ZETCD_COMPONENT))
    return ensemble, etcd, zetcd


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
        self.ensemble, self.etcd, self.zetcd = create_store(name, spec, lambda _: child)

        self.cleanup = self.ha_cluster_id.apply(lambda ha_cluster_id: ha_cleanup_hint(spec, ha_cluster_id))
        self.register_outputs({"haClusterId": self.ha_cluster_id, "cleanup": self.cleanup})


class FlinkHaStore(pulumi.ComponentResource):
    """Per-job mode: the store every job cluster shares (each job cluster keeps its own
    ``FlinkHighAvailability``, for its own HA cluster id). Named ``<cluster>-ha`` under the
    ``FlinkCluster``, as a session cluster's ``FlinkHighAvailability`` is, so the store's
    components are named alike in every mode: ``<cluster>-ha-zookeeper``, or
    ``<cluster>-ha-etcd`` and ``<cluster>-ha-zetcd``.

    ``earlier_name``: the store's components were once children of this component's parent,
    named ``<earlier_name>-<component>`` (per-job clusters before the store had a component of
    its own). Each gets an alias for that parent and name, which its children inherit (the
    engine puts the alias's name in place of the component's name at the start of theirs), so
    a stack made then updates in place: only this component itself is new.
    """

    ensemble: ZooKeeperEnsemble | None
    etcd: EtcdCluster | None
    zetcd: Zetcd | None

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        earlier_name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkHaStore", name, None, opts)
        parent = opts.parent if opts is not None else None
        earlier_parent = parent if parent is not None else pulumi.ROOT_STACK_RESOURCE

        def options_of(component: str) -> pulumi.ResourceOptions:
            if earlier_name is None:
                return pulumi.ResourceOptions(parent=self)
            earlier = pulumi.Alias(name=f"{earlier_name}-{component}", parent=earlier_parent)
            return pulumi.ResourceOptions(parent=self, aliases=[earlier])

        self.ensemble, self.etcd, self.zetcd = create_store(name, spec, options_of)
        self.register_outputs({})

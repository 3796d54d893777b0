"""NetworkPolicies, as plain Kubernetes dicts, that admit only the traffic each part of a
cluster needs (``networkPolicy``, on by default; registered by ``resources.network``).

Ingress, per session or application cluster (per-job mode: per job cluster, each on its own):

- JobManagers (``<cluster>-jobmanager``): RPC (``ports.rpc``, also the HA JobManager port),
  blob and REST from the cluster's own JobManager, TaskManager and, per-job, submitter pods
  (a standby JobManager's REST handlers reach the leader over RPC; the submitter submits over
  REST); REST also from ``networkPolicy.restFrom``; the metrics port from ``metricsFrom``.
- TaskManagers (``<cluster>-taskmanager``; native TaskManagers carry the same labels from
  the pod template): RPC and data from the cluster's own pods; metrics from ``metricsFrom``.
- Per-job mode's submitter (``<cluster>-submitter``): nothing; it only connects out.

The library's HA stores, ingress and egress (they talk to nobody else):

- ZooKeeper (``<owner>-zookeeper``): clients (2181) from the Flink pods of every cluster that
  uses the ensemble (per-job: every job cluster, submitters included, since ``flink run``
  finds the leading JobManager in ZooKeeper); quorum and election (2888, 3888) from and to
  its own servers; DNS.
- etcd (``<owner>-etcd``): clients (2379) from zetcd; peers (2380) from and to its members; DNS.
- zetcd (``<owner>-zetcd``): clients (2181) from the Flink pods; to etcd's client port; DNS.

Egress of the Flink pods stays open: they need the object store (checkpoints, HA storage),
the Kubernetes API (native mode, Kubernetes HA), an existing ZooKeeper quorum and the job's
sources and sinks, none of whose addresses the library knows; a policy listing only some would
break the rest. Replies to admitted connections always pass.

Pods are selected by the labels that select them everywhere else (``app.kubernetes.io/name``,
``instance``, ``component``), never by user labels, so another cluster's pods in the same
namespace are strangers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_flink.model.layout import (
    ETCD_CLIENT_PORT,
    ETCD_PEER_PORT,
    ZOOKEEPER_CLIENT_PORT,
    ZOOKEEPER_ELECTION_PORT,
    ZOOKEEPER_PEER_PORT,
)
from pulumi_flink.model.naming import APP_NAME, COMPONENT_LABEL, INSTANCE_LABEL, NAME_LABEL, selector_labels
from pulumi_flink.render.pods import SUBMITTER_COMPONENT
from pulumi_flink.spec import FlinkClusterSpec

Obj = dict[str, Any]

NETWORK_COMPONENT = "network"
"""The component label of the NetworkPolicy objects themselves."""
FLINK_COMPONENTS = ("jobmanager", "taskmanager")
DNS_PORT = 53
ZOOKEEPER_PORTS = (ZOOKEEPER_PEER_PORT, ZOOKEEPER_ELECTION_PORT)
"""Quorum and leader election, between the ensemble's own servers."""


def _ports(*numbers: int, protocol: str = "TCP") -> list[Obj]:
    return [{"protocol": protocol, "port": number} for number in numbers]


def flink_pods(clusters: Sequence[str], components: Sequence[str]) -> Obj:
    """A podSelector for the ``components`` pods of ``clusters`` (by their instance label)."""
    def among(key: str, values: Sequence[str]) -> Obj:
        return {"key": key, "operator": "In", "values": sorted(values)}

    labels = {NAME_LABEL: APP_NAME}
    expressions: list[Obj] = []
    if len(clusters) == 1:
        labels[INSTANCE_LABEL] = clusters[0]
    else:
        expressions.append(among(INSTANCE_LABEL, clusters))
    expressions.append(among(COMPONENT_LABEL, components))
    return {"matchLabels": labels, "matchExpressions": expressions}


def _from(*selectors: Obj) -> list[Obj]:
    return [{"podSelector": selector} for selector in selectors]


def _policy(
    spec: FlinkClusterSpec, selected: str, ingress: list[Obj], egress: list[Obj] | None = None
) -> Obj:
    """Ingress only (egress left open) unless ``egress`` is given."""
    body: Obj = {
        "podSelector": {"matchLabels": selector_labels(spec.name, selected)},
        "policyTypes": ["Ingress"] if egress is None else ["Ingress", "Egress"],
        # A rule without peers would admit everyone: an empty restFrom or metricsFrom adds none.
        "ingress": [rule for rule in ingress if rule["from"]],
    }
    if egress is not None:
        body["egress"] = [rule for rule in egress if rule["to"]]
    return body


def cluster_policies(spec: FlinkClusterSpec, submitter: bool = False) -> dict[str, Obj]:
    """component -> NetworkPolicy spec for the JobManager and TaskManager pods of one session
    or application cluster. ``submitter``: per-job mode's client pod is one of its own."""
    network = spec.network_policy
    ports = spec.ports
    own = flink_pods([spec.name], [*FLINK_COMPONENTS, *([SUBMITTER_COMPONENT] if submitter else [])])
    metrics: list[Obj] = []
    if spec.metrics.enabled:
        metrics = [{"from": list(network.metrics_from), "ports": _ports(spec.metrics.port)}]
    jobmanager = [
        {"from": _from(own), "ports": _ports(ports.rpc, ports.blob, ports.rest)},
        {"from": list(network.rest_from), "ports": _ports(ports.rest)},
        *metrics,
    ]
    taskmanager = [
        {"from": _from(own), "ports": _ports(ports.task_manager_rpc, ports.task_manager_data)},
        *metrics,
    ]
    policies = {
        "jobmanager": _policy(spec, "jobmanager", jobmanager),
        "taskmanager": _policy(spec, "taskmanager", taskmanager),
    }
    if submitter:
        # A client: nothing connects to it. Selecting it with no rule denies all ingress.
        policies[SUBMITTER_COMPONENT] = _policy(spec, SUBMITTER_COMPONENT, [])
    return policies


def _dns(spec: FlinkClusterSpec) -> Obj:
    return {"to": list(spec.network_policy.dns_to),
            "ports": [*_ports(DNS_PORT, protocol="UDP"), *_ports(DNS_PORT)]}


def store_policies(spec: FlinkClusterSpec) -> dict[str, Obj]:
    """component -> NetworkPolicy spec for the HA store the spec runs (none for an existing
    quorum). Its clients: the cluster's own Flink pods, or in per-job mode every job cluster's."""
    ha = spec.high_availability
    if spec.mode == "per-job":
        clients = flink_pods(
            [spec.job_cluster(job).name for job in spec.jobs], [*FLINK_COMPONENTS, SUBMITTER_COMPONENT]
        )
    else:
        clients = flink_pods([spec.name], FLINK_COMPONENTS)
    dns = _dns(spec)
    policies: dict[str, Obj] = {}
    if "zookeeper" in ha.store_components:
        servers = {"matchLabels": selector_labels(spec.name, "zookeeper")}
        policies["zookeeper"] = _policy(
            spec, "zookeeper",
            [{"from": _from(clients), "ports": _ports(ZOOKEEPER_CLIENT_PORT)},
             {"from": _from(servers), "ports": _ports(*ZOOKEEPER_PORTS)}],
            [{"to": _from(servers), "ports": _ports(*ZOOKEEPER_PORTS)}, dns],
        )
    if "etcd" in ha.store_components:
        etcd = {"matchLabels": selector_labels(spec.name, "etcd")}
        zetcd = {"matchLabels": selector_labels(spec.name, "zetcd")}
        policies["etcd"] = _policy(
            spec, "etcd",
            [{"from": _from(zetcd), "ports": _ports(ETCD_CLIENT_PORT)},
             {"from": _from(etcd), "ports": _ports(ETCD_PEER_PORT)}],
            [{"to": _from(etcd), "ports": _ports(ETCD_PEER_PORT)}, dns],
        )
        policies["zetcd"] = _policy(
            spec, "zetcd",
            [{"from": _from(clients), "ports": _ports(ZOOKEEPER_CLIENT_PORT)}],
            [{"to": _from(etcd), "ports": _ports(ETCD_CLIENT_PORT)}, dns],
        )
    return policies


def network_policies(spec: FlinkClusterSpec, submitter: bool = False) -> dict[str, Obj]:
    """component -> NetworkPolicy spec of everything ``spec`` creates itself: a per-job
    cluster's shared store only (each job cluster makes its own); otherwise the Flink pods'
    and the store's. Empty with ``networkPolicy.enabled: false``."""
    if not spec.network_policy.enabled:
        return {}
    if spec.mode == "per-job":
        return store_policies(spec)
    return {**cluster_policies(spec, submitter), **store_policies(spec)}

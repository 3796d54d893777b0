"""How the cluster is reached: its ports, the REST Service, and the NetworkPolicies."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator

from pulumi_flink.model.kubernetes_types import is_label_value
from pulumi_flink.model.layout import BLOB_PORT_NAME, DATA_PORT_NAME, REST_PORT_NAME, RPC_PORT_NAME
from pulumi_flink.model.text import control_characters
from pulumi_flink.spec.base import MAX_PORT, SpecModel, _check_label_key, _fix


class Ports(SpecModel):
    """Container ports. Defaults are those of Flink's own Kubernetes examples."""

    rpc: int = Field(default=6123, ge=1, le=MAX_PORT)
    """``jobmanager.rpc.port``."""
    blob: int = Field(default=6124, ge=1, le=MAX_PORT)
    """``blob.server.port``: fixed, so the internal Service can carry it."""
    rest: int = Field(default=8081, ge=1, le=MAX_PORT)
    """``rest.port``: REST API and web UI."""
    task_manager_rpc: int = Field(default=6122, ge=1, le=MAX_PORT)
    """``taskmanager.rpc.port``."""
    task_manager_data: int = Field(default=6121, ge=1, le=MAX_PORT)
    """``taskmanager.data.port``: fixed instead of Flink's random port, so policies can name it."""

    @property
    def jobmanager_ports(self) -> dict[str, int]:
        return {RPC_PORT_NAME: self.rpc, BLOB_PORT_NAME: self.blob, REST_PORT_NAME: self.rest}

    @property
    def taskmanager_ports(self) -> dict[str, int]:
        return {RPC_PORT_NAME: self.task_manager_rpc, DATA_PORT_NAME: self.task_manager_data}


class RestSpec(SpecModel):
    """How the REST endpoint (API and web UI) is exposed. Default: a ClusterIP Service."""

    exposure: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    """Type of the REST Service: 'ClusterIP' (in-cluster only), 'NodePort' or 'LoadBalancer'."""
    node_port: int | None = Field(default=None, ge=30000, le=32767)
    """Fixed node port (30000-32767), with ``exposure: NodePort`` only; unset lets Kubernetes pick one."""
    annotations: dict[str, str] = {}
    """Annotations on the REST Service, e.g. for a cloud load balancer."""

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            _check_label_key(key)
        return value


_PEER_KEYS = ("podSelector", "namespaceSelector", "ipBlock")
_SELECTOR_KEYS = ("matchLabels", "matchExpressions")
# The cluster DNS of kubeadm, EKS, GKE and AKS: CoreDNS (or kube-dns) pods labelled
# k8s-app=kube-dns in kube-system.
KUBE_DNS_PEER: dict[str, Any] = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def _check_peers(peers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry a Kubernetes NetworkPolicyPeer: podSelector and/or namespaceSelector, or an ipBlock."""
    fix = (
        "write a NetworkPolicyPeer: podSelector and/or namespaceSelector (each with matchLabels or "
        "matchExpressions), or ipBlock with a cidr"
    )
    for index, peer in enumerate(peers):
        keys = set(peer)
        if not keys or keys - set(_PEER_KEYS):
            raise _fix(f"entry [{index}] has keys {sorted(keys)}, not a NetworkPolicyPeer's.", fix)
        if "ipBlock" in keys and len(keys) > 1:
            raise _fix(f"entry [{index}] combines ipBlock with a selector.", "give them as separate entries")
        for key in keys & {"podSelector", "namespaceSelector"}:
            selector = peer[key]
            if not isinstance(selector, dict) or set(selector) - set(_SELECTOR_KEYS):
                raise _fix(f"entry [{index}].{key} is not a label selector.", fix)
            labels = selector.get("matchLabels", {})
            if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
                raise _fix(f"entry [{index}].{key}.matchLabels is not a mapping of labels.", fix)
            for label in labels:
                try:
                    _check_label_key(label)
                except ValueError as exc:
                    raise _fix(f"entry [{index}].{key}: {exc}.", "use the label's exact key") from None
                if not is_label_value(labels[label]):
                    raise _fix(f"entry [{index}].{key}.matchLabels: {label}={labels[label]!r} is not a "
                               "label value.", "use at most 63 letters, digits, '-', '_' or '.'")
        block = peer.get("ipBlock")
        if "ipBlock" in keys and not (isinstance(block, dict) and isinstance(block.get("cidr"), str)):
            raise _fix(f"entry [{index}].ipBlock has no cidr.", "write e.g. ipBlock: {cidr: 10.0.0.0/8}")
        if isinstance(block, dict):
            excepted = block.get("except", [])
            if not isinstance(excepted, list):
                raise _fix(f"entry [{index}].ipBlock.except is not a list.", "write a list of CIDRs")
            for cidr in [block["cidr"], *excepted]:
                if not _is_cidr(cidr):
                    raise _fix(f"entry [{index}].ipBlock: {cidr!r} is not a CIDR.",
                               "write an address and a prefix length, e.g. 10.0.0.0/8 or fd00::/8")
    return peers


def _is_cidr(text: object) -> bool:
    """An IPv4 or IPv6 CIDR as Kubernetes parses one (address/prefix; host bits allowed)."""
    if not isinstance(text, str) or "/" not in text or control_characters(text):
        return False
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


class NetworkPolicySpec(SpecModel):
    """Kubernetes NetworkPolicies that let only the traffic each part of the cluster needs reach
    its pods. Default: on, the REST API reachable only from the cluster's own pods.

    Per cluster (per-job mode: per job cluster): the JobManagers accept RPC, blob and REST
    from the cluster's own JobManager, TaskManager and (per-job) submitter pods; the
    TaskManagers accept RPC and data from them. ``restFrom`` adds who may reach REST,
    ``metricsFrom`` who may scrape ``metrics.port``. The library's ZooKeeper, etcd and zetcd
    accept clients only from the Flink pods that use them and peers only from each other,
    and send only to their peers and DNS (``dnsTo``). The Flink pods' egress stays open:
    they reach the object store, the Kubernetes API (native mode, Kubernetes HA) and your
    sources and sinks, whose addresses the library cannot know. Enforced only where the
    cluster's network plugin implements NetworkPolicy (Calico, Cilium, ...).
    """

    enabled: bool = True
    """Create the NetworkPolicies. False: none; every pod may reach the Flink and store pods
    unless policies of your own say otherwise."""
    rest_from: list[dict[str, Any]] = []
    """Who may reach the REST API and web UI (``ports.rest``) besides the cluster's own pods:
    Kubernetes NetworkPolicyPeer objects, e.g. ``{namespaceSelector: {matchLabels:
    {kubernetes.io/metadata.name: airflow}}}`` or ``{ipBlock: {cidr: 10.0.0.0/8}}`` (clients
    of a NodePort or LoadBalancer). Empty: only the cluster's own pods (and ``kubectl
    port-forward``, which enters through the kubelet, not the pod network)."""
    metrics_from: list[dict[str, Any]] = []
    """Who may scrape the metrics port (``metrics.port``) of the JobManagers and
    TaskManagers: NetworkPolicyPeers naming your Prometheus, e.g. ``{namespaceSelector:
    {matchLabels: {kubernetes.io/metadata.name: monitoring}}, podSelector: {matchLabels:
    {app.kubernetes.io/name: prometheus}}}``. Empty: nobody; required with
    ``metrics.podMonitor`` or ``metrics.serviceMonitor``."""
    dns_to: list[dict[str, Any]] = [KUBE_DNS_PEER]
    """Where the library's ZooKeeper, etcd and zetcd pods may send DNS queries (UDP and TCP
    53), besides their peers the only egress they have: the ``k8s-app: kube-dns`` pods in
    ``kube-system``. Change it for another DNS, e.g. ``[{ipBlock: {cidr: 169.254.20.10/32}}]``
    for NodeLocal DNSCache."""

    @field_validator("rest_from", "metrics_from", "dns_to")
    @classmethod
    def _peers(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _check_peers(value)

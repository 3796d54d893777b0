"""Node objects as a kubelet registers its own: capacity, allocatable, labels, the Ready
condition, an address, a pod CIDR; and the Lease a kubelet renews every few seconds in
``kube-node-lease`` (the node lifecycle controller lifts a new Node's not-ready taint on
that, and would taint a silent one)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LEASE_NAMESPACE = "kube-node-lease"
LEASE_SECONDS = 40
HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class NodeSpec:
    """One Node: its name, where it is (zone), what it offers, and extra labels."""

    name: str
    zone: str = "zone-a"
    cpu: str = "8"
    memory: str = "32Gi"
    pods: int = 110
    labels: Mapping[str, str] = field(default_factory=dict)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def node_object(node: NodeSpec, address: str, pod_cidr: str | None = None) -> dict[str, Any]:
    """The Node as its kubelet registers it; ``address`` is its InternalIP."""
    resources = {"cpu": node.cpu, "memory": node.memory, "pods": str(node.pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node.name,
            "labels": {
                HOSTNAME_LABEL: node.name,
                ZONE_LABEL: node.zone,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                **node.labels,
            },
        },
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]} if pod_cidr else {},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "addresses": [{"type": "InternalIP", "address": address},
                          {"type": "Hostname", "address": node.name}],
            "conditions": conditions(),
            "nodeInfo": {"kubeletVersion": "test-agent", "operatingSystem": "linux", "architecture": "amd64",
                         "containerRuntimeVersion": "processes://local", "kubeProxyVersion": "",
                         "machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "",
                         "osImage": "pulumi-flink test agent"},
        },
    }


def conditions() -> list[dict[str, str]]:
    now = _now()
    healthy = [("MemoryPressure", "False"), ("DiskPressure", "False"), ("PIDPressure", "False"),
               ("Ready", "True")]
    return [
        {"type": kind, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": now,
         "reason": "TestAgent", "message": "the pulumi-flink test agent"}
        for kind, status in healthy
    ]


def lease(node: NodeSpec) -> dict[str, Any]:
    """The node's Lease, renewed now."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": node.name, "namespace": LEASE_NAMESPACE},
        "spec": {"holderIdentity": node.name, "leaseDurationSeconds": LEASE_SECONDS,
                 "renewTime": _micro_now()},
    }

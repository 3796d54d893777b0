"""The test node agent, part one: Nodes the scheduler can place pods on.

It registers Node objects as a kubelet registers its own (capacity, allocatable, labels, the
Ready condition, an address) and keeps each one's Lease in ``kube-node-lease`` and its
conditions' heartbeat fresh, as a kubelet does every few seconds (the node lifecycle
controller lifts a new Node's not-ready taint on that, and would taint a silent one). Running
the pods bound to its Nodes is not here yet: they stay Pending, bound. When such a pod is
deleted, the agent finishes the deletion as a kubelet does once the pod's containers are gone
(here none ever ran): without it, a bound pod, and its namespace, would never go.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.support.kubernetes_api import KubernetesApi

LEASE_NAMESPACE = "kube-node-lease"
LEASE_SECONDS = 40
HEARTBEAT_SECONDS = 5.0
REAP_SECONDS = 0.5
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
    address: str = "192.0.2.10"
    """Its InternalIP: a documentation address (TEST-NET-1) nothing ever sends traffic to."""
    labels: Mapping[str, str] = field(default_factory=dict)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def node_object(node: NodeSpec) -> dict[str, Any]:
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
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "addresses": [{"type": "InternalIP", "address": node.address},
                          {"type": "Hostname", "address": node.name}],
            "conditions": _conditions(),
            "nodeInfo": {"kubeletVersion": "test-agent", "operatingSystem": "linux", "architecture": "amd64",
                         "containerRuntimeVersion": "processes://local", "kubeProxyVersion": "",
                         "machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "",
                         "osImage": "pulumi-flink test agent"},
        },
    }


def _conditions() -> list[dict[str, str]]:
    now = _now()
    healthy = [("MemoryPressure", "False"), ("DiskPressure", "False"), ("PIDPressure", "False"),
               ("Ready", "True")]
    return [
        {"type": kind, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": now,
         "reason": "TestAgent", "message": "the pulumi-flink test agent"}
        for kind, status in healthy
    ]


class NodeAgent:
    """Registers ``nodes``, keeps them fresh from a thread, and removes them on ``stop``."""

    def __init__(self, api: KubernetesApi, nodes: Sequence[NodeSpec]) -> None:
        self.api = api
        self.nodes = list(nodes)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.heartbeats = 0

    def start(self) -> None:
        for node in self.nodes:
            answer = self.api.request("POST", "/api/v1/nodes", json=node_object(node))
            assert answer.ok, f"node {node.name}: {answer.message}"
            self._renew_lease(node)
        self._thread = threading.Thread(target=self._beat, name="node-agent-heartbeat", daemon=True)
        self._thread.start()

    def _renew_lease(self, node: NodeSpec) -> None:
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": node.name, "namespace": LEASE_NAMESPACE},
            "spec": {"holderIdentity": node.name, "leaseDurationSeconds": LEASE_SECONDS,
                     "renewTime": _micro_now()},
        }
        answer = self.api.apply(lease)
        assert answer.ok, f"lease {node.name}: {answer.message}"

    def _beat(self) -> None:
        last_beat = time.monotonic()
        while not self._stopping.wait(REAP_SECONDS):
            with contextlib.suppress(OSError, AssertionError):
                self.reap()
            if time.monotonic() - last_beat < HEARTBEAT_SECONDS:
                continue
            last_beat = time.monotonic()
            for node in self.nodes:
                with contextlib.suppress(OSError, AssertionError):
                    self._renew_lease(node)
                    self.api.request(
                        "PATCH", f"/api/v1/nodes/{node.name}/status",
                        json={"status": {"conditions": _conditions()}},
                        headers={"Content-Type": "application/strategic-merge-patch+json"},
                    )
            self.heartbeats += 1

    def reap(self) -> list[str]:
        """Finish the deletion of every pod of these Nodes that is being deleted."""
        reaped = []
        for node in self.nodes:
            selector = {"fieldSelector": f"spec.nodeName={node.name}"}
            answer = self.api.request("GET", "/api/v1/pods", params=selector)
            for pod in answer.body.get("items", []):
                metadata = pod["metadata"]
                if not metadata.get("deletionTimestamp"):
                    continue
                self.api.delete(
                    "v1", "Pod", metadata["name"], metadata["namespace"],
                    gracePeriodSeconds=0, preconditions={"uid": metadata["uid"]},
                )
                reaped.append(f"{metadata['namespace']}/{metadata['name']}")
        return reaped

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_SECONDS * 2)
        for node in self.nodes:
            self.api.delete("v1", "Node", node.name)
            self.api.delete("coordination.k8s.io/v1", "Lease", node.name, LEASE_NAMESPACE)


@contextlib.contextmanager
def nodes_of(api: KubernetesApi, nodes: Sequence[NodeSpec]) -> Iterator[NodeAgent]:
    agent = NodeAgent(api, nodes)
    try:
        agent.start()
        yield agent
    finally:
        agent.stop()

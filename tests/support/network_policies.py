"""NetworkPolicies evaluated the way Kubernetes does, over the rendered pods.

A pod selected by any policy of its namespace for Ingress (Egress) is isolated in that
direction, and a connection is admitted when some rule of a policy selecting the pod admits it
(peers by podSelector, namespaceSelector, both, or ipBlock; ports by number, name or range; an
empty or missing ``from``/``to`` or ``ports`` means all); a connection needs both the source's
egress and the destination's ingress. Pods are the rendered pod templates (Deployments, Jobs,
StatefulSets, and native mode's TaskManager pod template with the labels Flink adds).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Obj = dict[str, Any]
PROMETHEUS_NS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
# The labels Flink's native resource manager adds to the TaskManager pods it builds.
NATIVE_TASKMANAGER_LABELS = {"type": "flink-native-kubernetes", "component": "taskmanager"}


@dataclass(frozen=True)
class Endpoint:
    """A pod (``namespace`` set) or a client outside the cluster (``namespace`` None)."""

    name: str
    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)
    """Named container ports."""
    ip: str = "10.244.0.1"


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (an empty one selects everything)."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        present, value = key in labels, labels.get(key)
        ok = {
            "In": present and value in expression.get("values", []),
            "NotIn": not present or value not in expression.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not ok:
            return False
    return True


def namespace_labels(namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": namespace}


def peer_matches(peer: Mapping[str, Any], policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(cidr) for cidr in block.get("except", [])
        )
    if other.namespace is None:
        return False  # selectors name pods, never clients outside the cluster
    namespace_selector = peer.get("namespaceSelector")
    in_namespace = (
        other.namespace == policy_namespace
        if namespace_selector is None
        else selects(namespace_selector, namespace_labels(other.namespace))
    )
    pod_selector = peer.get("podSelector")
    return in_namespace and (pod_selector is None or selects(pod_selector, other.labels))


def port_matches(
    rule_ports: Sequence[Mapping[str, Any]] | None, port: int, protocol: str, target: Endpoint
) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        number = entry.get("port")
        if number is None:
            return True
        if isinstance(number, str):
            number = target.ports.get(number)
            if number is None:
                continue
        if number <= port <= entry.get("endPort", number):
            return True
    return False


def policy_types(policy: Mapping[str, Any]) -> list[str]:
    spec = policy["spec"]
    return list(spec.get("policyTypes") or ["Ingress", *(["Egress"] if "egress" in spec else [])])


@dataclass
class Network:
    policies: list[Obj]
    pods: list[Endpoint]

    def pod(self, name: str) -> Endpoint:
        (found,) = [p for p in self.pods if p.name == name]
        return found

    def _admits(self, kind: str, selected: Endpoint, other: Endpoint, port: int, protocol: str,
                target: Endpoint) -> bool:
        if selected.namespace is None:
            return True  # clients outside the cluster are not ours to isolate
        applying = [
            p for p in self.policies
            if p["metadata"]["namespace"] == selected.namespace
            and kind in policy_types(p)
            and selects(p["spec"]["podSelector"], selected.labels)
        ]
        if not applying:
            return True
        rules_key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
        return any(
            (not rule.get(peers_key) or any(
                peer_matches(peer, policy["metadata"]["namespace"], other) for peer in rule[peers_key]))
            and port_matches(rule.get("ports"), port, protocol, target)
            for policy in applying
            for rule in policy["spec"].get(rules_key, [])
        )

    def allowed(self, source: str | Endpoint, destination: str | Endpoint, port: int,
                protocol: str = "TCP") -> bool:
        src = self.pod(source) if isinstance(source, str) else source
        dst = self.pod(destination) if isinstance(destination, str) else destination
        return self._admits("Egress", src, dst, port, protocol, dst) and self._admits(
            "Ingress", dst, src, port, protocol, dst)


def container_ports(pod: Mapping[str, Any]) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for c in pod["containers"] for p in c.get("ports", [])}


def rendered_pods(objects: Sequence[Mapping[str, Any]]) -> list[Endpoint]:
    """One endpoint per workload's pod template (named after the workload), and per native
    TaskManager pod template (named ``<cluster>-taskmanager``, with Flink's labels and RPC port)."""
    pods = []
    for obj in objects:
        namespace = obj["metadata"]["namespace"]
        if obj["kind"] in ("Deployment", "Job", "StatefulSet"):
            template = obj["spec"]["template"]
            pods.append(Endpoint(obj["metadata"]["name"], namespace, template["metadata"]["labels"],
                                 container_ports(template["spec"])))
        elif obj["kind"] == "ConfigMap" and "taskmanager-pod-template.yaml" in obj.get("data", {}):
            template = yaml.safe_load(obj["data"]["taskmanager-pod-template.yaml"])
            cluster = template["metadata"]["labels"]["app.kubernetes.io/instance"]
            labels = {**template["metadata"]["labels"], **NATIVE_TASKMANAGER_LABELS, "app": cluster}
            ports = {**container_ports(template["spec"]), "taskmanager-rpc": 6122}  # Flink adds it
            pods.append(Endpoint(f"{cluster}-taskmanager", namespace, labels, ports))
    return pods

"""The test node agent as the control plane sees it: its Nodes become schedulable (the node
lifecycle controller lifts the not-ready taint on its Ready condition), their Leases are
renewed, a deleted pod bound to them goes, and stopping the agent removes its Nodes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.control_plane import ControlPlane
from tests.support.kubernetes_cluster import delete_namespace, make_namespace
from tests.support.node.agent import nodes_of
from tests.support.node.registration import LEASE_NAMESPACE, NodeSpec

pytestmark = pytest.mark.kubernetes

NODES = [NodeSpec("agent-a", zone="zone-a"), NodeSpec("agent-b", zone="zone-b")]
TIMEOUT_SECONDS = 30.0


def wait_for(what: str, check: object) -> None:
    assert callable(check)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} within {TIMEOUT_SECONDS:.0f}s"
        time.sleep(0.2)


def test_the_agent_s_nodes_take_pods_and_stay_fresh(control_plane: ControlPlane) -> None:
    api = control_plane.api
    assert api is not None

    def node_of(name: str) -> dict[str, Any]:
        body: dict[str, Any] = api.get("v1", "Node", name).body
        return body

    def renew_time() -> str:
        lease = api.get("coordination.k8s.io/v1", "Lease", "agent-a", LEASE_NAMESPACE).body
        return str(lease["spec"]["renewTime"])

    with nodes_of(api, NODES) as agent:
        for node in NODES:
            wait_for(f"{node.name} untainted", lambda n=node: not node_of(n.name)["spec"].get("taints"))
            labels = node_of(node.name)["metadata"]["labels"]
            assert labels["kubernetes.io/hostname"] == node.name
            assert labels["topology.kubernetes.io/zone"] == node.zone
        renewed = renew_time()
        wait_for("a renewed lease", lambda: agent.heartbeats >= 1)
        assert renew_time() > renewed
        def bound_to() -> str | None:
            node: str | None = api.get("v1", "Pod", "bound", "agent").body["spec"].get("nodeName")
            return node

        make_namespace(api, "agent", restricted=False)
        try:
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound", "namespace": "agent"},
                   "spec": {"containers": [{"name": "c", "image": "never:run"}]}}
            assert api.apply(pod).ok
            wait_for("the pod bound", lambda: bound_to() is not None)
            assert bound_to() in {n.name for n in NODES}
            api.delete("v1", "Pod", "bound", "agent")
            wait_for("the deleted pod gone", lambda: not api.exists("v1", "Pod", "bound", "agent"))
        finally:
            delete_namespace(api, "agent")
    for node in NODES:
        assert not api.exists("v1", "Node", node.name)

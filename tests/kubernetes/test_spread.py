"""Spread, decided by the real scheduler: with several Nodes, the pods of the prod stack's HA
clusters land where the rendered topology spread and anti-affinity ask.

The Nodes come from the test node agent (tests.support.node.registration.py): registered with
capacity and labels, their Leases kept fresh. One Node is left emptier than the others (a
filler pod holds CPU on the rest), so resource scoring pulls pods towards it. No mutation
check: the scheduler's own default spreading (ScheduleAnyway, per ReplicaSet) also separates
two pods of one Deployment when the rendered constraints are removed (tried: the same
placements), so a removal shows nothing here.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.control_plane import ControlPlane
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import apply_all, delete_namespace, make_namespace, stack_objects
from tests.support.node.agent import nodes_of
from tests.support.node.registration import NodeSpec

pytestmark = pytest.mark.kubernetes

NODES = [NodeSpec(f"node-{zone}", zone=f"zone-{zone}", cpu="16", memory="64Gi") for zone in "abc"]
EMPTY_NODE = "node-a"
FILLER_NAMESPACE = "filler"
FILLER_CPU = "4"
BIND_TIMEOUT_SECONDS = 60.0


def fill(api: KubernetesApi, node: str) -> None:
    """A pod bound straight to ``node`` (no scheduler) that holds CPU there."""
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"filler-{node}", "namespace": FILLER_NAMESPACE},
        "spec": {"nodeName": node, "containers": [{
            "name": "filler", "image": "filler:never-run",
            "resources": {"requests": {"cpu": FILLER_CPU, "memory": "1Gi"}}}]},
    }
    answer = api.apply(pod)
    assert answer.ok, answer.message


@pytest.fixture
def nodes(control_plane: ControlPlane) -> Iterator[KubernetesApi]:
    api = control_plane.api
    assert api is not None
    with nodes_of(api, NODES):
        make_namespace(api, FILLER_NAMESPACE, restricted=False)
        for node in NODES:
            if node.name != EMPTY_NODE:
                fill(api, node.name)
        try:
            yield api
        finally:
            delete_namespace(api, FILLER_NAMESPACE)


def placements(api: KubernetesApi, objects: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Deployment name -> the Node of each of its pods, once the scheduler bound them all."""
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    namespace = deployments[0]["metadata"]["namespace"]
    deadline = time.monotonic() + BIND_TIMEOUT_SECONDS
    while True:
        pods = api.list("v1", "Pod", namespace)
        found: dict[str, list[str]] = {}
        for deployment in deployments:
            labels = deployment["spec"]["selector"]["matchLabels"]
            mine = [p for p in pods if all(p["metadata"]["labels"].get(k) == v for k, v in labels.items())]
            found[deployment["metadata"]["name"]] = sorted(p["spec"].get("nodeName", "") for p in mine)
        done = all(
            len(nodes) == d["spec"]["replicas"] and all(nodes)
            for d, nodes in zip(deployments, found.values(), strict=True)
        )
        if done:
            return found
        assert time.monotonic() < deadline, f"pods not all bound: {found}"
        time.sleep(0.3)


def test_ha_jobmanagers_and_taskmanagers_spread_over_the_nodes(nodes: KubernetesApi) -> None:
    objects = stack_objects("prod")
    with apply_all(nodes, objects):
        placed = placements(nodes, objects)
    jobmanagers = {name: where for name, where in placed.items() if name.endswith("-jobmanager")}
    assert len(jobmanagers) == 2 and all(len(where) == 2 for where in jobmanagers.values())
    for name, where in jobmanagers.items():  # an active and a standby: never on one node
        assert len(set(where)) == 2, f"{name}: {where}"
    for name, where in placed.items():
        if name.endswith("-taskmanager"):
            per_node = Counter({node.name: 0 for node in NODES}) + Counter(where)
            counts = [per_node[node.name] for node in NODES]
            assert max(counts) - min(counts) <= 1, f"{name}: {dict(per_node)}"

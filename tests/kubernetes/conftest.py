"""One node network, one real control plane on its gateway, and cluster DNS beside it, for the
whole session (tests/support/node_network.py, control_plane.py, cluster_dns.py); a node agent
per module; a NetworkPolicy engine on the node network for a test that asks for one
(tests/support/policy_engine.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import node_network as networks
from tests.support.cluster_dns import ClusterDns
from tests.support.control_plane import ControlPlane, running
from tests.support.node.agent import NodeAgent, running_agent
from tests.support.node.registration import NodeSpec
from tests.support.policy_engine import PolicyEngine, enforcing


@pytest.fixture(scope="session")
def node_network() -> Iterator[networks.NodeNetwork]:
    with networks.node_network(networks.session_tag()) as network:
        yield network


@pytest.fixture(scope="session")
def control_plane(
    tmp_path_factory: pytest.TempPathFactory, node_network: networks.NodeNetwork
) -> Iterator[ControlPlane]:
    with running(tmp_path_factory.mktemp("control-plane"), network=node_network) as plane:
        yield plane


@pytest.fixture(scope="session")
def cluster_dns(control_plane: ControlPlane, node_network: networks.NodeNetwork) -> Iterator[ClusterDns]:
    assert control_plane.api is not None
    with ClusterDns(control_plane.api, node_network.gateway) as dns:
        yield dns


AGENT_NODES = (
    NodeSpec("node-a1", zone="zone-a", labels={"pool": "flink"}),
    NodeSpec("node-a2", zone="zone-a", labels={"pool": "flink"}),
    NodeSpec("node-b1", zone="zone-b", labels={"pool": "flink"}),
)
"""Three Nodes in two zones (spread and anti-affinity mean something), labelled as the
native stack's nodeSelector asks (``pool: flink``)."""


@pytest.fixture(scope="module")
def node_agent(
    control_plane: ControlPlane, node_network: networks.NodeNetwork, cluster_dns: ClusterDns
) -> Iterator[NodeAgent]:
    """Nodes whose pods run as processes, for one test module (a module of its own Nodes,
    such as test_spread, never shares the scheduler with them)."""
    assert control_plane.api is not None
    with running_agent(control_plane.api, node_network, cluster_dns, AGENT_NODES) as agent:
        yield agent


@pytest.fixture
def policy_engine(
    control_plane: ControlPlane, node_network: networks.NodeNetwork, tmp_path: Path
) -> Iterator[PolicyEngine]:
    """kube-network-policies enforcing on the node network until the test ends (or until it
    calls ``stop``)."""
    assert control_plane.api is not None
    folder = tmp_path / "policy-engine"
    with enforcing(control_plane.api, control_plane.ca.certificate, node_network, folder) as engine:
        yield engine

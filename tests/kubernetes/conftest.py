"""One node network, one real control plane on its gateway, and cluster DNS beside it, for the
whole session (tests/support/node_network.py, control_plane.py, cluster_dns.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import node_network as networks
from tests.support.cluster_dns import ClusterDns
from tests.support.control_plane import ControlPlane, running


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

"""The node network's choices, without creating anything: which /16 is free of the host's
routes, addresses and nameservers, each Node's /24, the bridge's fixed MAC, and the commands
that run a process in a pod and in the node namespace."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from tests.support.node_network import (
    CANDIDATE_BLOCKS,
    NodeNetwork,
    PodAddress,
    bridge_mac,
    free_blocks,
    nameservers,
    networks_in_use,
    node_command,
    node_subnet,
    pod_command,
)

BLOCK = ipaddress.IPv4Network("10.200.0.0/16")


def test_a_block_is_free_of_routes_addresses_and_nameservers() -> None:
    routes = [{"dst": "default", "gateway": "192.0.2.1"}, {"dst": "10.200.0.0/16"},
              {"dst": "10.201.7.7", "table": "local"}, {"dst": "192.0.2.0/24"}]
    eth0 = [{"family": "inet", "local": "10.202.3.4", "prefixlen": 24}]
    lo = [{"family": "inet6", "local": "::1", "prefixlen": 128}]
    addresses = [{"ifname": "eth0", "addr_info": eth0}, {"ifname": "lo", "addr_info": lo}]
    used = networks_in_use(routes, addresses, nameservers("nameserver 10.203.0.53\nnameserver fd00::53\n"))
    free = free_blocks(used)
    assert free[0] == ipaddress.IPv4Network("10.204.0.0/16")
    assert len(free) == len(CANDIDATE_BLOCKS) - 4  # the default route takes none


def test_a_wide_route_takes_every_block_it_covers() -> None:
    assert free_blocks(networks_in_use([{"dst": "10.0.0.0/8"}], [], [])) == []


def test_each_node_has_a_slash_24_after_the_gateway_s() -> None:
    assert node_subnet(BLOCK, 0) == ipaddress.IPv4Network("10.200.1.0/24")
    assert node_subnet(BLOCK, 254) == ipaddress.IPv4Network("10.200.255.0/24")
    gateway = BLOCK.network_address + 1
    assert all(gateway not in node_subnet(BLOCK, n) for n in range(255))
    for outside in (-1, 255):
        with pytest.raises(ValueError):
            node_subnet(BLOCK, outside)


def test_the_bridge_mac_is_locally_administered_and_per_block() -> None:
    first, second = bridge_mac(CANDIDATE_BLOCKS[0]), bridge_mac(CANDIDATE_BLOCKS[1])
    assert first != second
    assert int(first.split(":")[0], 16) & 0b11 == 0b10  # unicast, locally administered


def test_a_pod_command_enters_the_namespace_and_mounts_resolv_conf_privately() -> None:
    pod = PodAddress("pf1-3", "10.200.1.3", "pf1-3")
    assert pod_command(pod, ["true"]) == ["ip", "netns", "exec", "pf1-3", "true"]
    command = pod_command(pod, ["getent", "hosts", "web"], Path("/tmp/p/resolv.conf"))
    assert command[:6] == ["ip", "netns", "exec", "pf1-3", "unshare", "-m"]
    assert command[-4:] == ["/tmp/p/resolv.conf", "getent", "hosts", "web"]


@pytest.mark.parametrize("tag", ["", "Pf1", "pf-1", "pf1234567890", "1pf"])
def test_a_tag_leaves_room_in_interface_names(tag: str) -> None:
    with pytest.raises(ValueError):
        NodeNetwork(tag)


def test_a_node_command_enters_the_node_namespace() -> None:
    network = NodeNetwork("pf1")
    assert node_command(network, ["true"]) == ["ip", "netns", "exec", "pf1-node", "true"]

"""The node network as pods see it: pods reach each other and the gateway by IP, and nothing
else (no default route: an outside address is unreachable before a packet is sent); a second
network at the same time gets another /16; stopping one leaves nothing of it behind."""

from __future__ import annotations

import errno
import ipaddress
import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support import node_network as networks
from tests.support.node_network import (
    NodeNetwork,
    PodAddress,
    claim_block,
    free_blocks,
    host_networks,
    pod_command,
    session_tag,
)

pytestmark = pytest.mark.kubernetes

OUTSIDE = "198.51.100.7"
"""TEST-NET-2: an address outside every pod network, which nothing must ever send to."""
TIMEOUT_SECONDS = 10.0
ECHO_SERVER = """
import socket, sys
server = socket.create_server((sys.argv[1], 0))
print(server.getsockname()[1], flush=True)
while True:
    connection, peer = server.accept()
    with connection:
        connection.sendall(f"{peer[0]} {connection.recv(100).decode()}".encode())
"""
CONNECT = """
import errno, socket, sys, time
started = time.monotonic()
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as connection:
        connection.sendall(b"hello")
        print("answer", connection.recv(100).decode())
except OSError as error:
    print("error", errno.errorcode.get(error.errno, error.errno), f"{time.monotonic() - started:.3f}")
"""


def in_pod(address: PodAddress, script: str, *args: str) -> str:
    result = subprocess.run(pod_command(address, [sys.executable, "-c", script, *args]),
                            capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=True)
    return result.stdout.strip()


@pytest.fixture
def pods(node_network: NodeNetwork) -> Iterator[tuple[PodAddress, PodAddress]]:
    first = node_network.attach("test-node-network/first", node_index=0)
    second = node_network.attach("test-node-network/second", node_index=1)
    yield first, second
    node_network.detach(first)
    node_network.detach(second)


def test_pods_on_two_nodes_reach_each_other_by_ip(
    node_network: NodeNetwork, pods: tuple[PodAddress, PodAddress]
) -> None:
    first, second = pods
    assert ipaddress.ip_address(first.ip) in ipaddress.ip_network(node_network.pod_cidr(0))
    assert ipaddress.ip_address(second.ip) in ipaddress.ip_network(node_network.pod_cidr(1))
    server = subprocess.Popen(pod_command(second, [sys.executable, "-c", ECHO_SERVER, second.ip]),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        # The server sees the first pod's own address: switched by the bridge, not routed.
        assert in_pod(first, CONNECT, second.ip, port) == f"answer {first.ip} hello"
        assert in_pod(second, CONNECT, second.ip, port) == f"answer {second.ip} hello"
    finally:
        server.kill()
        server.wait()


def test_a_pod_reaches_the_gateway(node_network: NodeNetwork, pods: tuple[PodAddress, PodAddress]) -> None:
    first, _ = pods
    with socket.create_server((node_network.gateway, 0)) as server:
        port = server.getsockname()[1]
        client = subprocess.Popen(pod_command(first, [sys.executable, "-c", CONNECT, node_network.gateway,
                                                      str(port)]), stdout=subprocess.PIPE, text=True)
        server.settimeout(TIMEOUT_SECONDS)
        connection, peer = server.accept()
        with connection:
            assert connection.recv(100) == b"hello"
            connection.sendall(b"from the host")
        output, _ = client.communicate(timeout=TIMEOUT_SECONDS)
    assert peer[0] == first.ip
    assert output.strip() == "answer from the host"


def transmitted_packets(address: PodAddress) -> int:
    links = json.loads(subprocess.run(["ip", "-n", address.netns, "-s", "-j", "link", "show", "eth0"],
                                      capture_output=True, text=True, check=True).stdout)
    return int(links[0]["stats64"]["tx"]["packets"])


def test_a_pod_has_no_route_out_and_sends_nothing_there(
    node_network: NodeNetwork, pods: tuple[PodAddress, PodAddress]
) -> None:
    first, _ = pods
    routes = json.loads(subprocess.run(["ip", "-n", first.netns, "-4", "-j", "route", "show", "table", "all"],
                                       capture_output=True, text=True, check=True).stdout)
    main = [route["dst"] for route in routes if route.get("table", "main") == "main"]
    assert main == [node_network.cidr]
    before = transmitted_packets(first)
    outcome, code, seconds = in_pod(first, CONNECT, OUTSIDE, "80").split()
    assert (outcome, code) == ("error", errno.errorcode[errno.ENETUNREACH])
    assert float(seconds) < 0.5
    assert transmitted_packets(first) == before


def test_addresses_tell_the_node_and_come_back_late(node_network: NodeNetwork) -> None:
    subnet = ipaddress.ip_network(node_network.pod_cidr(2))
    assert ipaddress.ip_address(node_network.gateway) not in subnet
    given = []
    for _ in range(3):
        address = node_network.attach("test-node-network/again", node_index=2)
        given.append(address.ip)
        node_network.detach(address)
        node_network.detach(address)  # idempotent
    assert all(ipaddress.ip_address(ip) in subnet for ip in given)
    assert len(set(given)) == 3, given
    assert "test-node-network/again" not in node_network.attached()


def link_names(*netns: str) -> list[str]:
    """The links of the root namespace, or of the namespace given."""
    command = ["ip", *(("-n", *netns) if netns else ()), "-j", "link", "show"]
    links = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [link["ifname"] for link in json.loads(links)]


def names_of(tag: str) -> list[str]:
    """The namespaces and root-namespace links named ``<tag>-...`` that exist now."""
    netns = subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True, check=True).stdout
    names = [n["name"] for n in json.loads(netns or "[]")] + link_names()
    return [name for name in names if name.startswith(f"{tag}-")]


def test_a_second_network_gets_its_own_block_and_leaves_nothing(node_network: NodeNetwork) -> None:
    tag = session_tag("pt")
    with networks.node_network(tag) as other:
        attached = [other.attach(f"other/{n}") for n in range(4)]
        assert not ipaddress.ip_network(other.cidr).overlaps(ipaddress.ip_network(node_network.cidr))
        expected = [other.netns, other.gateway_link, *(a.netns for a in attached)]
        assert sorted(names_of(tag)) == sorted(expected)
        # The bridge and the pods' veths live in the node namespace, not the host's.
        assert sorted(name for name in link_names(other.netns) if name.startswith(f"{tag}-")) == sorted(
            [other.bridge, *(a.veth for a in attached)])
    assert names_of(tag) == []
    routes = subprocess.run(["ip", "-4", "route", "show", other.cidr], capture_output=True, text=True,
                            check=True).stdout
    assert routes == ""


def test_a_block_another_session_claimed_is_skipped_before_its_bridge_exists() -> None:
    first_free = free_blocks(host_networks())[0]
    claim = claim_block(first_free)  # as a session starting at the same moment holds it
    assert claim is not None
    try:
        assert claim_block(first_free) is None
        with networks.node_network(session_tag("pc")) as other:
            assert other.cidr != str(first_free)
    finally:
        claim.close()

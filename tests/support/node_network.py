"""Routable pod addresses for the test node agent: a node namespace with a Linux bridge, a
network namespace per pod.

A session's ``NodeNetwork`` is a private /16 laid out as one node's network: a network
namespace of its own (``netns``, the node's) holds a Linux bridge, and the host's root
namespace reaches it through one veth pair whose host end (``<tag>-gw``) holds the first
address of the /16 (the gateway) and whose other end is a port of the bridge; the bridge
holds the second (``node_address``: the node's own, for its daemons). Each attached
pod gets a namespace of its own, a veth pair (one end a port of the bridge in the node
namespace, the other ``eth0`` in the pod) and the next address of its Node's /24
(``pod_cidr``): pods reach each other and the gateway, where the host-side servers listen
(the API server, cluster DNS).

Why a node namespace rather than a bridge in the root one: every packet between pods, and
between a pod and the gateway, crosses the bridge, so a packet filter of the node namespace
sees it (bridged IPv4 traffic goes through that namespace's ``FORWARD`` hook, as
``br_netfilter`` makes it on a node): a NetworkPolicy engine enforces there
(tests/support/policy_engine.py) with rules of the test's own namespace, never the host's.

What differs from a cluster's pod network, and why:

- No default route in a pod, only the /16: a pod can reach nothing beyond its peers and the
  gateway, so a test can never send traffic off the machine (an address outside the /16 fails
  with "network unreachable" before any packet is built). A cluster's pods have a default route
  and reach the world through NAT.
- Every Node's pods share the one bridge: a pod's IP tells its Node (its /24) but traffic
  between Nodes crosses no routes, and nothing is forwarded at layer 3 (``ip_forward`` stays
  as it is in every namespace, as does every other sysctl of the host).
- IPv4 only: no interface of the network gets an IPv6 address (``addrgenmode none``), so the
  network sends nothing on its own (no router solicitations, no duplicate address detection).
- Service ClusterIPs are not routed (no kube-proxy): names resolve to pods' IPs instead
  (tests/support/cluster_dns.py).

The /16 is the first of 10.200.0.0/16 .. 10.250.0.0/16 that no route, address or nameserver
of the host overlaps, claimed by an abstract Unix socket named after it (bound until ``stop``
or the process's end; a second session cannot bind the same name), so concurrent sessions on
one machine get different blocks. Everything is created and removed by its own name: the node
namespace ``<tag>-node`` (the bridge ``<tag>-br`` and the ports inside it), the gateway's veth
``<tag>-gw``, and for pod number ``n`` the namespace and node-side veth ``<tag>-<n>``.

``pod_command`` runs a process in a pod's namespace, optionally with a resolv.conf of its own
bind-mounted over /etc/resolv.conf in a private mount namespace (the host's files untouched);
``node_command`` runs one in the node namespace.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CANDIDATE_BLOCKS = tuple(ipaddress.IPv4Network(f"10.{second}.0.0/16") for second in range(200, 251))
CLAIM_PREFIX = "pulumi-flink-node-network"
"""Abstract Unix socket names (``\\0<prefix>/<block>``): which session holds which /16."""
TAG = re.compile(r"[a-z][a-z0-9]{0,8}")
"""A tag leaves room for ``-<n>`` in the 15 characters of an interface name."""
INTERFACE_NAME_LIMIT = 15
POD_INTERFACE = "eth0"
GATEWAY_PORT = "gateway"
"""The bridge port, in the node namespace, whose peer in the root namespace holds the gateway."""
NODE_SUBNET_PREFIX = 24
RESOLV_CONF = Path("/etc/resolv.conf")
_NOT_FOUND = ("Cannot find device", "No such file or directory", "does not exist")


class NetworkError(RuntimeError):
    """An ``ip`` command failed; the message has the command and what it printed."""


@dataclass(frozen=True)
class PodAddress:
    """Where a pod lives: its network namespace, its IP, and the node end of its veth (a port
    of the bridge, in the node namespace)."""

    netns: str
    ip: str
    veth: str


def ip(*args: str) -> str:
    """Run ``ip args`` (iproute2); its output, or a NetworkError naming the command."""
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def _delete(*args: str) -> None:
    """An ``ip ... del`` that is done when the thing is already gone."""
    try:
        ip(*args)
    except NetworkError as error:
        if not any(text in str(error) for text in _NOT_FOUND):
            raise


def session_tag(role: str = "pf") -> str:
    """A tag unique to this process: ``role`` and the pid in hex (at most 6 digits)."""
    return f"{role}{os.getpid():x}"


def networks_in_use(routes: Iterable[dict[str, Any]], addresses: Iterable[dict[str, Any]],
                    nameservers: Iterable[str]) -> list[ipaddress.IPv4Network]:
    """What the host already reaches directly: route destinations (but the default route),
    its own address blocks, and its nameservers (reached through the default route, which a
    more specific route on the bridge would take over)."""
    destinations = [route.get("dst", "default") for route in routes]
    used = [ipaddress.IPv4Network(dst, strict=False) for dst in destinations if dst != "default"]
    for link in addresses:
        for info in link.get("addr_info", []):
            if info.get("family") == "inet":
                used.append(ipaddress.IPv4Network(f"{info['local']}/{info['prefixlen']}", strict=False))
    used += [ipaddress.IPv4Network(server) for server in nameservers if ":" not in server]
    return used


def free_blocks(used: Sequence[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
    """The candidate /16s that overlap nothing in ``used``, in order."""
    return [block for block in CANDIDATE_BLOCKS if not any(block.overlaps(u) for u in used)]


def nameservers(resolv_conf: str) -> list[str]:
    return [line.split()[1] for line in resolv_conf.splitlines()
            if line.startswith("nameserver") and len(line.split()) > 1]


def host_networks() -> list[ipaddress.IPv4Network]:
    """What the host reaches directly now (``networks_in_use`` of its routes, addresses, resolv.conf)."""
    routes = json.loads(ip("-4", "-j", "route", "show", "table", "all") or "[]")
    addresses = json.loads(ip("-4", "-j", "address", "show") or "[]")
    resolv = RESOLV_CONF.read_text() if RESOLV_CONF.exists() else ""
    return networks_in_use(routes, addresses, nameservers(resolv))


def claim_block(block: ipaddress.IPv4Network) -> socket.socket | None:
    """Hold ``block`` for this process, or None when another process holds it."""
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0{CLAIM_PREFIX}/{block}")
    except OSError:
        claim.close()
        return None
    return claim


def node_subnet(block: ipaddress.IPv4Network, index: int) -> ipaddress.IPv4Network:
    """Node ``index``'s /24: the (index+1)-th of the block, the first being the gateway's."""
    subnets = list(block.subnets(new_prefix=NODE_SUBNET_PREFIX))
    if not 0 <= index < len(subnets) - 1:
        raise ValueError(f"node index {index} is outside 0..{len(subnets) - 2}")
    return subnets[index + 1]


def bridge_mac(block: ipaddress.IPv4Network) -> str:
    """A fixed, locally administered MAC for the bridge (it holds the node's address): without
    one, the bridge takes its lowest port's MAC and changes it as pods come and go, under the
    ARP caches of its peers."""
    second, third = block.network_address.packed[1:3]
    return f"02:70:66:00:{second:02x}:{third:02x}"


def pod_command(address: PodAddress, argv: Sequence[str], resolv_conf: Path | None = None) -> list[str]:
    """``argv`` run in the pod's network namespace; with ``resolv_conf``, in a private mount
    namespace (``unshare -m``: nothing propagates to the host) where that file is bind-mounted
    over /etc/resolv.conf."""
    command = ["ip", "netns", "exec", address.netns]
    if resolv_conf is None:
        return [*command, *argv]
    script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    return [*command, "unshare", "-m", "sh", "-c", script, str(resolv_conf), *argv]


def node_command(network: NodeNetwork, argv: Sequence[str]) -> list[str]:
    """``argv`` run in the node namespace (where the bridge is: what a node's packet filter sees)."""
    return ["ip", "netns", "exec", network.netns, *argv]


class NodeNetwork:
    """The session's node namespace, gateway and pods' namespaces; ``start``, ``attach``,
    ``detach``, ``stop``.

    Safe to use from several threads (the agent starts pods concurrently)."""

    def __init__(self, tag: str) -> None:
        if not TAG.fullmatch(tag):
            raise ValueError(f"tag {tag!r} must match {TAG.pattern} (interface names are short)")
        self.tag = tag
        self._block: ipaddress.IPv4Network | None = None
        self._claim: socket.socket | None = None
        self._netns_created = False
        self._gateway_created = False
        self._attached: dict[str, PodAddress] = {}
        self._given: dict[int, set[ipaddress.IPv4Address]] = {}
        self._cursor: dict[int, int] = {}
        self._count = 0
        self._lock = threading.Lock()

    @property
    def netns(self) -> str:
        """The node namespace: the bridge and the node ends of every veth."""
        return f"{self.tag}-node"

    @property
    def bridge(self) -> str:
        """The bridge, in the node namespace."""
        return f"{self.tag}-br"

    @property
    def gateway_link(self) -> str:
        """The veth in the root namespace that holds the gateway address."""
        return f"{self.tag}-gw"

    @property
    def block(self) -> ipaddress.IPv4Network:
        if self._block is None:
            raise RuntimeError(f"node network {self.tag} is not started")
        return self._block

    @property
    def cidr(self) -> str:
        """The pods' /16, e.g. ``10.200.0.0/16``."""
        return str(self.block)

    @property
    def gateway(self) -> str:
        """The root namespace's address on the network, the first of the /16, e.g. ``10.200.0.1``."""
        return str(self.block.network_address + 1)

    @property
    def node_address(self) -> str:
        """The node namespace's own address, on the bridge: the second of the /16, e.g.
        ``10.200.0.2`` (how a daemon of the node, such as a policy engine, reaches the gateway)."""
        return str(self.block.network_address + 2)

    def pod_cidr(self, index: int) -> str:
        """Node number ``index``'s /24, for its ``spec.podCIDR``."""
        return str(node_subnet(self.block, index))

    def start(self) -> None:
        for block in free_blocks(host_networks()):
            claim = claim_block(block)
            if claim is not None:
                break
        else:
            raise NetworkError(f"no free /16 among {CANDIDATE_BLOCKS[0]} .. {CANDIDATE_BLOCKS[-1]}")
        self._block, self._claim = block, claim
        node = ("-n", self.netns)
        try:
            ip("netns", "add", self.netns)
            self._netns_created = True
            ip(*node, "link", "set", "lo", "up")
            ip(*node, "link", "add", self.bridge, "address", bridge_mac(block), "type", "bridge")
            ip(*node, "link", "set", self.bridge, "addrgenmode", "none")
            ip(*node, "address", "add", f"{self.node_address}/{block.prefixlen}", "dev", self.bridge)
            ip(*node, "link", "set", self.bridge, "up")
            peer = ("peer", "name", GATEWAY_PORT, "netns", self.netns)
            ip("link", "add", self.gateway_link, "type", "veth", *peer)
            self._gateway_created = True
            ip("link", "set", self.gateway_link, "addrgenmode", "none")
            ip(*node, "link", "set", GATEWAY_PORT, "addrgenmode", "none")
            ip(*node, "link", "set", GATEWAY_PORT, "master", self.bridge, "up")
            ip("address", "add", f"{self.gateway}/{block.prefixlen}", "dev", self.gateway_link)
            ip("link", "set", self.gateway_link, "up")
        except NetworkError:
            self.stop()
            raise

    def _next_address(self, node_index: int) -> ipaddress.IPv4Address:
        """The node's next free address after the last one given, wrapping around: an address
        comes back only once every other one of the /24 was given since."""
        hosts = list(node_subnet(self.block, node_index).hosts())
        given = self._given.setdefault(node_index, set())
        start = self._cursor.get(node_index, 0)
        for step in range(len(hosts)):
            position = (start + step) % len(hosts)
            if hosts[position] not in given:
                self._cursor[node_index] = position + 1
                given.add(hosts[position])
                return hosts[position]
        raise NetworkError(f"node {node_index}'s {node_subnet(self.block, node_index)} is full")

    def attach(self, pod_key: str, node_index: int = 0) -> PodAddress:
        """A namespace for pod ``pod_key`` on Node ``node_index``, with ``eth0`` on the bridge
        (its veth's other end a port of the bridge in the node namespace)."""
        with self._lock:
            if pod_key in self._attached:
                raise ValueError(f"pod {pod_key} is already attached at {self._attached[pod_key]}")
            self._count += 1
            name = f"{self.tag}-{self._count}"
            if len(name) > INTERFACE_NAME_LIMIT:
                raise NetworkError(f"interface name {name} is longer than {INTERFACE_NAME_LIMIT}")
            address = PodAddress(name, str(self._next_address(node_index)), name)
            self._attached[pod_key] = address
        try:
            ip("netns", "add", address.netns)
        except NetworkError:
            self._forget(address)  # the namespace is not ours to delete
            raise
        try:
            peer = ("peer", "name", POD_INTERFACE, "netns", address.netns)
            node = ("-n", self.netns)
            ip(*node, "link", "add", address.veth, "type", "veth", *peer)
            ip(*node, "link", "set", address.veth, "addrgenmode", "none")
            ip(*node, "link", "set", address.veth, "master", self.bridge, "up")
            inside = ("-n", address.netns)
            ip(*inside, "link", "set", POD_INTERFACE, "addrgenmode", "none")
            ip(*inside, "address", "add", f"{address.ip}/{self.block.prefixlen}", "dev", POD_INTERFACE)
            ip(*inside, "link", "set", "lo", "up")
            ip(*inside, "link", "set", POD_INTERFACE, "up")
        except NetworkError:
            self.detach(address)
            raise
        return address

    def _forget(self, address: PodAddress) -> None:
        with self._lock:
            for key, attached in list(self._attached.items()):
                if attached == address:
                    del self._attached[key]
            for given in self._given.values():
                given.discard(ipaddress.IPv4Address(address.ip))

    def detach(self, address: PodAddress) -> None:
        """Remove the pod's veth and namespace (its processes should be gone first: a namespace
        lives on while a process is in it); idempotent."""
        _delete("-n", self.netns, "link", "del", address.veth)
        _delete("netns", "del", address.netns)
        self._forget(address)

    def attached(self) -> dict[str, PodAddress]:
        """The pods attached now, by pod key."""
        with self._lock:
            return dict(self._attached)

    def stop(self) -> None:
        """Detach every pod, delete the gateway's veth and the node namespace (the bridge and
        whatever else is in it), give the /16 back."""
        for address in self.attached().values():
            self.detach(address)
        if self._gateway_created:
            _delete("link", "del", self.gateway_link)
            self._gateway_created = False
        if self._netns_created:
            _delete("netns", "del", self.netns)
            self._netns_created = False
        if self._claim is not None:
            self._claim.close()
            self._claim = None


@contextlib.contextmanager
def node_network(tag: str) -> Iterator[NodeNetwork]:
    network = NodeNetwork(tag)
    try:
        network.start()
        yield network
    finally:
        network.stop()

"""Cluster DNS as a pod sees it, against the real control plane: a pod's resolver, with the
rendered resolv.conf, finds a Service's ready endpoints by its short name (and only the ready
ones, until the others turn ready), a StatefulSet pod by ``<pod>.<service>``, and the API
server as ``kubernetes.default.svc``, which it then reaches over HTTPS; a name outside the
cluster is NXDOMAIN from this server and goes nowhere else."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, DNSRecord

from tests.support.cluster_dns import SERVICE_NAME_LABEL, ClusterDns
from tests.support.control_plane import ControlPlane
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import delete_namespace, make_namespace
from tests.support.node_network import NodeNetwork, PodAddress, pod_command

pytestmark = pytest.mark.kubernetes

NAMESPACE = "cluster-dns"
TIMEOUT_SECONDS = 10.0
RESOLVE = """
import json, socket, sys, time
started = time.monotonic()
try:
    found = sorted({info[4][0] for info in socket.getaddrinfo(sys.argv[1], None, socket.AF_INET)})
except socket.gaierror as error:
    found = error.errno
print(json.dumps({"found": found, "seconds": time.monotonic() - started}))
"""
FETCH = """
import json, ssl, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                     urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=sys.argv[2])))
print(opener.open(sys.argv[1], timeout=5).read().decode())
"""




def service(name: str, headless: bool = False, publish_not_ready: bool = False) -> dict[str, Any]:
    """A Service without a selector: its EndpointSlices are the test's to write."""
    spec: dict[str, Any] = {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
                            "publishNotReadyAddresses": publish_not_ready}
    if headless:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": spec}


def endpoint_slice(service_name: str, *endpoints: tuple[PodAddress, bool, str | None]) -> dict[str, Any]:
    """The Service's EndpointSlice: (pod, ready, hostname) for each endpoint."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": service_name, "namespace": NAMESPACE,
                     "labels": {SERVICE_NAME_LABEL: service_name,
                                "endpointslice.kubernetes.io/managed-by": "pulumi-flink-tests"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        "endpoints": [{"addresses": [pod.ip], "conditions": {"ready": ready},
                       **({"hostname": hostname} if hostname else {})}
                      for pod, ready, hostname in endpoints],
    }


def apply(api: KubernetesApi, *objects: dict[str, Any]) -> None:
    for obj in objects:
        answer = api.apply(obj)
        assert answer.ok, answer.message


@pytest.fixture(scope="module")
def api(control_plane: ControlPlane) -> Iterator[KubernetesApi]:
    """The admin's client, with the test's namespace made (and deleted after)."""
    assert control_plane.api is not None
    make_namespace(control_plane.api, NAMESPACE)
    yield control_plane.api
    delete_namespace(control_plane.api, NAMESPACE)


@pytest.fixture(scope="module")
def pods(node_network: NodeNetwork) -> Iterator[dict[str, PodAddress]]:
    """A client pod, and pods whose addresses the EndpointSlices name (nothing runs in them)."""
    attached = {name: node_network.attach(f"{NAMESPACE}/{name}") for name in ("client", "web-0", "web-1")}
    yield attached
    for address in attached.values():
        node_network.detach(address)


@pytest.fixture(scope="module")
def resolv_conf(cluster_dns: ClusterDns, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pod-etc") / "resolv.conf"
    path.write_text(cluster_dns.resolv_conf(NAMESPACE))
    return path


def run_in_client(pods: dict[str, PodAddress], resolv_conf: Path, script: str, *args: str) -> str:
    command = pod_command(pods["client"], [sys.executable, "-c", script, *args], resolv_conf)
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def resolve(pods: dict[str, PodAddress], resolv_conf: Path, name: str) -> list[str] | int:
    """What the client pod's resolver finds for ``name``: its IPv4 addresses, or the error."""
    found: list[str] | int = json.loads(run_in_client(pods, resolv_conf, RESOLVE, name))["found"]
    return found


def test_the_pod_s_resolv_conf_is_the_cluster_s(cluster_dns: ClusterDns, node_network: NodeNetwork,
                                                 pods: dict[str, PodAddress], resolv_conf: Path) -> None:
    seen = run_in_client(pods, resolv_conf, "print(open('/etc/resolv.conf').read(), end='')")
    assert seen.splitlines() == [f"nameserver {node_network.gateway}",
                                 f"search {NAMESPACE}.svc.cluster.local svc.cluster.local cluster.local",
                                 "options ndots:5"]
    assert Path("/etc/resolv.conf").read_text() != seen  # the host's is untouched


def test_a_service_resolves_to_its_ready_endpoints_only(
    api: KubernetesApi, pods: dict[str, PodAddress], resolv_conf: Path
) -> None:
    web_0, web_1 = pods["web-0"], pods["web-1"]
    apply(api, service("web"), endpoint_slice("web", (web_0, True, None), (web_1, False, None)))
    assert resolve(pods, resolv_conf, "web") == [web_0.ip]
    apply(api, endpoint_slice("web", (web_0, True, None), (web_1, True, None)))
    expected = sorted([web_0.ip, web_1.ip])
    for name in ("web", f"web.{NAMESPACE}", f"web.{NAMESPACE}.svc", f"web.{NAMESPACE}.svc.cluster.local"):
        assert resolve(pods, resolv_conf, name) == expected, name
    apply(api, endpoint_slice("web", (web_0, False, None), (web_1, False, None)))
    assert resolve(pods, resolv_conf, "web") == socket.EAI_NONAME  # no ready endpoint: NXDOMAIN


def test_a_statefulset_pod_resolves_under_its_headless_service(
    api: KubernetesApi, pods: dict[str, PodAddress], resolv_conf: Path
) -> None:
    web_0, web_1 = pods["web-0"], pods["web-1"]
    endpoints = ((web_0, True, "store-0"), (web_1, False, "store-1"))
    apply(api, service("store", headless=True), endpoint_slice("store", *endpoints))
    assert resolve(pods, resolv_conf, "store-0.store") == [web_0.ip]
    assert resolve(pods, resolv_conf, f"store-0.store.{NAMESPACE}.svc.cluster.local") == [web_0.ip]
    assert resolve(pods, resolv_conf, "store-1.store") == socket.EAI_NONAME
    assert resolve(pods, resolv_conf, "store") == [web_0.ip]
    # A peer Service publishing not-ready addresses: the peers find each other before they are ready.
    apply(api, service("store-peers", headless=True, publish_not_ready=True),
          endpoint_slice("store-peers", *endpoints))
    assert resolve(pods, resolv_conf, "store-1.store-peers") == [web_1.ip]
    assert resolve(pods, resolv_conf, "store-peers") == sorted([web_0.ip, web_1.ip])


def test_the_api_server_is_kubernetes_default_svc_over_https(
    control_plane: ControlPlane, node_network: NodeNetwork, pods: dict[str, PodAddress], resolv_conf: Path
) -> None:
    assert resolve(pods, resolv_conf, "kubernetes.default.svc.cluster.local") == [node_network.gateway]
    assert resolve(pods, resolv_conf, "kubernetes.default") == [node_network.gateway]
    url = "https://kubernetes.default.svc:443/version"
    version = json.loads(run_in_client(pods, resolv_conf, FETCH, url, str(control_plane.ca.certificate)))
    assert version["gitVersion"].startswith("v1.")


def test_a_name_outside_the_cluster_is_nxdomain_from_this_server_alone(
    cluster_dns: ClusterDns, pods: dict[str, PodAddress], resolv_conf: Path
) -> None:
    before = len(cluster_dns.queries())
    outcome = json.loads(run_in_client(pods, resolv_conf, RESOLVE, "example.com"))
    assert outcome["found"] == socket.EAI_NONAME
    assert outcome["seconds"] < 1.0  # answered, not timed out waiting for another server
    asked = [(q.name, q.qtype, q.rcode) for q in cluster_dns.queries()[before:]]
    # ndots:5: the search list first, then the name itself; every one answered here, NXDOMAIN.
    assert asked == [(f"example.com.{suffix}", "A", "NXDOMAIN") for suffix in
                     (f"{NAMESPACE}.svc.cluster.local.", "svc.cluster.local.", "cluster.local.", "")]


def ask(cluster_dns: ClusterDns, name: str, qtype: str, tcp: bool = False) -> DNSRecord:
    question = DNSRecord.question(name, qtype)
    return DNSRecord.parse(question.send(cluster_dns.address, cluster_dns.port, tcp=tcp,
                                         timeout=TIMEOUT_SECONDS))


def test_the_server_answers_over_udp_and_tcp_as_cluster_dns_does(
    api: KubernetesApi, cluster_dns: ClusterDns, pods: dict[str, PodAddress]
) -> None:
    web_0 = pods["web-0"]
    apply(api, service("api"), endpoint_slice("api", (web_0, True, None)))
    name = f"api.{NAMESPACE}.svc.cluster.local"
    for tcp in (False, True):
        reply = ask(cluster_dns, name, "A", tcp)
        assert RCODE.get(reply.header.rcode) == "NOERROR"
        assert [(str(rr.rdata), rr.ttl) for rr in reply.rr] == [(web_0.ip, 5)]
    aaaa = ask(cluster_dns, name, "AAAA")
    assert (RCODE.get(aaaa.header.rcode), aaaa.rr) == ("NOERROR", [])
    assert [QTYPE.get(rr.rtype) for rr in aaaa.auth] == ["SOA"]
    for missing in (f"nothing.{NAMESPACE}.svc.cluster.local", "nothing.example"):
        assert RCODE.get(ask(cluster_dns, missing, "A").header.rcode) == "NXDOMAIN", missing

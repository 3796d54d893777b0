"""Cluster DNS for the test node agent's pods: Service names answered from the live API.

A small DNS server (``dnslib``) on the node network's gateway, port 53 over UDP and TCP (a
resolv.conf names a nameserver without a port). Each lookup reads the API server (the Service
and its EndpointSlices, or the namespace), so an answer is never older than the query: a test
that turns an endpoint ready can resolve it at once, with no cache or watch to wait for; when
the API server fails, the answer is SERVFAIL, never a guess.

Every Service resolves as a headless one: ``<svc>.<ns>.svc.<domain>`` is the A records of its
ready endpoints (EndpointSlices labelled ``kubernetes.io/service-name``), a ClusterIP Service's
as well. A cluster's DNS answers a ClusterIP Service with its ClusterIP, which kube-proxy
turns into an endpoint by rewriting the node's packet filter; this machine's rule is that tests
touch nothing of the host's network, so there is no kube-proxy, ClusterIPs lead nowhere, and
the name leads to the pods instead. A client that connects to "the Service" connects to one of
its pods, as through kube-proxy, but picks the pod itself (the first address, or another).

Answers, as CoreDNS's ``kubernetes`` plugin gives them:

- an endpoint counts when its ``conditions.ready`` is true or absent (the API's documented
  reading of an unknown state), or, for a Service with ``publishNotReadyAddresses``, always
  (the EndpointSlice controller marks such endpoints ready; a slice written by hand gets the
  same reading);
- ``<hostname>.<svc>.<ns>.svc.<domain>``: the endpoints with that ``hostname`` (a
  StatefulSet's pods under their governing headless Service);
- ``kubernetes.default.svc.<domain>``: the same path; the API server's endpoint reconciler
  writes that Service's EndpointSlice (tests/support/control_plane.py with a node network);
- NXDOMAIN for a Service without a counted endpoint, for no such Service, and for any other
  name under the domain but three, which exist without records (NOERROR, empty): the domain,
  ``svc.<domain>``, and ``<ns>.svc.<domain>`` of a namespace that exists. A name that
  resolves has no record of another type (NOERROR, empty: IPv4 only). The difference
  matters to a resolver walking its search list: one NOERROR on the way turns the final
  "not found" into "no address" (``EAI_NODATA``). TTL 5 s; negative answers carry the
  zone's SOA.

Outside the domain, a cluster's DNS forwards to the resolver upstream (the company's, where
an artifact repository has its name). Here the test is that upstream: the names it
``publish``es (each the address of a test host, such as a jar server on the gateway) are
answered, and every other name is NXDOMAIN at once.

What differs from a cluster's DNS: no forwarding, ever (nothing leaves the machine); no SRV,
PTR, pod (``a-b-c-d.<ns>.pod``) or ExternalName (CNAME) records; addresses in a fixed order
(sorted), not shuffled; and the resolv.conf has the cluster's search list only, none of the
host's.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dnslib import QTYPE, RCODE, RR, SOA, A, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

from tests.support.kubernetes_api import KubernetesApi

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
TTL_SECONDS = 5
DNS_PORT = 53
DEFAULT_DOMAIN = "cluster.local"
NDOTS = 5
LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
"""What a Service, namespace or endpoint hostname can be named (a DNS-1123 label)."""
QUERY_LOG_SIZE = 1000
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceQuery:
    """What a name under ``svc.<domain>`` asks for: a Service, or one endpoint of it."""

    namespace: str
    service: str
    hostname: str | None = None


@dataclass(frozen=True)
class Answer:
    """A name's answer: whether it exists (NXDOMAIN when not), and its A records."""

    exists: bool
    addresses: tuple[str, ...] = ()


NO_SUCH_NAME = Answer(exists=False)


def relative_labels(name: str, domain: str) -> list[str] | None:
    """``name``'s labels under ``domain`` (``[]`` for the domain itself), None outside it."""
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    if name == domain:
        return []
    if not name.endswith(f".{domain}"):
        return None
    return name[: -len(domain) - 1].split(".")


def service_query(name: str, domain: str) -> ServiceQuery | None:
    """The Service a name asks for (``<svc>.<ns>.svc`` or ``<host>.<svc>.<ns>.svc``), if any."""
    labels = relative_labels(name, domain)
    if labels is None or len(labels) not in (3, 4) or labels[-1] != "svc":
        return None
    if not all(LABEL.fullmatch(label) for label in labels):
        return None
    if len(labels) == 3:
        return ServiceQuery(namespace=labels[1], service=labels[0])
    return ServiceQuery(namespace=labels[2], service=labels[1], hostname=labels[0])


def namespace_of(name: str, domain: str) -> str | None:
    """The namespace a name ``<ns>.svc.<domain>`` stands for, if it is one."""
    labels = relative_labels(name, domain)
    if labels is None or len(labels) != 2 or labels[1] != "svc" or not LABEL.fullmatch(labels[0]):
        return None
    return labels[0]


def is_zone_node(name: str, domain: str) -> bool:
    """The names that always exist, without records: the domain and ``svc.<domain>``."""
    return relative_labels(name, domain) in ([], ["svc"])


def is_ready(endpoint: Mapping[str, Any]) -> bool:
    """``conditions.ready``, absent read as ready (the API's reading of an unknown state)."""
    return (endpoint.get("conditions") or {}).get("ready") is not False


def endpoint_addresses(
    service: Mapping[str, Any], slices: Sequence[Mapping[str, Any]], hostname: str | None = None
) -> tuple[str, ...]:
    """The IPv4 addresses of ``service``'s counted endpoints (of those named ``hostname``)."""
    metadata = service["metadata"]
    publish_not_ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    found: set[str] = set()
    for endpoint_slice in slices:
        slice_metadata = endpoint_slice["metadata"]
        if slice_metadata.get("namespace") != metadata["namespace"]:
            continue
        if (slice_metadata.get("labels") or {}).get(SERVICE_NAME_LABEL) != metadata["name"]:
            continue
        if endpoint_slice.get("addressType") != "IPv4":
            continue
        for endpoint in endpoint_slice.get("endpoints") or []:
            if hostname is not None and endpoint.get("hostname") != hostname:
                continue
            if publish_not_ready or is_ready(endpoint):
                found.update(endpoint.get("addresses") or [])
    return tuple(sorted(found, key=ipaddress.IPv4Address))


def answer(
    name: str,
    qtype: str,
    services: Sequence[Mapping[str, Any]],
    slices: Sequence[Mapping[str, Any]],
    domain: str = DEFAULT_DOMAIN,
    namespaces: Collection[str] = (),
) -> Answer:
    """The answer to ``qtype`` (``"A"``, ``"AAAA"``, ...) for ``name``, from these objects
    (``namespaces``: the names of those that exist)."""
    query = service_query(name, domain)
    if query is None:
        namespace = namespace_of(name, domain)
        existing_namespace = namespace is not None and namespace in namespaces
        return Answer(exists=is_zone_node(name, domain) or existing_namespace)
    service = next((s for s in services if (s["metadata"]["namespace"], s["metadata"]["name"])
                    == (query.namespace, query.service)), None)
    if service is None:
        return NO_SUCH_NAME
    addresses = endpoint_addresses(service, slices, query.hostname)
    if not addresses:
        return NO_SUCH_NAME
    return Answer(exists=True, addresses=addresses if qtype == "A" else ())


def resolv_conf(nameserver: str, namespace: str, domain: str = DEFAULT_DOMAIN) -> str:
    """A pod's /etc/resolv.conf in ``namespace`` (a kubelet's, for ``dnsPolicy: ClusterFirst``)."""
    search = f"{namespace}.svc.{domain} svc.{domain} {domain}"
    return f"nameserver {nameserver}\nsearch {search}\noptions ndots:{NDOTS}\n"


def zone_soa(domain: str) -> RR:
    """The zone's SOA, for negative answers (its minimum is the negative TTL)."""
    timers = (1, 7200, 1800, 86400, TTL_SECONDS)  # serial, refresh, retry, expire, minimum
    return RR(domain, QTYPE.SOA, ttl=TTL_SECONDS,
              rdata=SOA(f"ns.dns.{domain}", f"hostmaster.{domain}", timers))


def reply_to(request: DNSRecord, found: Answer, in_domain: bool, domain: str) -> DNSRecord:
    """``found`` as the reply to ``request``: authoritative for names under the domain only."""
    reply = request.reply()
    reply.header.aa = int(in_domain)
    if not found.exists:
        reply.header.rcode = RCODE.NXDOMAIN
    for address in found.addresses:
        reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(address), ttl=TTL_SECONDS))
    if in_domain and not found.addresses:
        reply.add_auth(zone_soa(domain))
    return reply


@dataclass(frozen=True)
class Query:
    """One question the server answered: for a test to see what reached it, and how it went."""

    name: str
    qtype: str
    rcode: str
    addresses: tuple[str, ...]


class _Resolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, dns: ClusterDns) -> None:
        self.dns = dns

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        return self.dns.reply(request)


class ClusterDns:
    """The DNS server at ``address``:``port``; ``start`` it, ``stop`` it, or use it in ``with``."""

    def __init__(self, api: KubernetesApi, address: str, port: int = DNS_PORT,
                 domain: str = DEFAULT_DOMAIN) -> None:
        self.api = api
        self.address = address
        self.port = port
        self.domain = domain.lower().rstrip(".")
        self._servers: list[DNSServer] = []
        self._queries: deque[Query] = deque(maxlen=QUERY_LOG_SIZE)
        self._lock = threading.Lock()
        self._published: dict[str, str] = {}

    def publish(self, name: str, address: str) -> None:
        """Answer ``name`` (outside the cluster domain) with ``address``, as the upstream
        resolver would; ``address`` must be a test host (see the module docstring)."""
        if relative_labels(name, self.domain) is not None:
            raise ValueError(f"{name} is in the cluster domain, which the API answers")
        with self._lock:
            self._published[name.lower().rstrip(".")] = address

    def unpublish(self, name: str) -> None:
        with self._lock:
            self._published.pop(name.lower().rstrip("."), None)

    def start(self) -> None:
        logger = DNSLogger("error", prefix=False, logf=_log.warning)
        try:
            for tcp in (False, True):
                server = DNSServer(_Resolver(self), address=self.address, port=self.port, tcp=tcp,
                                   logger=logger)
                self._servers.append(server)
                server.start_thread()
        except OSError:
            self.stop()
            raise

    def stop(self) -> None:
        for server in self._servers:
            if getattr(server, "thread", None) is not None:
                server.stop()
                server.thread.join()
            server.server.server_close()
        self._servers.clear()

    def __enter__(self) -> ClusterDns:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def resolv_conf(self, namespace: str) -> str:
        """The /etc/resolv.conf of a pod in ``namespace``, naming this server."""
        return resolv_conf(self.address, namespace, self.domain)

    def namespace_exists(self, namespace: str) -> bool:
        found = self.api.request("GET", f"/api/v1/namespaces/{namespace}")
        if found.status not in (200, 404):
            raise OSError(f"namespace {namespace}: {found.message}")
        return found.ok

    def objects_for(self, query: ServiceQuery) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The Service ``query`` names (none or one) and its EndpointSlices, read now."""
        service = self.api.request("GET", f"/api/v1/namespaces/{query.namespace}/services/{query.service}")
        if service.status == 404:
            return [], []
        if not service.ok:
            raise OSError(f"service {query.namespace}/{query.service}: {service.message}")
        slices = self.api.request(
            "GET", f"/apis/discovery.k8s.io/v1/namespaces/{query.namespace}/endpointslices",
            params={"labelSelector": f"{SERVICE_NAME_LABEL}={query.service}"},
        )
        if not slices.ok:
            raise OSError(f"endpointslices of {query.namespace}/{query.service}: {slices.message}")
        return [service.body], slices.body.get("items", [])

    def lookup(self, name: str, qtype: str) -> Answer:
        """The answer for ``name`` from the API as it is now (or, outside the cluster
        domain, from what the test published)."""
        if relative_labels(name, self.domain) is None:
            with self._lock:
                address = self._published.get(name.lower().rstrip("."))
            if address is None:
                return NO_SUCH_NAME
            return Answer(exists=True, addresses=(address,) if qtype == "A" else ())
        query, namespace = service_query(name, self.domain), namespace_of(name, self.domain)
        services, slices = self.objects_for(query) if query is not None else ([], [])
        namespaces = [namespace] if namespace is not None and self.namespace_exists(namespace) else []
        return answer(name, qtype, services, slices, self.domain, namespaces)

    def reply(self, request: DNSRecord) -> DNSRecord:
        if not request.questions:
            reply = request.reply()
            reply.header.rcode = RCODE.FORMERR
            return reply
        name, qtype = str(request.q.qname), str(QTYPE.get(request.q.qtype))
        try:
            found = self.lookup(name, qtype)
        except OSError as error:  # the API server unreachable or failing: say so, don't guess
            _log.warning("cluster DNS: %s %s: %s", name, qtype, error)
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
            self._record(Query(name, qtype, "SERVFAIL", ()))
            return reply
        reply = reply_to(request, found, relative_labels(name, self.domain) is not None, self.domain)
        self._record(Query(name, qtype, RCODE.get(reply.header.rcode), found.addresses))
        return reply

    def _record(self, query: Query) -> None:
        with self._lock:
            self._queries.append(query)

    def queries(self) -> list[Query]:
        """The latest questions answered, oldest first."""
        with self._lock:
            return list(self._queries)

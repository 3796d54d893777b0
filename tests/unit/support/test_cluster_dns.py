"""Cluster DNS's answers from Service and EndpointSlice objects, without a server: which names
exist, which endpoints count (ready, unknown, or published though not ready), and the
StatefulSet pod form; and the reply a resolver gets for each."""

from __future__ import annotations

from typing import Any

import pytest
from dnslib import QTYPE, RCODE, DNSRecord

from tests.support.cluster_dns import (
    SERVICE_NAME_LABEL,
    TTL_SECONDS,
    Answer,
    ClusterDns,
    ServiceQuery,
    answer,
    namespace_of,
    reply_to,
    resolv_conf,
    service_query,
)

DOMAIN = "cluster.local"


def service(name: str, namespace: str = "flink", publish_not_ready: bool = False) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace},
            "spec": {"clusterIP": "None", "publishNotReadyAddresses": publish_not_ready}}


def endpoint(ip: str, ready: bool | None = True, hostname: str | None = None) -> dict[str, Any]:
    conditions = {} if ready is None else {"ready": ready}
    return {"addresses": [ip], "conditions": conditions, **({"hostname": hostname} if hostname else {})}


def endpoint_slice(service_name: str, *endpoints: dict[str, Any], namespace: str = "flink",
                   address_type: str = "IPv4") -> dict[str, Any]:
    return {"metadata": {"name": f"{service_name}-x", "namespace": namespace,
                         "labels": {SERVICE_NAME_LABEL: service_name}},
            "addressType": address_type, "endpoints": list(endpoints)}


SERVICES = [service("jobmanager"), service("zk"), service("zk-peers", publish_not_ready=True),
            service("empty"), service("jobmanager", namespace="other")]
ZK = (endpoint("10.200.1.5", True, "zk-0"), endpoint("10.200.1.6", False, "zk-1"))
SLICES = [
    endpoint_slice("jobmanager", endpoint("10.200.1.3"), endpoint("10.200.2.4", ready=False)),
    endpoint_slice("jobmanager", endpoint("10.200.1.10"), endpoint("10.200.1.9", ready=None)),
    endpoint_slice("jobmanager", endpoint("10.200.3.1"), namespace="other"),
    endpoint_slice("jobmanager", endpoint("fd00::1"), address_type="IPv6"),
    endpoint_slice("zk", *ZK),
    endpoint_slice("zk-peers", *ZK),
    endpoint_slice("empty", endpoint("10.200.1.7", ready=False)),
]


def a_records(name: str) -> Answer:
    return answer(name, "A", SERVICES, SLICES, DOMAIN, namespaces=["flink"])


def test_a_service_is_its_ready_and_unknown_endpoints_in_address_order() -> None:
    # Not 10.200.2.4 (not ready), not another namespace's, not an IPv6 slice's.
    expected = Answer(True, ("10.200.1.3", "10.200.1.9", "10.200.1.10"))
    assert a_records("jobmanager.flink.svc.cluster.local") == expected
    assert a_records("JobManager.Flink.svc.Cluster.Local.") == expected
    assert a_records("jobmanager.other.svc.cluster.local") == Answer(True, ("10.200.3.1",))


def test_a_statefulset_pod_is_its_endpoint_by_hostname() -> None:
    assert a_records("zk-0.zk.flink.svc.cluster.local") == Answer(True, ("10.200.1.5",))
    assert a_records("zk-1.zk.flink.svc.cluster.local") == Answer(False)
    assert a_records("zk.flink.svc.cluster.local") == Answer(True, ("10.200.1.5",))


def test_a_service_publishing_not_ready_addresses_has_them_all() -> None:
    assert a_records("zk-1.zk-peers.flink.svc.cluster.local") == Answer(True, ("10.200.1.6",))
    assert a_records("zk-peers.flink.svc.cluster.local") == Answer(True, ("10.200.1.5", "10.200.1.6"))


@pytest.mark.parametrize(
    ("name", "exists"),
    [
        ("empty.flink.svc.cluster.local", False),  # a Service without a ready endpoint
        ("nothing.flink.svc.cluster.local", False),
        ("zk-2.zk.flink.svc.cluster.local", False),
        ("jobmanager.nowhere.svc.cluster.local", False),
        ("flink.svc.cluster.local", True),  # a namespace that exists
        ("nowhere.svc.cluster.local", False),
        ("svc.cluster.local", True),
        ("cluster.local", True),
        ("pod.cluster.local", False),
        ("a.b.c.zk.flink.svc.cluster.local", False),
        ("example.com", False),
        ("cluster.local.example.com", False),
        ("notcluster.local", False),
        ("jobmanager.flink.svc.cluster.local.example.com", False),
    ],
)
def test_which_names_exist(name: str, exists: bool) -> None:
    assert a_records(name) == Answer(exists)


def test_a_name_with_addresses_has_no_other_records() -> None:
    for qtype in ("AAAA", "SRV", "TXT"):
        assert answer("jobmanager.flink.svc.cluster.local", qtype, SERVICES, SLICES) == Answer(True)
    assert answer("empty.flink.svc.cluster.local", "AAAA", SERVICES, SLICES) == Answer(False)


def test_only_dns_labels_become_api_names() -> None:
    assert service_query("web.flink.svc.cluster.local", DOMAIN) == ServiceQuery("flink", "web")
    assert service_query("web-0.web.flink.svc.cluster.local", DOMAIN) == ServiceQuery("flink", "web", "web-0")
    odd_names = ("we?b.flink.svc.cluster.local", "web.fl%2fink.svc.cluster.local",
                 "-web.flink.svc.cluster.local", "web..svc.cluster.local")
    for odd in odd_names:
        assert service_query(odd, DOMAIN) is None, odd
    assert namespace_of("flink.svc.cluster.local", DOMAIN) == "flink"
    assert namespace_of("fl/ink.svc.cluster.local", DOMAIN) is None


def test_the_reply_carries_records_rcode_and_soa() -> None:
    request = DNSRecord.question("web.flink.svc.cluster.local", "A")
    found = reply_to(request, Answer(True, ("10.200.1.3", "10.200.1.4")), True, DOMAIN)
    assert RCODE.get(found.header.rcode) == "NOERROR" and found.header.aa
    records = [(str(rr.rdata), rr.ttl) for rr in found.rr]
    assert records == [("10.200.1.3", TTL_SECONDS), ("10.200.1.4", TTL_SECONDS)]
    assert found.auth == []
    missing = reply_to(request, Answer(False), True, DOMAIN)
    assert RCODE.get(missing.header.rcode) == "NXDOMAIN" and missing.rr == []
    assert [(QTYPE.get(rr.rtype), rr.ttl) for rr in missing.auth] == [("SOA", TTL_SECONDS)]
    outside = reply_to(DNSRecord.question("example.com", "A"), Answer(False), False, DOMAIN)
    assert RCODE.get(outside.header.rcode) == "NXDOMAIN" and outside.auth == [] and not outside.header.aa


def test_resolv_conf_is_the_kubelet_s_for_cluster_first() -> None:
    assert resolv_conf("10.200.0.1", "flink").splitlines() == [
        "nameserver 10.200.0.1",
        "search flink.svc.cluster.local svc.cluster.local cluster.local",
        "options ndots:5",
    ]


def test_published_names_answer_outside_the_domain_only() -> None:
    dns = ClusterDns(api=None, address="10.200.0.1")  # type: ignore[arg-type]  # no API needed
    dns.publish("jars.example.test", "10.200.0.1")
    assert dns.lookup("jars.example.test.", "A") == Answer(exists=True, addresses=("10.200.0.1",))
    assert dns.lookup("jars.example.test", "AAAA") == Answer(exists=True)
    assert dns.lookup("other.example.test", "A") == Answer(exists=False)
    dns.unpublish("jars.example.test")
    assert dns.lookup("jars.example.test", "A") == Answer(exists=False)
    with pytest.raises(ValueError, match="cluster domain"):
        dns.publish("orders-rest.flink.svc.cluster.local", "10.200.0.1")

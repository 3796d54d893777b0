"""NetworkPolicies: the traffic they admit, and what the stores and monitors need of them."""

from __future__ import annotations

from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem
from pulumi_flink.validation.ha import runs_store

NETWORK_FIELD_NAMES = {"rest_from": "restFrom", "metrics_from": "metricsFrom", "dns_to": "dnsTo"}


def check_network_policy(spec: FlinkClusterSpec) -> list[Problem]:
    network = spec.network_policy
    if not network.enabled:
        return [
            Problem(f"networkPolicy.{name}", "network policies are off (networkPolicy.enabled: false).",
                    "remove this field, or turn them on")
            for field, name in NETWORK_FIELD_NAMES.items()
            if field in network.model_fields_set
        ]
    problems = []
    if not network.dns_to and runs_store(spec):
        problems.append(
            Problem(
                "networkPolicy.dnsTo",
                "the library's store servers find each other by DNS name, and no DNS server is allowed.",
                "name your cluster DNS (the default is the k8s-app: kube-dns pods in kube-system)",
            )
        )
    if network.metrics_from and not spec.metrics.enabled:
        problems.append(
            Problem("networkPolicy.metricsFrom", "metrics are off (metrics.enabled: false): there is no "
                    "metrics port to admit anyone to.", "remove metricsFrom, or turn metrics on")
        )
    monitors = spec.metrics.pod_monitor or spec.metrics.service_monitor
    if spec.metrics.enabled and monitors and not network.metrics_from:
        problems.append(
            Problem(
                "networkPolicy.metricsFrom",
                "the monitor asks Prometheus to scrape the metrics port, and the NetworkPolicies admit "
                "nobody to it.",
                "name your Prometheus pods, e.g. [{namespaceSelector: {matchLabels: "
                "{kubernetes.io/metadata.name: monitoring}}}], or set networkPolicy.enabled: false",
            )
        )
    return problems


def network_warnings(spec: FlinkClusterSpec) -> list[str]:
    network = spec.network_policy
    if network.enabled and not network.rest_from and spec.rest.exposure != "ClusterIP":
        return [
            f"{spec.name}: rest.exposure is {spec.rest.exposure}, and the NetworkPolicy admits REST "
            "only from the cluster's own pods; add networkPolicy.restFrom (e.g. an ipBlock of your "
            "clients) or the Service will not answer"
        ]
    return []

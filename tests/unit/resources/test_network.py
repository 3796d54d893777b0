"""NetworkPolicies: on by default in every mode, selecting exactly the intended rendered pods,
naming the rendered ports, and keeping every path a mode needs open while closing the rest.

``Network`` (tests/support/network_policies.py) evaluates the rendered NetworkPolicies the way
Kubernetes does, over the rendered pods plus pods that are not the cluster's: a stranger in the
same namespace, Prometheus, cluster DNS and clients outside the cluster.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from pulumi_flink.offline.renderer import Render
from pulumi_flink.render.flink_config import render_config
from pulumi_flink.render.network import network_policies
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import cluster_warnings
from tests.support.kubernetes_schema import KUBERNETES_VERSION
from tests.support.network_policies import (
    PROMETHEUS_NS,
    Endpoint,
    Network,
    namespace_labels,
    rendered_pods,
    selects,
)
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

Obj = dict[str, Any]
NAMESPACE = "flink"
JAR = "/opt/flink/usrlib/job.jar"
AIRFLOW_NS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "airflow"}}}

STRANGER = Endpoint("stranger", NAMESPACE, {"app": "something-else"})
PROMETHEUS = Endpoint("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
AIRFLOW = Endpoint("airflow", "airflow", {"app": "airflow"})
KUBE_DNS = Endpoint("kube-dns", "kube-system", {"k8s-app": "kube-dns"})
OUTSIDE = Endpoint("outside", None, ip="203.0.113.7")
OFFICE = Endpoint("office", None, ip="10.20.30.40")
EXTRA = (STRANGER, PROMETHEUS, AIRFLOW, KUBE_DNS)


def network_of(render: Render) -> Network:
    objects = render.kubernetes_objects()
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    return Network(policies, [*rendered_pods(objects), *EXTRA])


def network(*specs: FlinkClusterSpec) -> Network:
    return network_of(render_specs(*specs))


def zookeeper_ha(**overrides: Any) -> dict[str, Any]:
    return {"type": "zookeeper", "storageDir": "hdfs://namenode:8020/flink", **overrides}


# --- defaults and selection ----------------------------------------------------------------------

def test_on_by_default_one_policy_per_component() -> None:
    spec = make_spec()
    assert spec.network_policy.enabled
    objects = objects_by_kind_name(render_specs(spec))
    policies = {name: o for (kind, name), o in objects.items() if kind == "NetworkPolicy"}
    assert sorted(policies) == ["analytics-jobmanager", "analytics-taskmanager"]
    for policy in policies.values():
        assert policy["apiVersion"] == "networking.k8s.io/v1"
        assert policy["spec"]["policyTypes"] == ["Ingress"]  # egress of the Flink pods stays open
        assert policy["metadata"]["labels"]["app.kubernetes.io/component"] == "network"
        kubernetes_validate.validate(policy, KUBERNETES_VERSION, strict=True)


CASES: dict[str, dict[str, Any]] = {
    "session": {},
    "application-job": {"mode": "application", "job": {"jar": JAR}},
    "native-session": {"native": True, "flinkVersion": "2.3"},
    "native-application": {"native": True, "mode": "application", "job": {"jar": JAR}},
    "per-job": {"mode": "per-job", "jobs": [{"name": "orders", "jar": JAR}, {"name": "clicks", "jar": JAR}]},
    "zookeeper": {"jobManager": {"replicas": 2}, "highAvailability": zookeeper_ha()},
    "per-job-zookeeper": {
        "mode": "per-job", "jobs": [{"name": "orders", "jar": JAR}, {"name": "clicks", "jar": JAR}],
        "highAvailability": zookeeper_ha(),
    },
    "zetcd": {"flinkVersion": "1.14", "highAvailability": {"type": "zetcd", "storageDir": "hdfs://namenode:8020/f"}},
    "kubernetes-ha": {"highAvailability": {"type": "kubernetes", "storageDir": "hdfs://namenode:8020/f"}},
    "existing-quorum": {"highAvailability": zookeeper_ha(zookeeper={"existingQuorum": "zk.infra:2181"})},
    "rest-and-metrics-from": {
        "networkPolicy": {"restFrom": [AIRFLOW_NS, {"ipBlock": {"cidr": "10.20.0.0/16"}}],
                          "metricsFrom": [PROMETHEUS_NS]},
        "metrics": {"podMonitor": True},
    },
}


def intended(spec: FlinkClusterSpec) -> dict[str, set[str]]:
    """Policy name -> the pods it is meant for, by workload name (native TaskManagers: the
    template's endpoint, ``<cluster>-taskmanager``), for the cluster and every job cluster."""
    clusters = [spec, *(spec.job_cluster(job) for job in spec.jobs)]
    meant: dict[str, set[str]] = {}
    for cluster in clusters:
        names = cluster.names
        meant[names.network_policy("jobmanager")] = {names.jobmanager}
        meant[names.network_policy("taskmanager")] = {names.taskmanager}
        if cluster is not spec:  # a per-job job cluster: its submitter pod
            meant[names.network_policy("submitter")] = {names.submitter}
    names = spec.names
    for store in ("zookeeper", "etcd", "zetcd"):
        meant[names.network_policy(store)] = {getattr(names, store)}
    return meant


@pytest.mark.parametrize("case", sorted(CASES))
def test_policies_select_exactly_their_components_pods(case: str) -> None:
    spec = make_spec(**CASES[case])
    render = render_specs(spec)
    net = network_of(render)
    assert net.policies
    meant = intended(spec)
    for policy in net.policies:
        selected = {p.name for p in net.pods if p.namespace == NAMESPACE
                    and selects(policy["spec"]["podSelector"], p.labels)}
        assert selected == meant[policy["metadata"]["name"]], policy["metadata"]["name"]
        kubernetes_validate.validate(policy, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_flink_policies_name_the_rendered_ports(case: str) -> None:
    """Every port a JobManager or TaskManager policy admits is a container port of the pods it
    selects (native TaskManagers: the ports of the rendered configuration, which Flink's pods
    listen on); only the metrics port is left out, when nobody may scrape it."""
    spec = make_spec(**CASES[case])
    render = render_specs(spec)
    net = network_of(render)
    for policy in net.policies:
        component = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        if component not in ("jobmanager", "taskmanager"):
            continue
        admitted = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
        for pod in (p for p in net.pods if selects(policy["spec"]["podSelector"], p.labels)):
            ports = set(pod.ports.values())
            if "native" in case and component == "taskmanager":
                config = render_config(spec).values
                ports = {config["taskmanager.rpc.port"], config["taskmanager.data.port"], spec.metrics.port}
            unscraped = set() if spec.network_policy.metrics_from else {spec.metrics.port}
            assert admitted == ports - unscraped, (pod.name, admitted, ports)


def test_rules_never_have_empty_peers() -> None:
    """An ingress rule without ``from`` would admit everyone: empty restFrom and metricsFrom add none."""
    for case in CASES:
        for policy in network(make_spec(**CASES[case])).policies:
            for rule in policy["spec"]["ingress"]:
                assert rule["from"], (case, policy["metadata"]["name"])
            for rule in policy["spec"].get("egress", []):
                assert rule["to"], (case, policy["metadata"]["name"])


# --- the paths each mode needs, and the ones it must not have ------------------------------------

def test_standalone_session_paths() -> None:
    spec = make_spec()
    net = network(spec)
    jm, tm = "analytics-jobmanager", "analytics-taskmanager"
    p = spec.ports
    assert net.allowed(tm, jm, p.rpc) and net.allowed(tm, jm, p.blob)
    assert net.allowed(jm, tm, p.task_manager_rpc) and net.allowed(jm, tm, p.task_manager_data)
    assert net.allowed(tm, tm, p.task_manager_data)  # shuffles between TaskManagers
    for port in (p.rpc, p.blob, p.rest, spec.metrics.port):
        assert not net.allowed(STRANGER, jm, port), port
    for port in (p.task_manager_rpc, p.task_manager_data, spec.metrics.port):
        assert not net.allowed(STRANGER, tm, port), port
    assert not net.allowed(PROMETHEUS, jm, spec.metrics.port)  # nobody named for metrics
    assert not net.allowed(AIRFLOW, jm, p.rest) and not net.allowed(OUTSIDE, jm, p.rest)
    assert not net.allowed(tm, jm, 9999) and not net.allowed(jm, tm, p.rest)  # only the named ports
    # Egress is open: object stores, your sources and sinks, DNS.
    assert net.allowed(jm, OUTSIDE, 443) and net.allowed(tm, OUTSIDE, 9092)
    assert net.allowed(tm, KUBE_DNS, 53, "UDP")


def test_rest_from_and_metrics_from_admit_exactly_whom_they_name() -> None:
    spec = make_spec(**CASES["rest-and-metrics-from"])
    net = network(spec)
    jm, tm = "analytics-jobmanager", "analytics-taskmanager"
    p, metrics = spec.ports, spec.metrics.port
    assert net.allowed(AIRFLOW, jm, p.rest) and net.allowed(OFFICE, jm, p.rest)
    assert not net.allowed(AIRFLOW, jm, p.rpc) and not net.allowed(OFFICE, jm, p.blob)
    assert not net.allowed(AIRFLOW, tm, p.task_manager_rpc)
    assert not net.allowed(STRANGER, jm, p.rest) and not net.allowed(OUTSIDE, jm, p.rest)
    assert net.allowed(PROMETHEUS, jm, metrics) and net.allowed(PROMETHEUS, tm, metrics)
    assert not net.allowed(PROMETHEUS, jm, p.rest) and not net.allowed(PROMETHEUS, tm, p.task_manager_data)
    assert not net.allowed(AIRFLOW, jm, metrics)
    # The cluster's own pods keep their paths.
    assert net.allowed(tm, jm, p.rpc) and net.allowed(jm, tm, p.task_manager_data)


def test_application_mode_jobmanager_job_keeps_its_paths() -> None:
    spec = make_spec(**CASES["application-job"])
    net = network(spec)
    jm, tm = "analytics-jobmanager", "analytics-taskmanager"
    assert spec.jobmanager_workload == "Job"
    assert net.allowed(tm, jm, spec.ports.rpc) and net.allowed(tm, jm, spec.ports.blob)
    assert net.allowed(jm, tm, spec.ports.task_manager_rpc)
    assert not net.allowed(STRANGER, jm, spec.ports.rest)


@pytest.mark.parametrize("case", ["native-session", "native-application"])
def test_native_taskmanagers_flink_creates_are_covered(case: str) -> None:
    spec = make_spec(**CASES[case])
    net = network(spec)
    jm, tm = "analytics", "analytics-taskmanager"  # the Deployment, and Flink's pods from the template
    p = spec.ports
    assert net.allowed(tm, jm, p.rpc) and net.allowed(tm, jm, p.blob)
    assert net.allowed(jm, tm, p.task_manager_rpc) and net.allowed(tm, tm, p.task_manager_data)
    assert not net.allowed(STRANGER, tm, p.task_manager_rpc) and not net.allowed(STRANGER, jm, p.rpc)
    assert net.allowed(jm, OUTSIDE, 443)  # the Kubernetes API server: egress open


def test_per_job_clusters_each_their_own() -> None:
    spec = make_spec(**CASES["per-job"])
    net = network(spec)
    p = spec.ports
    for job, other in (("orders", "clicks"), ("clicks", "orders")):
        jm, tm, submit = (f"analytics-{job}-jobmanager", f"analytics-{job}-taskmanager",
                          f"analytics-{job}-submit")
        assert net.allowed(submit, jm, p.rest) and net.allowed(submit, jm, p.rpc)
        assert net.allowed(tm, jm, p.rpc) and net.allowed(jm, tm, p.task_manager_data)
        assert not net.allowed(submit, f"analytics-{other}-jobmanager", p.rest)
        assert not net.allowed(tm, f"analytics-{other}-jobmanager", p.rpc)
        assert not net.allowed(f"analytics-{other}-taskmanager", tm, p.task_manager_data)
    assert {pol["metadata"]["name"] for pol in net.policies} == {
        f"analytics-{job}-{component}"
        for job in ("orders", "clicks")
        for component in ("jobmanager", "taskmanager", "submit")
    }


def test_per_job_submitter_is_selected_and_admits_nobody() -> None:
    """The submitter only connects out (REST and RPC of its JobManager, the object store):
    every pod is selected by some policy (Checkov CKV2_K8S_6), and nothing reaches it."""
    spec = make_spec(**CASES["per-job-zookeeper"])
    net = network(spec)
    submit, jm = "analytics-orders-submit", "analytics-orders-jobmanager"
    policy = next(p for p in net.policies if p["metadata"]["name"] == "analytics-orders-submit")
    assert policy["spec"]["policyTypes"] == ["Ingress"] and policy["spec"]["ingress"] == []
    for source in (jm, "analytics-orders-taskmanager", "analytics-zookeeper", STRANGER, OUTSIDE):
        for port in (spec.ports.rest, spec.ports.rpc, 8080, 2181):
            assert not net.allowed(source, submit, port), (source, port)
    assert net.allowed(submit, jm, spec.ports.rest) and net.allowed(submit, "analytics-zookeeper", 2181)
    assert net.allowed(submit, OUTSIDE, 443)  # egress stays open
    unselected = [pod.name for pod in net.pods if pod.namespace == NAMESPACE and pod is not STRANGER
                  and not any(selects(p["spec"]["podSelector"], pod.labels) for p in net.policies)]
    assert unselected == []


def test_two_clusters_in_one_namespace_are_strangers() -> None:
    net = network(make_spec(name="orders"), make_spec(name="payments"))
    assert net.allowed("orders-taskmanager", "orders-jobmanager", 6123)
    assert not net.allowed("payments-taskmanager", "orders-jobmanager", 6123)
    assert not net.allowed("orders-jobmanager", "payments-taskmanager", 6121)
    assert not net.allowed("payments-jobmanager", "orders-jobmanager", 8081)


def test_zookeeper_ensemble_admits_its_clients_and_peers_only() -> None:
    spec = make_spec(**CASES["zookeeper"])
    net = network(spec)
    jm, tm, zk = "analytics-jobmanager", "analytics-taskmanager", "analytics-zookeeper"
    assert net.allowed(jm, zk, 2181) and net.allowed(tm, zk, 2181)
    assert net.allowed(zk, zk, 2888) and net.allowed(zk, zk, 3888)
    assert not net.allowed(STRANGER, zk, 2181) and not net.allowed(jm, zk, 2888)
    assert not net.allowed(STRANGER, zk, 3888)
    # Its egress: peers and DNS, nothing else.
    assert net.allowed(zk, KUBE_DNS, 53, "UDP") and net.allowed(zk, KUBE_DNS, 53, "TCP")
    assert not net.allowed(zk, OUTSIDE, 443) and not net.allowed(zk, jm, spec.ports.rpc)
    assert not net.allowed(zk, STRANGER, 53, "UDP")
    # The standby JobManager reaches the leader (the REST handlers' RPC), and the HA port.
    assert net.allowed(jm, jm, spec.ports.rpc)
    zk_policy = next(p for p in net.policies if p["metadata"]["name"] == zk)
    assert zk_policy["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_per_job_shared_ensemble_serves_every_job_cluster_and_its_submitter() -> None:
    net = network(make_spec(**CASES["per-job-zookeeper"]), make_spec(name="payments"))
    zk = "analytics-zookeeper"
    for job in ("orders", "clicks"):
        for pod in ("jobmanager", "taskmanager", "submit"):
            assert net.allowed(f"analytics-{job}-{pod}", zk, 2181), (job, pod)
    assert not net.allowed("payments-jobmanager", zk, 2181)  # another cluster in the namespace
    assert not net.allowed(STRANGER, zk, 2181)


def test_zetcd_and_etcd() -> None:
    net = network(make_spec(**CASES["zetcd"]))
    jm, tm, zetcd, etcd = "analytics-jobmanager", "analytics-taskmanager", "analytics-zetcd", "analytics-etcd"
    assert net.allowed(jm, zetcd, 2181) and net.allowed(tm, zetcd, 2181)
    assert net.allowed(zetcd, etcd, 2379)
    assert net.allowed(etcd, etcd, 2380)
    assert not net.allowed(jm, etcd, 2379) and not net.allowed(STRANGER, zetcd, 2181)
    assert not net.allowed(zetcd, etcd, 2380) and not net.allowed(etcd, zetcd, 2181)
    assert net.allowed(zetcd, KUBE_DNS, 53, "UDP") and net.allowed(etcd, KUBE_DNS, 53, "TCP")
    assert not net.allowed(etcd, OUTSIDE, 443) and not net.allowed(zetcd, OUTSIDE, 2379)


@pytest.mark.parametrize("case", ["kubernetes-ha", "existing-quorum"])
def test_no_store_of_ours_no_store_policy_and_flink_reaches_outside(case: str) -> None:
    net = network(make_spec(**CASES[case]))
    assert {p["metadata"]["name"] for p in net.policies} == {"analytics-jobmanager", "analytics-taskmanager"}
    # The API server (Kubernetes HA) or the existing quorum, outside the namespace.
    assert net.allowed("analytics-jobmanager", OUTSIDE, 443)
    assert net.allowed("analytics-taskmanager", OUTSIDE, 2181)


def test_dns_to_replaces_the_kube_dns_peer() -> None:
    node_local = Endpoint("node-local-dns", None, ip="169.254.20.10")
    net = network(make_spec(
        highAvailability=zookeeper_ha(),
        networkPolicy={"dnsTo": [{"ipBlock": {"cidr": "169.254.20.10/32"}}]},
    ))
    zk = "analytics-zookeeper"
    assert net.allowed(zk, node_local, 53, "UDP") and not net.allowed(zk, KUBE_DNS, 53, "UDP")


def test_disabled_creates_none_and_leaves_everything_open() -> None:
    spec = make_spec(networkPolicy={"enabled": False}, highAvailability=zookeeper_ha())
    render = render_specs(spec)
    net = network_of(render)
    assert net.policies == [] and network_policies(spec) == {}
    assert net.allowed(STRANGER, "analytics-jobmanager", spec.ports.rpc)
    assert net.allowed(STRANGER, "analytics-zookeeper", 2181)


def test_the_evaluator_follows_kubernetes_semantics() -> None:
    """The evaluator itself: isolation only by a selecting policy, empty peers admit all,
    named ports, port ranges, namespace and pod selectors together."""
    a = Endpoint("a", "ns", {"app": "a"}, {"web": 8080})
    b = Endpoint("b", "ns", {"app": "b"})
    c = Endpoint("c", "other", {"app": "a"})

    def policy(selector: Obj, ingress: list[Obj]) -> Obj:
        return {"metadata": {"name": "p", "namespace": "ns"},
                "spec": {"podSelector": selector, "ingress": ingress}}

    assert Network([], [a, b]).allowed(b, a, 1)
    deny_all = Network([policy({}, [])], [a, b])
    assert not deny_all.allowed(b, a, 8080)
    open_rule = Network([policy({"matchLabels": {"app": "a"}}, [{"ports": [{"port": "web"}]}])], [a, b])
    assert open_rule.allowed(c, a, 8080) and not open_rule.allowed(c, a, 8081)
    ranged = Network([policy({}, [{"from": [{"podSelector": {"matchLabels": {"app": "b"}}}],
                                   "ports": [{"port": 1000, "endPort": 2000}]}])], [a, b])
    assert ranged.allowed(b, a, 1500) and not ranged.allowed(b, a, 2001) and not ranged.allowed(c, a, 1500)
    both = Network([policy({}, [{"from": [{"namespaceSelector": {"matchLabels": namespace_labels("other")},
                                           "podSelector": {"matchLabels": {"app": "a"}}}]}])], [a])
    assert both.allowed(c, a, 1) and not both.allowed(b, a, 1)
    assert selects({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, {})
    assert not selects({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["1"]}]}, {"x": "1"})


# --- options and their errors ----------------------------------------------------------------

def problems_of(**overrides: Any) -> list[tuple[str, str]]:
    with pytest.raises(FlinkSpecError) as caught:
        render_specs(make_spec(**overrides))
    return [(p.path, p.fix) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("peers", "message"),
    [
        ([{}], "not a NetworkPolicyPeer"),
        ([{"pods": {}}], "not a NetworkPolicyPeer"),
        ([{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}], "combines ipBlock"),
        ([{"ipBlock": {}}], "has no cidr"),
        ([{"podSelector": {"labels": {"a": "b"}}}], "not a label selector"),
        ([{"podSelector": {"matchLabels": {"a": 1}}}], "not a mapping of labels"),
        ([{"podSelector": {"matchLabels": {"bad key!": "x"}}}], "not a valid label"),
        ([{"podSelector": {"matchLabels": {"app": "prometheus\n"}}}], "not a label value"),
        ([{"namespaceSelector": {"matchLabels": {"team": "-x"}}}], "not a label value"),
        ([{"ipBlock": {"cidr": "10.0.0.0/8\n"}}], "not a CIDR"),
        ([{"ipBlock": {"cidr": "10.0.0.0"}}], "not a CIDR"),
        ([{"ipBlock": {"cidr": "10.0.0.0/33"}}], "not a CIDR"),
        ([{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16 "]}}], "not a CIDR"),
        ([{"ipBlock": {"cidr": "10.0.0.0/8", "except": "10.1.0.0/16"}}], "not a list"),
    ],
)
def test_malformed_peers_are_refused_with_their_path(peers: list[Obj], message: str) -> None:
    for field_name in ("restFrom", "metricsFrom", "dnsTo"):
        with pytest.raises(FlinkSpecError) as caught:
            make_spec(networkPolicy={field_name: peers})
        (problem,) = caught.value.problems
        assert problem.path.startswith(f"networkPolicy.{field_name}"), problem.path
        assert message in problem.message and problem.fix


def test_fields_of_a_disabled_policy_are_refused() -> None:
    problems = problems_of(networkPolicy={"enabled": False, "restFrom": [AIRFLOW_NS], "dnsTo": []})
    assert [path for path, _ in problems] == ["networkPolicy.restFrom", "networkPolicy.dnsTo"]


def test_stores_need_dns() -> None:
    problems = problems_of(highAvailability=zookeeper_ha(), networkPolicy={"dnsTo": []})
    assert [path for path, _ in problems] == ["networkPolicy.dnsTo"]
    make_spec(networkPolicy={"dnsTo": []})  # no store of ours: nothing resolves through it
    render_specs(make_spec(networkPolicy={"dnsTo": []}))


def test_metrics_from_needs_metrics() -> None:
    problems = problems_of(metrics={"enabled": False}, networkPolicy={"metricsFrom": [PROMETHEUS_NS]})
    assert [path for path, _ in problems] == ["networkPolicy.metricsFrom"]


def test_a_monitor_needs_someone_admitted_to_scrape() -> None:
    problems = problems_of(metrics={"podMonitor": True})
    assert [path for path, _ in problems] == ["networkPolicy.metricsFrom"]
    assert "networkPolicy.enabled: false" in problems[0][1]
    render_specs(make_spec(metrics={"podMonitor": True}, networkPolicy={"enabled": False}))


@pytest.mark.parametrize("exposure", ["NodePort", "LoadBalancer"])
def test_an_exposed_rest_service_without_rest_from_is_a_warning(exposure: str) -> None:
    spec = make_spec(rest={"exposure": exposure})
    (warning,) = [w for w in cluster_warnings(spec) if "restFrom" in w]
    assert warning.startswith(f"analytics: rest.exposure is {exposure}")
    anyone = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    fixed = make_spec(rest={"exposure": exposure}, networkPolicy={"restFrom": anyone})
    assert not [w for w in cluster_warnings(fixed) if "restFrom" in w]
    assert not [w for w in cluster_warnings(make_spec()) if "restFrom" in w]
    off = make_spec(rest={"exposure": exposure}, networkPolicy={"enabled": False})
    assert not [w for w in cluster_warnings(off) if "restFrom" in w]
    per_job = make_spec(rest={"exposure": exposure}, **CASES["per-job"])
    assert len([w for w in cluster_warnings(per_job) if "restFrom" in w]) == 2

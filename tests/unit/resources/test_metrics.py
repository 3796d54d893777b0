"""Metrics: Flink's Prometheus reporter by default (configuration and the named container port
``metrics``), its options and refusals, and the Prometheus operator's PodMonitor and
ServiceMonitor, whose selectors are matched against the rendered pods.

The operator's CRDs are not in kubernetes-validate's schemas: the monitors are checked against
the part of ``monitoring.coreos.com/v1`` they use, written down below from the operator's CRDs
(``monitoring.coreos.com_podmonitors.yaml``, ``..._servicemonitors.yaml``) with unknown fields
refused, so a misspelt field fails here rather than in the cluster.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from pulumi_flink.offline.renderer import Render
from pulumi_flink.render.flink_config import (
    PROMETHEUS_REPORTER_CLASS,
    PROMETHEUS_REPORTER_FACTORY,
    render_config,
)
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.kubernetes_schema import KUBERNETES_VERSION
from tests.support.network_policies import (
    PROMETHEUS_NS,
    Endpoint,
    container_ports,
    rendered_pods,
    selects,
)
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

Obj = dict[str, Any]
JAR = "/opt/flink/usrlib/job.jar"
SCRAPED = {"networkPolicy": {"metricsFrom": [PROMETHEUS_NS]}}
PUSH_GATEWAY_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusPushGatewayReporterFactory"

_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_NAMESPACE_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}},
}
_ENDPOINT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "port": {"type": "string"},
        "portNumber": {"type": "integer"},
        "targetPort": {"type": ["integer", "string"]},
        "path": {"type": "string"},
        "scheme": {"enum": ["http", "https"]},
        "interval": {"type": "string"},
        "scrapeTimeout": {"type": "string"},
        "honorLabels": {"type": "boolean"},
    },
}
_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def monitor_schema(kind: str, endpoints: str) -> Obj:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": kind},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["selector"],
                "properties": {
                    "selector": _SELECTOR,
                    "namespaceSelector": _NAMESPACE_SELECTOR,
                    endpoints: {"type": "array", "minItems": 1, "items": _ENDPOINT},
                    "jobLabel": {"type": "string"},
                    "podTargetLabels": {"type": "array", "items": {"type": "string"}},
                    "sampleLimit": {"type": "integer"},
                },
            },
        },
    }


POD_MONITOR_SCHEMA = monitor_schema("PodMonitor", "podMetricsEndpoints")
SERVICE_MONITOR_SCHEMA = monitor_schema("ServiceMonitor", "endpoints")


def pods_of(render: Render) -> list[Endpoint]:
    return rendered_pods(render.kubernetes_objects())


def metrics_port_of(pod: Endpoint) -> int | None:
    return pod.ports.get("metrics")


# --- the reporter: configuration and ports -------------------------------------------------

@pytest.mark.parametrize("version", ["1.14", "1.20", "2.3"])
def test_the_prometheus_reporter_is_configured_by_default(version: str) -> None:
    spec = make_spec(flinkVersion=version)
    assert spec.metrics.enabled and spec.metrics.port == 9249
    rendered = render_config(spec)
    assert rendered.values["metrics.reporter.prom.factory.class"] == PROMETHEUS_REPORTER_FACTORY
    # A string: Flink 1.x's reporter reads the port with getString, which skips a YAML number.
    assert rendered.values["metrics.reporter.prom.port"] == "9249"
    text = rendered.files[rendered.file_name]
    if rendered.file_name == "config.yaml":
        assert yaml.safe_load(text)["metrics.reporter.prom.port"] == "9249"
    else:
        assert "metrics.reporter.prom.port: 9249\n" in text


def test_config_yaml_on_1_20_keeps_the_port_a_string() -> None:
    rendered = render_config(make_spec(configFile="config.yaml", metrics={"port": 9300}))
    assert yaml.safe_load(rendered.files["config.yaml"])["metrics.reporter.prom.port"] == "9300"


CASES: dict[str, dict[str, Any]] = {
    "session": {},
    "application": {"mode": "application", "job": {"jar": JAR}},
    "native-session": {"native": True},
    "native-application": {"native": True, "mode": "application", "job": {"jar": JAR}},
    "per-job": {"mode": "per-job", "jobs": [{"name": "orders", "jar": JAR}]},
    "zookeeper": {"highAvailability": {"type": "zookeeper", "storageDir": "hdfs://nn:8020/f"}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_jobmanagers_and_taskmanagers_name_the_metrics_port(case: str) -> None:
    render = render_specs(make_spec(**CASES[case]))
    for pod in pods_of(render):
        component = pod.labels["app.kubernetes.io/component"]
        if component in ("jobmanager", "taskmanager"):
            assert metrics_port_of(pod) == 9249, pod.name
        else:  # the per-job client, ZooKeeper
            assert metrics_port_of(pod) is None, pod.name
    for obj in render.kubernetes_objects():
        if obj["kind"] in ("Deployment", "Job"):
            for container in obj["spec"]["template"]["spec"]["containers"]:
                assert all(port["protocol"] == "TCP" for port in container.get("ports", []))


def test_the_port_can_be_changed() -> None:
    spec = make_spec(metrics={"port": 9300}, native=True)
    render = render_specs(spec)
    assert {metrics_port_of(p) for p in pods_of(render)} == {9300}
    assert render_config(spec).values["metrics.reporter.prom.port"] == "9300"
    template = objects_by_kind_name(render)[("ConfigMap", "pod-template-analytics")]
    pod = yaml.safe_load(template["data"]["taskmanager-pod-template.yaml"])
    assert container_ports(pod["spec"]) == {"metrics": 9300}
    kubernetes_validate.validate(
        {**pod, "spec": {**pod["spec"], "containers": [{**pod["spec"]["containers"][0], "image": "flink"}]}},
        KUBERNETES_VERSION, strict=True,
    )


def test_disabled_configures_nothing_and_keeps_your_own_reporters() -> None:
    own = {
        "metrics.reporter.prom.factory.class": PROMETHEUS_REPORTER_FACTORY,
        "metrics.reporter.prom.port": "9999",
        "metrics.reporter.jmx.factory.class": "org.apache.flink.metrics.jmx.JMXReporterFactory",
    }
    spec = make_spec(metrics={"enabled": False}, flinkConfiguration=own)
    values = render_config(spec).values
    assert {k: v for k, v in values.items() if k.startswith("metrics.")} == own
    assert all(metrics_port_of(p) is None for p in pods_of(render_specs(spec)))
    assert not render_config(make_spec(metrics={"enabled": False})).values.keys() & set(own)


def test_other_reporters_run_beside_the_librarys() -> None:
    others = {
        "metrics.reporter.jmx.factory.class": "org.apache.flink.metrics.jmx.JMXReporterFactory",
        "metrics.reporter.pgw.factory.class": PUSH_GATEWAY_FACTORY,  # opens no port
        "metrics.reporter.prom.filterLabelValueCharacters": False,  # the library's reporter's own option
        "metrics.reporters": "prom, jmx",
    }
    values = render_config(make_spec(flinkConfiguration=others)).values
    assert others.items() <= values.items()
    assert values["metrics.reporter.prom.factory.class"] == PROMETHEUS_REPORTER_FACTORY


def problems(**overrides: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(FlinkSpecError) as caught:
        render_specs(make_spec(**overrides))
    return [(p.path, p.message, p.fix) for p in caught.value.problems]


def paths(**overrides: Any) -> list[str]:
    return [path for path, _, _ in problems(**overrides)]


@pytest.mark.parametrize(
    ("key", "value", "fix"),
    [
        ("metrics.reporter.prom.factory.class", PROMETHEUS_REPORTER_FACTORY, "metrics.enabled"),
        ("metrics.reporter.prom.class", PROMETHEUS_REPORTER_CLASS, "metrics.enabled"),
        ("metrics.reporter.prom.port", "9250", "metrics.port"),
    ],
)
def test_the_librarys_reporter_keys_are_refused(key: str, value: str, fix: str) -> None:
    ((path, message, hint),) = problems(flinkConfiguration={key: value})
    assert path == f"flinkConfiguration.{key}" and "Prometheus reporter 'prom'" in message
    assert fix in hint and "metrics.enabled: false" in hint


@pytest.mark.parametrize("key", ["factory.class", "class"])
def test_a_second_prometheus_reporter_is_refused(key: str) -> None:
    mine = {f"metrics.reporter.mine.{key}": PROMETHEUS_REPORTER_FACTORY if key == "factory.class"
            else PROMETHEUS_REPORTER_CLASS}
    ((path, message, _),) = problems(flinkConfiguration=mine)
    assert path == "flinkConfiguration.metrics.reporter.mine" and "second Prometheus reporter" in message
    render_specs(make_spec(metrics={"enabled": False}, flinkConfiguration=mine))


def test_a_reporter_list_without_the_librarys_is_refused() -> None:
    ((path, message, fix),) = problems(flinkConfiguration={"metrics.reporters": "jmx"})
    assert path == "flinkConfiguration.metrics.reporters" and "['jmx']" in message and "add prom" in fix


def test_the_metrics_port_must_be_its_own() -> None:
    for port, taken in ((8081, "ports.rest"), (6123, "ports.rpc"), (6121, "ports.taskManagerData")):
        ((path, message, _),) = problems(metrics={"port": port})
        assert path == "metrics.port" and taken in message
    with pytest.raises(FlinkSpecError) as caught:
        make_spec(metrics={"port": 0})
    assert caught.value.problems[0].path == "metrics.port"


def test_fields_of_disabled_metrics_are_refused() -> None:
    off = {"enabled": False, "port": 9300, "podMonitor": True, "monitorLabels": {"a": "b"}}
    assert paths(metrics=off) == ["metrics.port", "metrics.podMonitor", "metrics.monitorLabels"]


# --- the Prometheus operator's monitors ----------------------------------------------------------

def test_no_monitor_by_default() -> None:
    objects = objects_by_kind_name(render_specs(make_spec()))
    assert not [key for key in objects if key[0] in ("PodMonitor", "ServiceMonitor")]
    assert ("Service", "analytics-metrics") not in objects


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_pod_monitor_selects_exactly_the_jobmanagers_and_taskmanagers(case: str) -> None:
    spec = make_spec(**CASES[case], metrics={"podMonitor": True, "monitorLabels": {"release": "prometheus"}},
                     **SCRAPED)
    render = render_specs(spec)
    objects = objects_by_kind_name(render)
    pods = pods_of(render)
    monitors = {name: o for (kind, name), o in objects.items() if kind == "PodMonitor"}
    clusters = [spec] if spec.mode != "per-job" else [spec.job_cluster(job) for job in spec.jobs]
    assert sorted(monitors) == sorted(c.names.metrics for c in clusters)
    for cluster in clusters:
        monitor = monitors[cluster.names.metrics]
        jsonschema.validate(monitor, POD_MONITOR_SCHEMA)
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        selected = [p for p in pods if p.namespace == monitor["metadata"]["namespace"]
                    and selects(monitor["spec"]["selector"], p.labels)]
        expected = {p.name for p in pods
                    if p.labels.get("app.kubernetes.io/instance") == cluster.name
                    and p.labels["app.kubernetes.io/component"] in ("jobmanager", "taskmanager")}
        assert {p.name for p in selected} == expected and len(expected) == 2
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        assert endpoint == {"port": "metrics", "path": "/metrics"}
        assert all(metrics_port_of(p) == 9249 for p in selected)


def test_the_service_monitor_scrapes_a_headless_service_over_the_metrics_ports() -> None:
    spec = make_spec(metrics={"serviceMonitor": True}, highAvailability={"type": "zookeeper",
                     "storageDir": "hdfs://nn:8020/f"}, **SCRAPED)
    render = render_specs(spec)
    objects = objects_by_kind_name(render)
    service = objects[("Service", "analytics-metrics")]
    monitor = objects[("ServiceMonitor", "analytics-metrics")]
    kubernetes_validate.validate(service, KUBERNETES_VERSION, strict=True)
    jsonschema.validate(monitor, SERVICE_MONITOR_SCHEMA)
    assert service["spec"]["clusterIP"] == "None"
    (port,) = service["spec"]["ports"]
    assert port == {"name": "metrics", "port": 9249, "targetPort": "metrics", "protocol": "TCP"}
    # Its endpoints: the selected pods that have a port named metrics (ZooKeeper has none).
    selector = {"matchLabels": service["spec"]["selector"]}
    endpoints = {p.name for p in pods_of(render)
                 if selects(selector, p.labels) and metrics_port_of(p) is not None}
    assert endpoints == {"analytics-jobmanager", "analytics-taskmanager"}
    assert selects(monitor["spec"]["selector"], service["metadata"]["labels"])
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["flink"]}
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics"}]
    rest = objects[("Service", "analytics-rest")]
    assert not selects(monitor["spec"]["selector"], rest["metadata"]["labels"])


def test_the_schemas_catch_a_misspelt_field() -> None:
    render = render_specs(make_spec(metrics={"podMonitor": True}, **SCRAPED))
    monitor = objects_by_kind_name(render)[("PodMonitor", "analytics-metrics")]
    monitor["spec"]["podMetricEndpoints"] = monitor["spec"].pop("podMetricsEndpoints")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(monitor, POD_MONITOR_SCHEMA)


def test_monitor_refusals() -> None:
    both = {"podMonitor": True, "serviceMonitor": True}
    assert paths(metrics=both, **SCRAPED) == ["metrics.serviceMonitor"]
    assert paths(metrics={"monitorLabels": {"release": "x"}}) == ["metrics.monitorLabels"]
    reserved = {"podMonitor": True, "monitorLabels": {"app.kubernetes.io/name": "x"}}
    assert paths(metrics=reserved, **SCRAPED) == ["metrics.monitorLabels.app.kubernetes.io/name"]
    with pytest.raises(FlinkSpecError) as caught:
        make_spec(metrics={"monitorLabels": {"release": "not valid!"}})
    assert caught.value.problems[0].path == "metrics.monitorLabels"

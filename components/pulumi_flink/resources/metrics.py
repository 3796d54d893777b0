"""``FlinkMetrics``: what makes Prometheus scrape a cluster's metrics (``metrics``).

Flink's Prometheus reporter itself is configuration (``flink_config.metrics_values``) and a
named container port ``metrics`` on every JobManager and TaskManager (``pods.add_metrics_port``,
native TaskManagers through the pod template). With the Prometheus operator, one of:

- ``metrics.podMonitor``: a PodMonitor ``<cluster>-metrics`` selecting the cluster's JobManager
  and TaskManager pods by their selector labels, scraping their ``metrics`` port. Native
  TaskManagers, which Flink creates at run time, carry the same labels and are found too.
- ``metrics.serviceMonitor``: a headless Service ``<cluster>-metrics`` over the ``metrics``
  ports of the cluster's pods (a pod without such a port, e.g. per-job mode's submitter, is
  no endpoint of it), and a ServiceMonitor of the same name selecting that Service.

Either needs the operator's CRDs in the cluster, and a Prometheus allowed to reach the port
(``networkPolicy.metricsFrom``).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.model.layout import METRICS_PORT_NAME
from pulumi_flink.model.naming import selector_labels
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, object_metadata, wire
from pulumi_flink.resources.network import FLINK_COMPONENTS, flink_pods
from pulumi_flink.spec import FlinkClusterSpec

Obj = dict[str, Any]

MONITORING_API_VERSION = "monitoring.coreos.com/v1"
METRICS_COMPONENT = "metrics"
METRICS_PATH = "/metrics"
"""What Prometheus asks for by default; Flink's reporter answers on any path."""


def _endpoint() -> Obj:
    return {"port": METRICS_PORT_NAME, "path": METRICS_PATH}


def pod_monitor_spec(spec: FlinkClusterSpec) -> Obj:
    return {
        "selector": flink_pods([spec.name], FLINK_COMPONENTS),
        "podMetricsEndpoints": [_endpoint()],
    }


def metrics_service_spec(spec: FlinkClusterSpec) -> Obj:
    """Headless: Prometheus scrapes every pod (the endpoints), never a virtual IP."""
    return {
        "clusterIP": "None",
        "selector": {"app.kubernetes.io/name": "flink", "app.kubernetes.io/instance": spec.name},
        "ports": [{"name": METRICS_PORT_NAME, "port": spec.metrics.port, "targetPort": METRICS_PORT_NAME,
                   "protocol": "TCP"}],
    }


def service_monitor_spec(spec: FlinkClusterSpec) -> Obj:
    return {
        "selector": {"matchLabels": selector_labels(spec.name, METRICS_COMPONENT)},
        "namespaceSelector": {"matchNames": [spec.namespace]},
        "endpoints": [_endpoint()],
    }


def monitor_metadata(spec: FlinkClusterSpec) -> Obj:
    """The monitors' metadata: our labels and ``metrics.monitorLabels`` (which the library's
    reserved keys are checked not to be)."""
    metadata = object_metadata(spec, spec.names.metrics, METRICS_COMPONENT)
    metadata["labels"] = {**metadata["labels"], **spec.metrics.monitor_labels}
    return metadata


class FlinkMetrics(pulumi.ComponentResource):
    """The Prometheus operator objects of one cluster (see the module docstring); none unless
    ``metrics.podMonitor`` or ``metrics.serviceMonitor``."""

    pod_monitor: k8s.apiextensions.CustomResource | None
    service_monitor: k8s.apiextensions.CustomResource | None
    service: k8s.core.v1.Service | None

    def __init__(self, name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkMetrics", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        metrics = spec.metrics
        self.pod_monitor = self.service_monitor = self.service = None

        def monitor(suffix: str, kind: str, body: Obj) -> k8s.apiextensions.CustomResource:
            return k8s.apiextensions.CustomResource(
                f"{name}-{suffix}",
                api_version=MONITORING_API_VERSION,
                kind=kind,
                metadata=wire(monitor_metadata(spec)),
                spec=wire(body),
                opts=child,
            )

        if metrics.enabled and metrics.pod_monitor:
            self.pod_monitor = monitor("pod-monitor", "PodMonitor", pod_monitor_spec(spec))
        if metrics.enabled and metrics.service_monitor:
            self.service = k8s.core.v1.Service(
                f"{name}-service",
                metadata=wire(object_metadata(spec, spec.names.metrics, METRICS_COMPONENT)),
                spec=wire(metrics_service_spec(spec)),
                opts=child,
            )
            self.service_monitor = monitor("service-monitor", "ServiceMonitor", service_monitor_spec(spec))
        self.register_outputs({})

"""What makes Prometheus scrape a cluster's metrics (``metrics``), as plain Kubernetes dicts
(registered by ``resources.metrics``).

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

from pulumi_flink.model.layout import METRICS_PORT_NAME
from pulumi_flink.model.naming import cluster_selector_labels, selector_labels
from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.render.network import FLINK_COMPONENTS, flink_pods
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
        "selector": cluster_selector_labels(spec.name),
        "ports": [{"name": METRICS_PORT_NAME, "port": spec.metrics.port, "targetPort": METRICS_PORT_NAME,
                   "protocol": "TCP"}],
    }


def metrics_service_metadata(spec: FlinkClusterSpec) -> Obj:
    return object_metadata(spec, spec.names.metrics, METRICS_COMPONENT)


def service_monitor_spec(spec: FlinkClusterSpec) -> Obj:
    return {
        "selector": {"matchLabels": selector_labels(spec.name, METRICS_COMPONENT)},
        "namespaceSelector": {"matchNames": [spec.namespace]},
        "endpoints": [_endpoint()],
    }


def monitor_metadata(spec: FlinkClusterSpec) -> Obj:
    """The monitors' metadata: our labels and ``metrics.monitorLabels`` (which the library's
    reserved keys are checked not to be)."""
    metadata = metrics_service_metadata(spec)
    metadata["labels"] = {**metadata["labels"], **spec.metrics.monitor_labels}
    return metadata

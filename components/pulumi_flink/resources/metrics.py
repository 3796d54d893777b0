"""``FlinkMetrics``: the Prometheus operator objects that scrape a cluster's metrics
(``metrics``; what they select: ``render.metrics``)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.render.metrics import (
    MONITORING_API_VERSION,
    Obj,
    metrics_service_metadata,
    metrics_service_spec,
    monitor_metadata,
    pod_monitor_spec,
    service_monitor_spec,
)
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec


class FlinkMetrics(pulumi.ComponentResource):
    """The Prometheus operator objects of one cluster (see ``render.metrics``); none unless
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
                metadata=wire(metrics_service_metadata(spec)),
                spec=wire(metrics_service_spec(spec)),
                opts=child,
            )
            self.service_monitor = monitor("service-monitor", "ServiceMonitor", service_monitor_spec(spec))
        self.register_outputs({})

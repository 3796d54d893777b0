"""Metrics: the Prometheus reporter, its port and monitors."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pulumi_flink.model.naming import RESERVED_LABEL_KEYS
from pulumi_flink.render.flink_config import (
    PROMETHEUS_MANAGED_KEYS,
    PROMETHEUS_REPORTER,
    PROMETHEUS_REPORTER_CLASS,
    PROMETHEUS_REPORTER_FACTORY,
)
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem

METRICS_FIELD_NAMES = {
    "port": "port", "pod_monitor": "podMonitor", "service_monitor": "serviceMonitor",
    "monitor_labels": "monitorLabels",
}


def prometheus_reporter_names(config: Mapping[str, object]) -> list[str]:
    """The reporters of ``config`` that are Flink's Prometheus reporter (an HTTP server on a
    port; the push-gateway reporter opens none)."""
    names = []
    for key, value in config.items():
        match = re.fullmatch(r"metrics\.reporter\.([^.]+)\.(factory\.class|class)", key)
        if match and str(value).strip() in (PROMETHEUS_REPORTER_FACTORY, PROMETHEUS_REPORTER_CLASS):
            names.append(match[1])
    return sorted(set(names))


def check_metrics(spec: FlinkClusterSpec) -> list[Problem]:
    metrics = spec.metrics
    if not metrics.enabled:
        return [
            Problem(f"metrics.{name}", "metrics are off (metrics.enabled: false).",
                    "remove this field, or turn metrics on")
            for field, name in METRICS_FIELD_NAMES.items()
            if field in metrics.model_fields_set
        ]
    problems = []
    if metrics.pod_monitor and metrics.service_monitor:
        problems.append(
            Problem("metrics.serviceMonitor", "with metrics.podMonitor as well, Prometheus would scrape "
                    "every pod twice.", "keep one of them")
        )
    if metrics.monitor_labels and not (metrics.pod_monitor or metrics.service_monitor):
        problems.append(
            Problem("metrics.monitorLabels", "there is no monitor to label.",
                    "set metrics.podMonitor or metrics.serviceMonitor, or remove monitorLabels")
        )
    problems += [
        Problem(f"metrics.monitorLabels.{key}", "this label is set by pulumi-flink.",
                "remove it; use another key")
        for key in metrics.monitor_labels
        if key in RESERVED_LABEL_KEYS
    ]
    ports = spec.ports
    taken = {
        ports.rpc: "ports.rpc", ports.blob: "ports.blob", ports.rest: "ports.rest",
        ports.task_manager_rpc: "ports.taskManagerRpc", ports.task_manager_data: "ports.taskManagerData",
    }
    if metrics.port in taken:
        problems.append(
            Problem("metrics.port", f"{metrics.port} is already {taken[metrics.port]}.",
                    "give the metrics port its own number (default 9249)")
        )
    config = spec.flink_configuration
    for key in sorted(set(config) & set(PROMETHEUS_MANAGED_KEYS)):
        problems.append(
            Problem(
                f"flinkConfiguration.{key}",
                "the library configures the Prometheus reporter 'prom' (metrics.enabled).",
                f"remove it and set {PROMETHEUS_MANAGED_KEYS[key]}; or set metrics.enabled: false to "
                "configure reporters yourself",
            )
        )
    for name in prometheus_reporter_names(config):
        if name != PROMETHEUS_REPORTER:
            problems.append(
                Problem(
                    f"flinkConfiguration.metrics.reporter.{name}",
                    "a second Prometheus reporter would compete with the library's for a port.",
                    "remove it (the library's reporter is on metrics.port), or set metrics.enabled: false",
                )
            )
    enabled = config.get("metrics.reporters")
    if enabled is not None:
        listed = [item.strip() for item in str(enabled).split(",") if item.strip()]
        if PROMETHEUS_REPORTER not in listed:
            problems.append(
                Problem(
                    "flinkConfiguration.metrics.reporters",
                    f"it enables only {listed}, not the library's Prometheus reporter "
                    f"'{PROMETHEUS_REPORTER}': the metrics port would stay closed.",
                    f"add {PROMETHEUS_REPORTER} to the list, or set metrics.enabled: false",
                )
            )
    return problems

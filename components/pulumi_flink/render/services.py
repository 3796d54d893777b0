"""The JobManager's Services, as plain Kubernetes dicts: internal (RPC, blob) and REST."""

from __future__ import annotations

from typing import Any

from pulumi_flink.model.layout import (
    BLOB_PORT_NAME,
    NATIVE_BLOB_PORT_NAME,
    NATIVE_RPC_PORT_NAME,
    REST_PORT_NAME,
    RPC_PORT_NAME,
)
from pulumi_flink.model.naming import selector_labels
from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.spec import FlinkClusterSpec


def internal_service_spec(spec: FlinkClusterSpec) -> dict[str, Any]:
    """What TaskManagers and clients dial for RPC and blobs; never exposed outside.

    Native: headless, as Flink's client makes it, so the name resolves to the JobManager
    pod itself, and with Flink's port names.
    """
    native = (NATIVE_RPC_PORT_NAME, NATIVE_BLOB_PORT_NAME)
    rpc, blob = native if spec.native else (RPC_PORT_NAME, BLOB_PORT_NAME)
    service: dict[str, Any] = {
        "type": "ClusterIP",
        "selector": selector_labels(spec.name, "jobmanager"),
        "ports": [
            {"name": rpc, "port": spec.ports.rpc, "targetPort": rpc, "protocol": "TCP"},
            {"name": blob, "port": spec.ports.blob, "targetPort": blob, "protocol": "TCP"},
        ],
    }
    if spec.native:
        service["clusterIP"] = "None"
    return service


def internal_service_metadata(spec: FlinkClusterSpec) -> dict[str, Any]:
    return object_metadata(spec, spec.names.jobmanager_service, "jobmanager")


def rest_service_spec(spec: FlinkClusterSpec) -> dict[str, Any]:
    port: dict[str, Any] = {
        "name": REST_PORT_NAME, "port": spec.ports.rest, "targetPort": REST_PORT_NAME, "protocol": "TCP"
    }
    if spec.rest.node_port is not None:
        port["nodePort"] = spec.rest.node_port
    return {
        "type": spec.rest.exposure,
        "selector": selector_labels(spec.name, "jobmanager"),
        "ports": [port],
    }


def rest_service_metadata(spec: FlinkClusterSpec) -> dict[str, Any]:
    """The object metadata, plus ``rest.annotations`` (a load balancer's settings, say)."""
    metadata = object_metadata(spec, spec.names.rest_service, "jobmanager")
    if spec.rest.annotations:
        metadata["annotations"] = {**metadata.get("annotations", {}), **spec.rest.annotations}
    return metadata

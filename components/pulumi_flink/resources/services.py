"""The JobManager's Services: internal (RPC, blob) and REST."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.model.layout import NATIVE_BLOB_PORT_NAME, NATIVE_RPC_PORT_NAME, REST_PORT_NAME
from pulumi_flink.model.naming import selector_labels
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, object_metadata, wire
from pulumi_flink.spec import FlinkClusterSpec


def internal_service_spec(spec: FlinkClusterSpec) -> dict[str, Any]:
    """What TaskManagers and clients dial for RPC and blobs; never exposed outside.

    Native: headless, as Flink's client makes it, so the name resolves to the JobManager
    pod itself, and with Flink's port names.
    """
    rpc, blob = (NATIVE_RPC_PORT_NAME, NATIVE_BLOB_PORT_NAME) if spec.native else ("rpc", "blob")
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


class FlinkServices(pulumi.ComponentResource):
    """Services that select exactly the cluster's JobManager pods."""

    jobmanager_service: k8s.core.v1.Service
    rest_service: k8s.core.v1.Service
    jobmanager_service_name: pulumi.Output[str]
    rest_service_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        names = spec.names
        super().__init__(f"{TYPE_PREFIX}:FlinkServices", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.jobmanager_service = k8s.core.v1.Service(
            f"{name}-jobmanager",
            metadata=wire(object_metadata(spec, names.jobmanager_service, "jobmanager")),
            spec=wire(internal_service_spec(spec)),
            opts=child,
        )
        rest_metadata = object_metadata(spec, names.rest_service, "jobmanager")
        if spec.rest.annotations:
            rest_metadata["annotations"] = {**rest_metadata.get("annotations", {}), **spec.rest.annotations}
        self.rest_service = k8s.core.v1.Service(
            f"{name}-rest", metadata=wire(rest_metadata), spec=wire(rest_service_spec(spec)), opts=child
        )
        self.jobmanager_service_name = self.jobmanager_service.metadata.name
        self.rest_service_name = self.rest_service.metadata.name
        self.register_outputs(
            {
                "jobmanagerServiceName": self.jobmanager_service_name,
                "restServiceName": self.rest_service_name,
            }
        )

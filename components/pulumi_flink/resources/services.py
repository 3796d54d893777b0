"""``FlinkServices``: the JobManager's Services (internal RPC and blob, and REST), built by
``render.services``."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.render.services import (
    internal_service_metadata,
    internal_service_spec,
    rest_service_metadata,
    rest_service_spec,
)
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec


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
        super().__init__(f"{TYPE_PREFIX}:FlinkServices", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.jobmanager_service = k8s.core.v1.Service(
            f"{name}-jobmanager",
            metadata=wire(internal_service_metadata(spec)),
            spec=wire(internal_service_spec(spec)),
            opts=child,
        )
        self.rest_service = k8s.core.v1.Service(
            f"{name}-rest",
            metadata=wire(rest_service_metadata(spec)),
            spec=wire(rest_service_spec(spec)),
            opts=child,
        )
        self.jobmanager_service_name = self.jobmanager_service.metadata.name
        self.rest_service_name = self.rest_service.metadata.name
        self.register_outputs(
            {
                "jobmanagerServiceName": self.jobmanager_service_name,
                "restServiceName": self.rest_service_name,
            }
        )

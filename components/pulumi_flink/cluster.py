"""``FlinkCluster``: the components composed into a standalone session cluster."""

from __future__ import annotations

import pulumi

from .configuration import FlinkConfiguration
from .meta import TYPE_PREFIX, ensure_valid
from .rbac import FlinkRbac
from .services import FlinkServices
from .spec import FlinkClusterSpec
from .validation import cluster_warnings
from .workloads import JobManager, TaskManager


class FlinkCluster(pulumi.ComponentResource):
    """A Flink cluster on Kubernetes.

    Pass your own ``provider``/``providers`` and ``parent`` in ``opts``: every
    child inherits them. Bad input raises ``FlinkSpecError`` before anything
    is registered.

    Outputs: ``namespace``, ``jobmanager_service_name``, ``rest_service_name``,
    ``rest_endpoint`` (in-cluster URL), ``cluster_id``.
    """

    spec: FlinkClusterSpec
    configuration: FlinkConfiguration
    rbac: FlinkRbac
    services: FlinkServices
    jobmanager: JobManager
    taskmanager: TaskManager
    namespace: pulumi.Output[str]
    jobmanager_service_name: pulumi.Output[str]
    rest_service_name: pulumi.Output[str]
    rest_endpoint: pulumi.Output[str]
    cluster_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkCluster", name, None, opts)
        self.spec = spec
        for warning in cluster_warnings(spec):
            pulumi.log.warn(warning, resource=self)
        child = pulumi.ResourceOptions(parent=self)

        self.configuration = FlinkConfiguration(f"{name}-configuration", spec, opts=child)
        self.rbac = FlinkRbac(f"{name}-rbac", spec, opts=child)
        self.services = FlinkServices(f"{name}-services", spec, opts=child)
        needs = [self.configuration.config_map, *self.rbac.pod_needs]
        rendered = self.configuration.rendered
        account = self.rbac.service_account_name
        token = self.rbac.automount_token
        self.jobmanager = JobManager(
            f"{name}-jobmanager", spec, rendered, account, token, needs=needs, opts=child
        )
        self.taskmanager = TaskManager(
            f"{name}-taskmanager", spec, rendered, account, token, needs=needs, opts=child
        )

        self.namespace = self.services.rest_service.metadata.namespace.apply(lambda ns: ns or spec.namespace)
        self.jobmanager_service_name = self.services.jobmanager_service_name
        self.rest_service_name = self.services.rest_service_name
        self.rest_endpoint = pulumi.Output.all(self.rest_service_name, self.namespace).apply(
            lambda parts: f"http://{parts[0]}.{parts[1]}.svc:{spec.ports.rest}"
        )
        self.cluster_id = pulumi.Output.from_input(spec.name)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "jobmanagerServiceName": self.jobmanager_service_name,
                "restServiceName": self.rest_service_name,
                "restEndpoint": self.rest_endpoint,
                "clusterId": self.cluster_id,
            }
        )

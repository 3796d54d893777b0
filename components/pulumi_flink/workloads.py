"""The JobManager and TaskManager Deployments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .flink_config import RenderedConfig
from .meta import TYPE_PREFIX, ensure_valid, object_metadata, wire
from .naming import ClusterNames, selector_labels
from .pods import ProcessRole, flink_pod_template, jobmanager_role, taskmanager_role
from .spec import FlinkClusterSpec


def deployment_spec(
    spec: FlinkClusterSpec,
    role: ProcessRole,
    replicas: int,
    config: RenderedConfig,
    service_account_name: str,
    automount_token: bool,
) -> dict[str, Any]:
    return {
        "replicas": replicas,
        "selector": {"matchLabels": selector_labels(spec.name, role.component)},
        "template": flink_pod_template(spec, role, config, service_account_name, automount_token),
    }


class _FlinkWorkload(pulumi.ComponentResource):
    deployment: k8s.apps.v1.Deployment
    deployment_name: pulumi.Output[str]

    def _register(
        self,
        type_name: str,
        name: str,
        spec: FlinkClusterSpec,
        role: ProcessRole,
        object_name: str,
        replicas: int,
        config: RenderedConfig,
        service_account_name: str,
        automount_token: bool,
        needs: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:{type_name}", name, None, opts)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=wire(object_metadata(spec, object_name, role.component)),
            spec=wire(deployment_spec(spec, role, replicas, config, service_account_name, automount_token)),
            # Only what the pods need to start: not the other process, not an Output.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(needs)),
        )
        self.deployment_name = self.deployment.metadata.name
        self.register_outputs({"deploymentName": self.deployment_name})


class JobManager(_FlinkWorkload):
    """The JobManager Deployment of a standalone session cluster.

    ``needs`` lists what the pods need to exist before they start (the
    ConfigMap, the ServiceAccount); the Deployment waits for those and nothing else.
    """

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        config: RenderedConfig,
        service_account_name: str,
        automount_token: bool = False,
        needs: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(
            "JobManager",
            name,
            spec,
            jobmanager_role(spec),
            ClusterNames(spec.name).jobmanager,
            spec.job_manager.replicas,
            config,
            service_account_name,
            automount_token,
            needs,
            opts,
        )


class TaskManager(_FlinkWorkload):
    """The TaskManager Deployment: ``taskManager.replicas`` pods of ``taskManager.slots`` slots.

    It needs the ConfigMap, not a ready JobManager: TaskManagers retry the
    connection until the JobManager answers.
    """

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        config: RenderedConfig,
        service_account_name: str,
        automount_token: bool = False,
        needs: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(
            "TaskManager",
            name,
            spec,
            taskmanager_role(spec),
            ClusterNames(spec.name).taskmanager,
            spec.task_manager.replicas,
            config,
            service_account_name,
            automount_token,
            needs,
            opts,
        )

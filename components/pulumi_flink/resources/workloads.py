"""The Flink workload components: the JobManager (a Deployment, or a Kubernetes Job in
standalone application mode), the standalone TaskManager Deployment, the native TaskManagers'
pod template and per-job mode's submitter Job (their bodies: ``render.workloads``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.model.naming import DEPLOYMENT_MODE_ANNOTATION
from pulumi_flink.render.flink_config import TASKMANAGER_POD_TEMPLATE_FILE, RenderedConfig
from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.render.pods import (
    ProcessRole,
    jobmanager_role,
    pod_template_file,
    submitter_role,
    taskmanager_pod_template,
    taskmanager_role,
)
from pulumi_flink.render.workloads import WorkloadKind, workload_metadata, workload_spec
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec, JobSpec

# Flink cannot turn a running cluster into another mode: a change of the mode annotation
# replaces the JobManager workload in the preview instead of rolling it in place.
REPLACE_ON_MODE_CHANGE = (f'metadata.annotations["{DEPLOYMENT_MODE_ANNOTATION}"]',)


def _register_workload(
    owner: pulumi.Resource,
    name: str,
    spec: FlinkClusterSpec,
    role: ProcessRole,
    kind: WorkloadKind,
    object_name: str,
    replicas: int,
    config: pulumi.Input[RenderedConfig],
    service_account_name: str,
    automount_token: bool,
    needs: Sequence[pulumi.Resource],
    replace_on_mode_change: bool = False,
    await_completion: bool = True,
) -> k8s.apps.v1.Deployment | k8s.batch.v1.Job:
    """``await_completion``: for a Job, whether ``pulumi up`` waits until it completes."""
    metadata = workload_metadata(
        spec, role.component, kind, object_name, replace_on_mode_change, await_completion
    )
    options = pulumi.ResourceOptions(parent=owner, depends_on=list(needs))
    if replace_on_mode_change:
        options = pulumi.ResourceOptions.merge(
            options, pulumi.ResourceOptions(replace_on_changes=list(REPLACE_ON_MODE_CHANGE))
        )

    def body_of(rendered: RenderedConfig) -> dict[str, Any]:
        return workload_spec(spec, role, kind, replicas, rendered, service_account_name, automount_token)

    body = pulumi.Output.from_input(config).apply(body_of)
    if kind == "Job":
        return k8s.batch.v1.Job(f"{name}-job", metadata=wire(metadata), spec=wire(body), opts=options)
    return k8s.apps.v1.Deployment(
        f"{name}-deployment", metadata=wire(metadata), spec=wire(body), opts=options
    )


class JobManager(pulumi.ComponentResource):
    """The JobManager: a Deployment, or a Kubernetes Job for a standalone application cluster
    that asks for one (``jobManager.workload``).

    ``needs`` lists what the pods need to exist before they start (the ConfigMap, the
    ServiceAccount); the workload waits for those and nothing else. ``submitted``: in
    per-job mode, the job a client submits to this cluster; a change to it restarts the
    JobManager, so the new version never runs beside the old one.
    """

    workload: k8s.apps.v1.Deployment | k8s.batch.v1.Job
    kind: WorkloadKind
    workload_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        config: pulumi.Input[RenderedConfig],
        service_account_name: str,
        automount_token: bool = False,
        needs: Sequence[pulumi.Resource] = (),
        submitted: JobSpec | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:JobManager", name, None, opts)
        self.kind = spec.jobmanager_workload
        self.workload = _register_workload(
            self, name, spec, jobmanager_role(spec, submitted), self.kind, spec.names.jobmanager,
            spec.job_manager.replicas, config, service_account_name, automount_token, needs,
            replace_on_mode_change=True, await_completion=False,
        )
        self.workload_name = self.workload.metadata.name
        self.register_outputs({"workloadName": self.workload_name, "kind": self.kind})


class TaskManager(pulumi.ComponentResource):
    """The TaskManager Deployment of a standalone cluster: ``taskManager.replicas`` pods of
    ``taskManager.slots`` slots.

    It needs the ConfigMap, not a ready JobManager: TaskManagers retry the
    connection until the JobManager answers.
    """

    deployment: k8s.apps.v1.Deployment
    deployment_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        config: pulumi.Input[RenderedConfig],
        service_account_name: str,
        automount_token: bool = False,
        needs: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:TaskManager", name, None, opts)
        deployment = _register_workload(
            self, name, spec, taskmanager_role(spec), "Deployment", spec.names.taskmanager,
            spec.task_manager.replicas, config, service_account_name, automount_token, needs,
        )
        assert isinstance(deployment, k8s.apps.v1.Deployment)
        self.deployment = deployment
        self.deployment_name = deployment.metadata.name
        self.register_outputs({"deploymentName": self.deployment_name})


class TaskManagerPodTemplate(pulumi.ComponentResource):
    """The TaskManagers of a native cluster: Flink's JobManager creates them on demand from
    this pod template, which the ConfigMap ``pod-template-<cluster-id>`` carries (Flink's
    own name and key, mounted by the JobManager at /opt/flink/pod-template)."""

    config_map: k8s.core.v1.ConfigMap
    template: dict[str, Any]

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        automount_token: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:TaskManagerPodTemplate", name, None, opts)
        self.template = taskmanager_pod_template(spec, automount_token)
        text = pod_template_file(self.template)
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=wire(object_metadata(spec, spec.names.pod_template_config_map, "configuration")),
            data={TASKMANAGER_POD_TEMPLATE_FILE: text},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"configMapName": self.config_map.metadata.name})


class JobSubmitter(pulumi.ComponentResource):
    """Per-job mode's client: a Kubernetes Job whose pod runs ``flink run --detached`` against
    its own cluster, so the job's ``main()`` runs in the client, as per-job means.

    It waits for the JobManager workload (Pulumi waits until its pods are ready), so the
    submission reaches the JobManager that will run it; a failed submission is retried by
    the Job (``backoffLimit``). ``pulumi up`` waits until the submission completes, so a job
    that cannot be submitted fails the update. A Job's pod template cannot change: a changed job replaces
    the submitter, and the JobManager restarts first (see ``JobManager``'s ``submitted``).
    """

    job: k8s.batch.v1.Job
    job_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        job: JobSpec,
        config: pulumi.Input[RenderedConfig],
        service_account_name: str,
        needs: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:JobSubmitter", name, None, opts)
        role = submitter_role(spec, job)
        submitter = _register_workload(
            self, name, spec, role, "Job", spec.names.submitter, 1, config, service_account_name,
            False, needs,
        )
        assert isinstance(submitter, k8s.batch.v1.Job)
        self.job = submitter
        self.job_name = submitter.metadata.name
        self.register_outputs({"jobName": self.job_name})

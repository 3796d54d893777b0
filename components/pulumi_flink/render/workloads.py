"""The Flink workloads, as plain Kubernetes dicts: the JobManager (a Deployment, or a
Kubernetes Job in standalone application mode), the standalone TaskManager Deployment, and
per-job mode's submitter Job (registered by ``resources.workloads``)."""

from __future__ import annotations

from typing import Any, Literal

from pulumi_flink.model.naming import DEPLOYMENT_MODE_ANNOTATION, selector_labels
from pulumi_flink.render.flink_config import RenderedConfig
from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.render.pods import ProcessRole, flink_pod_template
from pulumi_flink.spec import FlinkClusterSpec

WorkloadKind = Literal["Deployment", "Job"]

# Retries of a Kubernetes Job's pod before the Job counts as failed (Kubernetes' default,
# rendered so reviewers see it): a JobManager Job that fails six times stays failed.
JOB_BACKOFF_LIMIT = 6

# pulumi-kubernetes waits for a Job to complete (10 minutes by default). A JobManager Job
# runs as long as its Flink job, possibly forever, so `pulumi up` must not wait for it.
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"


def workload_metadata(
    spec: FlinkClusterSpec,
    component: str,
    kind: WorkloadKind,
    object_name: str,
    mode_annotation: bool = False,
    await_completion: bool = True,
) -> dict[str, Any]:
    """``mode_annotation``: carry the deployment mode (a change of it replaces the workload);
    ``await_completion``: for a Job, whether ``pulumi up`` waits until it completes."""
    metadata = object_metadata(spec, object_name, component)
    if kind == "Job" and not await_completion:
        metadata["annotations"] = {**metadata.get("annotations", {}), SKIP_AWAIT_ANNOTATION: "true"}
    if mode_annotation:
        annotations = {**metadata.get("annotations", {}), DEPLOYMENT_MODE_ANNOTATION: spec.deployment_mode}
        metadata["annotations"] = annotations
    return metadata


def workload_spec(
    spec: FlinkClusterSpec,
    role: ProcessRole,
    kind: WorkloadKind,
    replicas: int,
    config: RenderedConfig,
    service_account_name: str,
    automount_token: bool,
) -> dict[str, Any]:
    if kind == "Job":
        template = flink_pod_template(
            spec, role, config, service_account_name, automount_token, restart_policy="OnFailure"
        )
        return {"backoffLimit": JOB_BACKOFF_LIMIT, "template": template}
    return {
        "replicas": replicas,
        "selector": {"matchLabels": selector_labels(spec.name, role.component)},
        "template": flink_pod_template(spec, role, config, service_account_name, automount_token),
    }

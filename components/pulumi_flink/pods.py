"""Pod templates for Flink's processes, as plain Kubernetes dicts.

Built in small steps, one concern each (the config mount, the container, the
user's pod hooks, the rollout checksum), composed in ``flink_pod_template``.
Pure functions: tested without Pulumi.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .flink_config import CONF_DIR, RenderedConfig, fixed_job_id
from .naming import CONFIG_CHECKSUM_ANNOTATION, JOB_CHECKSUM_ANNOTATION, ClusterNames, common_labels
from .spec import USRLIB_DIR, FlinkClusterSpec, JobSpec, Resources, jar_is_fetched

CONFIG_VOLUME = "flink-config"
USRLIB_VOLUME = "usrlib"
FETCH_JAR_CONTAINER = "fetch-jar"
SUBMITTER_COMPONENT = "submitter"
# The client of a per-job cluster: `flink run` runs the job's main() in this JVM.
SUBMITTER_RESOURCES = Resources(cpu="500m", memory="1Gi")

Obj = dict[str, Any]


@dataclass(frozen=True)
class ProcessRole:
    """What differs between the pods of the JobManager, the TaskManagers and a job's client."""

    component: str
    args: tuple[str, ...]
    ports: tuple[tuple[str, int], ...]
    resources: Resources
    job: JobSpec | None = None
    """A job whose jar this pod needs in ``/opt/flink/usrlib``."""
    annotations: tuple[tuple[str, str], ...] = field(default=())
    """Pod annotations beyond the common ones."""


def standalone_job_args(spec: FlinkClusterSpec, job: JobSpec) -> tuple[str, ...]:
    """The image's ``standalone-job`` entrypoint: a JobManager that runs ``job`` from usrlib."""
    args = ["standalone-job"]
    if job.entry_class:
        args += ["--job-classname", job.entry_class]
    job_id = fixed_job_id(spec, job)
    if job_id:
        args += ["--job-id", job_id]
    if job.savepoint:
        args += ["--fromSavepoint", job.savepoint]
        if job.allow_non_restored_state:
            args.append("--allowNonRestoredState")
    return (*args, *job.args)


def flink_run_args(spec: FlinkClusterSpec, job: JobSpec) -> tuple[str, ...]:
    """``flink run`` against ``spec``'s own cluster: the CLI finds it through ``rest.address``
    in the mounted configuration. Detached: the client exits once the job is accepted."""
    args = ["flink", "run", "--detached"]
    if job.entry_class:
        args += ["--class", job.entry_class]
    args += ["--parallelism", str(spec.parallelism)]
    if job.savepoint:
        args += ["--fromSavepoint", job.savepoint]
        if job.allow_non_restored_state:
            args.append("--allowNonRestoredState")
    return (*args, job.jar_in_pod, *job.args)


def jobmanager_role(spec: FlinkClusterSpec, submitted: JobSpec | None = None) -> ProcessRole:
    """``submitted``: per-job mode's job, whose submission checksum rolls the JobManager."""
    ports = tuple(spec.ports.jobmanager_ports.items())
    if spec.mode == "application":
        assert spec.job is not None
        args = standalone_job_args(spec, spec.job)
        return ProcessRole("jobmanager", args, ports, spec.job_manager, job=spec.job)
    annotations: tuple[tuple[str, str], ...] = ()
    if submitted is not None:
        annotations = ((JOB_CHECKSUM_ANNOTATION, submission_checksum(spec, submitted)),)
    # The official image's entrypoint maps "jobmanager" to
    # `jobmanager.sh start-foreground`: a session cluster.
    return ProcessRole("jobmanager", ("jobmanager",), ports, spec.job_manager, annotations=annotations)


def taskmanager_role(spec: FlinkClusterSpec) -> ProcessRole:
    # Standalone application: the usrlib jars are on the job's classpath as local file
    # URLs, so every TaskManager needs them too (Flink's own manifests mount them on both).
    return ProcessRole(
        component="taskmanager",
        args=("taskmanager",),
        ports=tuple(spec.ports.taskmanager_ports.items()),
        resources=spec.task_manager,
        job=spec.job if spec.mode == "application" else None,
    )


def submitter_role(spec: FlinkClusterSpec, job: JobSpec) -> ProcessRole:
    return ProcessRole(SUBMITTER_COMPONENT, flink_run_args(spec, job), (), SUBMITTER_RESOURCES, job)


def submission_checksum(spec: FlinkClusterSpec, job: JobSpec) -> str:
    """Changes whenever what the client submits changes."""
    submitted = {"image": spec.resolved_image, "args": flink_run_args(spec, job), "jar": job.jar}
    return hashlib.sha256(json.dumps(submitted, sort_keys=True).encode()).hexdigest()


def container_resources(resources: Resources) -> Obj:
    """Requests equal limits (Guaranteed QoS); the memory limit is Flink's process size."""
    amounts = {"cpu": resources.cpu, "memory": f"{resources.memory_mib}Mi"}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def config_volume(names: ClusterNames, config: RenderedConfig) -> Obj:
    return {
        "name": CONFIG_VOLUME,
        "configMap": {
            "name": names.config_map,
            "items": [{"key": name, "path": name} for name in sorted(config.files)],
        },
    }


def config_mount() -> Obj:
    return {"name": CONFIG_VOLUME, "mountPath": CONF_DIR, "readOnly": True}


def add_job_artifacts(pod: Obj, job: JobSpec | None) -> Obj:
    """A jar URL: an init container downloads it into an emptyDir at /opt/flink/usrlib,
    mounted in every container. A jar in the image needs nothing."""
    if job is None or not jar_is_fetched(job.jar):
        return pod
    mount = {"name": USRLIB_VOLUME, "mountPath": USRLIB_DIR}
    fetch = {
        "name": FETCH_JAR_CONTAINER,
        "image": job.jar_fetch_image,
        "command": [
            "curl", "--fail", "--silent", "--show-error", "--location", "--retry", "5",
            "--output", job.jar_in_pod, job.jar,
        ],
        "resources": container_resources(Resources(cpu="100m", memory="64Mi")),
        "volumeMounts": [dict(mount)],
    }
    for container in pod["containers"]:
        container["volumeMounts"] = [*container["volumeMounts"], dict(mount)]
    pod["initContainers"] = [*pod.get("initContainers", []), fetch]
    pod["volumes"] = [*pod["volumes"], {"name": USRLIB_VOLUME, "emptyDir": {}}]
    return pod


def flink_container(spec: FlinkClusterSpec, role: ProcessRole) -> Obj:
    container: Obj = {
        "name": role.component,
        "image": spec.resolved_image,
        "imagePullPolicy": spec.image_pull_policy,
        "args": list(role.args),
        "resources": container_resources(role.resources),
        "volumeMounts": [config_mount(), *spec.pod.volume_mounts],
    }
    if role.ports:
        container["ports"] = [
            {"name": name, "containerPort": port, "protocol": "TCP"} for name, port in role.ports
        ]
    if spec.pod.env:
        container["env"] = list(spec.pod.env)
    return container


def apply_pod_hooks(pod: Obj, spec: FlinkClusterSpec) -> Obj:
    """The user's scheduling and pull settings, added only when set."""
    hooks = spec.pod
    if hooks.node_selector:
        pod["nodeSelector"] = dict(hooks.node_selector)
    if hooks.tolerations:
        pod["tolerations"] = list(hooks.tolerations)
    if hooks.affinity:
        pod["affinity"] = dict(hooks.affinity)
    if hooks.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in hooks.image_pull_secrets]
    return pod


def flink_pod_template(
    spec: FlinkClusterSpec,
    role: ProcessRole,
    config: RenderedConfig,
    service_account_name: str,
    automount_token: bool,
    restart_policy: str | None = None,
) -> Obj:
    """``restart_policy``: for pods of a Kubernetes Job ('OnFailure'); a Deployment's is Always."""
    names = spec.names
    pod: Obj = {
        "serviceAccountName": service_account_name,
        "automountServiceAccountToken": automount_token,
        "containers": [flink_container(spec, role)],
        "volumes": [config_volume(names, config), *spec.pod.volumes],
    }
    pod = add_job_artifacts(pod, role.job)
    pod = apply_pod_hooks(pod, spec)
    if restart_policy is not None:
        pod["restartPolicy"] = restart_policy
    annotations = dict(spec.annotations)
    annotations.update(role.annotations)
    annotations[CONFIG_CHECKSUM_ANNOTATION] = config.checksum
    return {
        "metadata": {
            "labels": common_labels(spec.name, role.component, str(spec.version), spec.labels),
            "annotations": annotations,
        },
        "spec": pod,
    }

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

from .flink_config import (
    CONF_DIR,
    POD_TEMPLATE_DIR,
    TASKMANAGER_POD_TEMPLATE_FILE,
    RenderedConfig,
    fixed_job_id,
)
from .meta import object_labels
from .naming import CONFIG_CHECKSUM_ANNOTATION, JOB_CHECKSUM_ANNOTATION, common_labels
from .spec import HA_STORAGE_MOUNT, USRLIB_DIR, FlinkClusterSpec, JobSpec, Resources, jar_is_fetched
from .validation import filesystem_plugin

CONFIG_VOLUME = "flink-config"
# Native mode uses the names Flink's own client gives (see tests/flink/test_native_factories.py).
NATIVE_MAIN_CONTAINER = "flink-main-container"
NATIVE_CONFIG_VOLUME = "flink-config-volume"
NATIVE_POD_TEMPLATE_VOLUME = "pod-template-volume"
NATIVE_ARTIFACTS_VOLUME = "user-artifacts-volume"
NATIVE_ARTIFACTS_DIR = "/opt/flink/artifacts"
NATIVE_ENTRYPOINT = "/docker-entrypoint.sh"


def _pod_ip_env(name: str) -> Obj:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}


# Flink's native JobManager advertises this address when high availability is on.
POD_IP_ENV = _pod_ip_env("_POD_IP_ADDRESS")
# A standalone JobManager under HA: its args pass $(POD_IP) as the host to advertise.
POD_IP_ENV_STANDALONE = _pod_ip_env("POD_IP")
HA_STORAGE_VOLUME = "ha-storage"
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
    command: tuple[str, ...] = ()
    """The container command; empty keeps the image's entrypoint."""
    env: tuple[Obj, ...] = ()
    """Container env entries before the user's."""
    container_name: str = ""
    """Defaults to the component."""


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


def native_jobmanager_role(spec: FlinkClusterSpec) -> ProcessRole:
    """The JobManager as Flink's native client starts it: the image's entrypoint running
    ``kubernetes-jobmanager.sh kubernetes-session|kubernetes-application`` through bash."""
    ports = (("rest", spec.ports.rest), ("jobmanager-rpc", spec.ports.rpc), ("blobserver", spec.ports.blob))
    return ProcessRole(
        component="jobmanager",
        args=("bash", "-c", f"kubernetes-jobmanager.sh kubernetes-{spec.mode}"),
        ports=ports,
        resources=spec.job_manager,
        job=spec.job,
        command=(NATIVE_ENTRYPOINT,),
        env=(POD_IP_ENV,),
        container_name=NATIVE_MAIN_CONTAINER,
    )


def jobmanager_role(spec: FlinkClusterSpec, submitted: JobSpec | None = None) -> ProcessRole:
    """``submitted``: per-job mode's job, whose submission checksum rolls the JobManager.

    With high availability, a standalone JobManager advertises its pod IP (Flink's HA docs):
    the Service name would point every TaskManager at whichever JobManager it picks, not at
    the leader. Kubernetes expands ``$(POD_IP)`` from the container's env.
    """
    if spec.native:
        return native_jobmanager_role(spec)
    ports = tuple(spec.ports.jobmanager_ports.items())
    ha = spec.high_availability.enabled
    env = (POD_IP_ENV_STANDALONE,) if ha else ()
    if spec.mode == "application":
        assert spec.job is not None
        args = standalone_job_args(spec, spec.job)
        if ha:
            # Flink 2.x's standalone-job has no --host (it would pass it to main());
            # a dynamic property works on every release.
            args = (args[0], "-Djobmanager.rpc.address=$(POD_IP)", *args[1:])
        return ProcessRole("jobmanager", args, ports, spec.job_manager, job=spec.job, env=env)
    annotations: tuple[tuple[str, str], ...] = ()
    if submitted is not None:
        annotations = ((JOB_CHECKSUM_ANNOTATION, submission_checksum(spec, submitted)),)
    # The official image's entrypoint maps "jobmanager [host]" to
    # `jobmanager.sh start-foreground [host]`: a session cluster.
    args = ("jobmanager", "$(POD_IP)") if ha else ("jobmanager",)
    return ProcessRole("jobmanager", args, ports, spec.job_manager, annotations=annotations, env=env)


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


def config_volume_name(spec: FlinkClusterSpec) -> str:
    return NATIVE_CONFIG_VOLUME if spec.native else CONFIG_VOLUME


def config_volume(spec: FlinkClusterSpec, config: RenderedConfig) -> Obj:
    return {
        "name": config_volume_name(spec),
        "configMap": {
            "name": spec.names.config_map,
            "items": [{"key": name, "path": name} for name in sorted(config.files)],
        },
    }


def config_mount(spec: FlinkClusterSpec) -> Obj:
    return {"name": config_volume_name(spec), "mountPath": CONF_DIR, "readOnly": True}


def add_native_jobmanager_volumes(pod: Obj, spec: FlinkClusterSpec) -> Obj:
    """What Flink's native client mounts besides the configuration: the TaskManager pod
    template the JobManager builds TaskManager pods from, and (1.19+) the artifacts dir."""
    volumes: list[tuple[Obj, Obj]] = [
        (
            {
                "name": NATIVE_POD_TEMPLATE_VOLUME,
                "configMap": {
                    "name": spec.names.pod_template_config_map,
                    "items": [{"key": TASKMANAGER_POD_TEMPLATE_FILE, "path": TASKMANAGER_POD_TEMPLATE_FILE}],
                },
            },
            {"name": NATIVE_POD_TEMPLATE_VOLUME, "mountPath": POD_TEMPLATE_DIR, "readOnly": True},
        )
    ]
    if spec.version.has_user_artifacts_dir:
        volumes.append(
            (
                {"name": NATIVE_ARTIFACTS_VOLUME, "emptyDir": {}},
                {"name": NATIVE_ARTIFACTS_VOLUME, "mountPath": NATIVE_ARTIFACTS_DIR},
            )
        )
    (container,) = pod["containers"]
    container["volumeMounts"] = [*container["volumeMounts"], *(mount for _, mount in volumes)]
    pod["volumes"] = [*pod["volumes"], *(volume for volume, _ in volumes)]
    return pod


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
        "name": role.container_name or role.component,
        "image": spec.resolved_image,
        "imagePullPolicy": spec.image_pull_policy,
        "args": list(role.args),
        "resources": container_resources(role.resources),
        "volumeMounts": [config_mount(spec), *spec.pod.volume_mounts],
    }
    if role.command:
        container["command"] = list(role.command)
    if role.ports:
        container["ports"] = [
            {"name": name, "containerPort": port, "protocol": "TCP"} for name, port in role.ports
        ]
    env = [*role.env, *spec.pod.env]
    if env:
        container["env"] = env
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
    pod: Obj = {
        "serviceAccountName": service_account_name,
        "automountServiceAccountToken": automount_token,
        "containers": [flink_container(spec, role)],
        "volumes": [config_volume(spec, config), *spec.pod.volumes],
    }
    if spec.native and role.component == "jobmanager":
        pod = add_native_jobmanager_volumes(pod, spec)
    pod = add_job_artifacts(pod, role.job)
    if role.component != SUBMITTER_COMPONENT:
        pod = add_ha_storage(pod, spec)
    pod = apply_pod_hooks(pod, spec)
    if restart_policy is not None:
        pod["restartPolicy"] = restart_policy
    annotations = dict(spec.annotations)
    annotations.update(role.annotations)
    annotations[CONFIG_CHECKSUM_ANNOTATION] = config.checksum
    return {
        "metadata": {"labels": object_labels(spec, role.component), "annotations": annotations},
        "spec": pod,
    }


def taskmanager_pod_template(spec: FlinkClusterSpec, automount_token: bool = False) -> Obj:
    """Native mode: the Pod Flink's JobManager starts every TaskManager pod from.

    Flink fills in the image, command, resources, configuration volume and its own labels;
    this carries the rest: our labels and annotations, the user's env, volumes and pod
    hooks. TaskManagers call the Kubernetes API only with Kubernetes HA; otherwise they get
    no API token.
    """
    container: Obj = {"name": NATIVE_MAIN_CONTAINER}
    if spec.pod.env:
        container["env"] = list(spec.pod.env)
    if spec.pod.volume_mounts:
        container["volumeMounts"] = list(spec.pod.volume_mounts)
    pod: Obj = {"automountServiceAccountToken": automount_token, "containers": [container]}
    if spec.pod.volumes:
        pod["volumes"] = list(spec.pod.volumes)
    metadata: Obj = {"labels": common_labels(spec.name, "taskmanager", str(spec.version), spec.labels)}
    if spec.annotations:
        metadata["annotations"] = dict(spec.annotations)
    pod = apply_pod_hooks(add_ha_storage(pod, spec), spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod}


def add_ha_storage(pod: Obj, spec: FlinkClusterSpec) -> Obj:
    """What every Flink pod needs to reach the HA storage: the shared volume at /flink-ha,
    the credentials Secret as environment (never in the ConfigMap), and the filesystem
    plugin the object store's scheme needs (the image's entrypoint enables it)."""
    ha = spec.high_availability
    if not ha.enabled:
        return pod
    (container, *_) = pod["containers"]
    if ha.volume_claim is not None:
        pod["volumes"] = [
            *pod.get("volumes", []),
            {"name": HA_STORAGE_VOLUME, "persistentVolumeClaim": {"claimName": ha.volume_claim}},
        ]
        container["volumeMounts"] = [
            *container.get("volumeMounts", []), {"name": HA_STORAGE_VOLUME, "mountPath": HA_STORAGE_MOUNT}
        ]
    if ha.credentials_secret is not None:
        container["envFrom"] = [*container.get("envFrom", []), {"secretRef": {"name": ha.credentials_secret}}]
    plugin = filesystem_plugin(spec)
    if plugin is not None:
        container["env"] = [*container.get("env", []), {"name": "ENABLE_BUILT_IN_PLUGINS", "value": plugin}]
    return pod

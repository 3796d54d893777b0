"""Pod templates for Flink's processes, as plain Kubernetes dicts.

Built in small steps, one concern each (the config mount, the container, the
user's pod hooks, the rollout checksum), composed in ``flink_pod_template``.
Pure functions: tested without Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .flink_config import CONF_DIR, RenderedConfig
from .naming import CONFIG_CHECKSUM_ANNOTATION, ClusterNames, common_labels
from .spec import FlinkClusterSpec, Resources

CONFIG_VOLUME = "flink-config"

Obj = dict[str, Any]


@dataclass(frozen=True)
class ProcessRole:
    """What differs between the JobManager and TaskManager pods."""

    component: str
    args: tuple[str, ...]
    ports: tuple[tuple[str, int], ...]
    resources: Resources


def jobmanager_role(spec: FlinkClusterSpec) -> ProcessRole:
    # The official image's entrypoint maps "jobmanager" to
    # `jobmanager.sh start-foreground`: a session cluster.
    return ProcessRole(
        component="jobmanager",
        args=("jobmanager",),
        ports=tuple(spec.ports.jobmanager_ports.items()),
        resources=spec.job_manager,
    )


def taskmanager_role(spec: FlinkClusterSpec) -> ProcessRole:
    return ProcessRole(
        component="taskmanager",
        args=("taskmanager",),
        ports=tuple(spec.ports.taskmanager_ports.items()),
        resources=spec.task_manager,
    )


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


def flink_container(spec: FlinkClusterSpec, role: ProcessRole) -> Obj:
    container: Obj = {
        "name": role.component,
        "image": spec.resolved_image,
        "imagePullPolicy": spec.image_pull_policy,
        "args": list(role.args),
        "ports": [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in role.ports],
        "resources": container_resources(role.resources),
        "volumeMounts": [config_mount(), *spec.pod.volume_mounts],
    }
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
) -> Obj:
    names = ClusterNames(spec.name)
    pod: Obj = {
        "serviceAccountName": service_account_name,
        "automountServiceAccountToken": automount_token,
        "containers": [flink_container(spec, role)],
        "volumes": [config_volume(names, config), *spec.pod.volumes],
    }
    pod = apply_pod_hooks(pod, spec)
    annotations = dict(spec.annotations)
    annotations[CONFIG_CHECKSUM_ANNOTATION] = config.checksum
    return {
        "metadata": {
            "labels": common_labels(spec.name, role.component, str(spec.version), spec.labels),
            "annotations": annotations,
        },
        "spec": pod,
    }

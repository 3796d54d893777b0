"""What every Flink pod gets besides Flink: user hooks (env, volumes, scheduling, security)
and how the pods spread over nodes and zones.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from pulumi_flink.model.kubernetes_types import (
    Affinity,
    EnvVar,
    Toleration,
    Volume,
    VolumeMount,
    check_dns_subdomain,
    check_label_key,
    check_label_value,
    is_dns_subdomain,
    normal_path,
)
from pulumi_flink.spec.base import INT32_MAX, INT64_MAX, SpecModel, _fix, spec_error_from_pydantic
from pulumi_flink.spec.errors import FlinkSpecError, Problem


class PodOptions(SpecModel):
    """Hooks applied to every Flink pod (JobManager and TaskManager).

    Entries are plain Kubernetes objects in their YAML form (camelCase keys), checked as the
    API server checks them (``kubernetes_types``), and reach the pod spec unchanged.
    Defaults: none of each; the pods run as the image's non-root ``flink`` user (9999) with a
    read-only root filesystem.
    """

    env: list[dict[str, Any]] = []
    """Extra container env entries (``name`` and ``value`` or ``valueFrom``). Names the library
    sets in the same pods (e.g. ``POD_IP`` under HA) are refused."""
    volumes: list[dict[str, Any]] = []
    """Extra pod volumes (a ``name`` and one source); mount them with ``volumeMounts``. The
    library's own volume names are refused."""
    volume_mounts: list[dict[str, Any]] = []
    """Extra mounts in the Flink container (``name`` of a volume and an absolute ``mountPath``).
    A path at, under or above one the library mounts for the spec (``/opt/flink/conf``,
    ``/tmp``, ``/opt/flink/log``, and as the spec needs them the pod template's directory,
    ``/opt/flink/usrlib``, ``/opt/flink/artifacts``, ``/flink-ha``, plugin directories) is refused."""
    node_selector: dict[str, str] = {}
    """Node labels a Flink pod's node must carry."""
    tolerations: list[dict[str, Any]] = []
    """Taints the Flink pods tolerate."""
    affinity: dict[str, Any] | None = None
    """A Kubernetes ``affinity`` for the Flink pods; unset: none."""
    image_pull_secrets: list[str] = []
    """Names of Secrets in the namespace used to pull the image."""
    service_account_name: str | None = None
    """Use this existing ServiceAccount; unset creates ``<name>-flink``."""
    run_as_user: int = Field(default=9999, ge=0, le=INT32_MAX)
    """User id of every process in the Flink pods (pod ``securityContext.runAsUser``): 9999,
    the official image's ``flink`` user, owner of its files. Always set, as Kubernetes cannot
    tell the official images' own user is not root (1.x images start as root, 2.x as the
    non-numeric user 'flink'). 0 (root) is refused: the pods run with ``runAsNonRoot``. Under
    a policy that assigns ids from a range (OpenShift), use an id from the namespace's range."""
    run_as_group: int = Field(default=9999, ge=0, le=INT32_MAX)
    """Primary group id of every process in the Flink pods: 9999, the image's ``flink``
    group (0 is allowed: only the user must not be root)."""
    fs_group: int = Field(default=9999, ge=0, le=INT32_MAX)
    """Group that owns the Flink pods' volumes (the library's emptyDirs, and claims whose
    driver supports it; changed only when a volume's root does not match already,
    ``fsGroupChangePolicy: OnRootMismatch``), and a supplementary group of every process, so
    it can write them: 9999."""
    read_only_root_filesystem: bool = True
    """A read-only root filesystem for every container of the Flink pods. Processes write only
    to the emptyDirs the library mounts (``/tmp``: temporary files, blobs, uploaded jars, the
    TaskManager's working directory with local state and RocksDB files; ``/opt/flink/log``;
    ``/opt/flink/usrlib`` for a fetched jar; ``/opt/flink/plugins/<plugin>`` for each plugin
    that ``ENABLE_BUILT_IN_PLUGINS`` enables) and to your volumes not mounted ``readOnly``.
    Local directories set in ``flinkConfiguration`` must then lie on one of those. False:
    the root filesystem is writable where the image allows."""
    priority_class_name: str | None = None
    """An existing PriorityClass for the Flink pods (e.g. so the scheduler preempts batch
    work rather than a streaming job's TaskManagers); unset: the cluster's default priority."""
    termination_grace_period_seconds: int | None = Field(default=None, ge=0, le=INT64_MAX)
    """Seconds a Flink pod gets between SIGTERM and SIGKILL when it is stopped (Flink cancels
    its tasks and cleans up local state in that time); unset: Kubernetes' default, 30."""

    @field_validator("priority_class_name")
    @classmethod
    def _priority_class(cls, value: str | None) -> str | None:
        if value is not None and not is_dns_subdomain(value):
            raise _fix(f"{value!r} is not a PriorityClass name.",
                       "write a lowercase DNS name such as 'flink-streaming'")
        return value

    @field_validator("run_as_user")
    @classmethod
    def _not_root(cls, value: int) -> int:
        if value == 0:
            raise _fix(
                "0 is root, and the Flink pods run with runAsNonRoot: Kubernetes would not start them.",
                "use a non-root user id, e.g. 9999 (the official flink image's user)",
            )
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _check_entries(value, EnvVar)
        _require_unique(value, "name")
        return value

    @field_validator("volumes")
    @classmethod
    def _volumes(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _check_entries(value, Volume)
        _require_unique(value, "name")
        return value

    @field_validator("volume_mounts")
    @classmethod
    def _mounts(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _check_entries(value, VolumeMount)
        # The container runtime mounts '/data' and '/data/' at one place.
        _require_unique([{"mountPath": normal_path(m["mountPath"])} for m in value], "mountPath")
        return value

    @field_validator("tolerations")
    @classmethod
    def _tolerations(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _check_entries(value, Toleration)
        return value

    @field_validator("affinity")
    @classmethod
    def _affinity(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            _check_entries([value], Affinity, indexed=False)
        return value

    @field_validator("node_selector")
    @classmethod
    def _node_selector(cls, value: dict[str, str]) -> dict[str, str]:
        for key, label in value.items():
            check_label_key(key, "node label key")
            check_label_value(label, "node label value")
        return value

    @field_validator("image_pull_secrets")
    @classmethod
    def _pull_secrets(cls, value: list[str]) -> list[str]:
        for name in value:
            check_dns_subdomain(name, "Secret name")
        return value

    @field_validator("service_account_name")
    @classmethod
    def _service_account(cls, value: str | None) -> str | None:
        return value if value is None else check_dns_subdomain(value, "ServiceAccount name")


def _check_entries(entries: list[dict[str, Any]], model: type[BaseModel], indexed: bool = True) -> None:
    """Each entry as the Kubernetes type ``model``; every problem at once, under its index."""
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        try:
            model.model_validate(entry)
        except ValidationError as exc:
            problems += spec_error_from_pydantic(exc).prefixed(f"[{index}]" if indexed else "").problems
    if problems:
        raise FlinkSpecError(problems)


def _require_unique(entries: list[dict[str, Any]], key: str) -> None:
    values = [entry[key] for entry in entries]
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise _fix(f"{key} {duplicates} appears more than once.", f"give each entry its own {key}")


class SpreadSpec(SpecModel):
    """How the JobManager pods and the TaskManager pods each spread over the cluster
    (``topologySpreadConstraints``, max skew 1, each counting only its own cluster's pods of its
    own component). Default: over nodes with high availability, not at all without."""

    topology: Literal["auto", "none", "node", "zone"] = "auto"
    """'auto': 'node' when high availability is on, 'none' without. 'node': over nodes
    (``kubernetes.io/hostname``): with enough nodes, a lost node takes at most one
    JobManager, and TaskManagers are spread as evenly as the nodes allow. 'zone': over zones
    (``topology.kubernetes.io/zone``) and, as a preference, over the nodes within them.
    'none': no constraint. Either way ``pod.affinity`` applies as well."""
    required: bool = False
    """False: a preference (``whenUnsatisfiable: ScheduleAnyway``): pods still start when
    there are too few nodes or zones. True: a rule (``DoNotSchedule``) for the chosen topology:
    a pod stays Pending rather than skew it (spreading over nodes within zones stays a
    preference)."""

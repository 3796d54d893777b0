"""The Kubernetes types a user writes into ``pod`` (env entries, volumes, mounts, tolerations),
checked the way the API server checks them, and Kubernetes' size limits.

The spec keeps each entry as the user wrote it (a plain mapping, passed to the pod spec
unchanged); these models only decide whether Kubernetes would take it: known fields only
(camelCase, as the API has them), the right types, names in Kubernetes' formats, exactly one
source where Kubernetes wants one. Volume sources not modelled here (``Source``) are checked
as mappings only; the API server checks inside them.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from pulumi_flink.model.fixes import fix_error
from pulumi_flink.model.quantities import parse_quantity

# --- Kubernetes' limits -----------------------------------------------------------------------

MAX_ANNOTATIONS_BYTES = 256 * 1024
"""The total size of one object's annotations, keys and values (apimachinery's
``TotalAnnotationSizeLimitB``)."""
MAX_CONFIG_MAP_BYTES = 1024 * 1024
"""The total size of one ConfigMap's data, keys and values (``core.MaxSecretSize``, which
the API server applies to ConfigMaps as well)."""
MAX_DNS_LABEL = 63
MAX_DNS_SUBDOMAIN = 253
MAX_CONFIG_MAP_KEY = 253
INT64_MAX = 2**63 - 1

# --- Kubernetes' name formats (k8s.io/apimachinery/pkg/util/validation) ---------------------

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
# IsEnvVarName. Clusters with RelaxedEnvironmentVariableValidation take more; this is what
# every supported release takes.
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_CONFIG_MAP_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def is_dns_label(value: str) -> bool:
    return len(value) <= MAX_DNS_LABEL and _DNS_LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= MAX_DNS_SUBDOMAIN and _DNS_SUBDOMAIN.fullmatch(value) is not None


def is_label_key(key: str) -> bool:
    """A label key (and a node selector's or toleration's key): ``name`` or ``prefix/name``."""
    prefix, slash, name = key.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        return False
    return len(name) <= MAX_DNS_LABEL and _QUALIFIED_NAME.fullmatch(name) is not None


def is_label_value(value: str) -> bool:
    return len(value) <= MAX_DNS_LABEL and _LABEL_VALUE.fullmatch(value) is not None


def is_env_name(name: str) -> bool:
    return _ENV_NAME.fullmatch(name) is not None


def check_dns_label(value: str, what: str) -> str:
    if not is_dns_label(value):
        raise fix_error(
            f"{value!r} is not a valid {what}: Kubernetes takes a DNS label.",
            f"use at most {MAX_DNS_LABEL} lowercase letters, digits and '-', starting and ending with "
            "a letter or digit",
        )
    return value


def check_dns_subdomain(value: str, what: str) -> str:
    if not is_dns_subdomain(value):
        raise fix_error(
            f"{value!r} is not a valid {what}: Kubernetes takes a DNS subdomain.",
            f"use at most {MAX_DNS_SUBDOMAIN} lowercase letters, digits, '-' and '.', each "
            "dot-separated part starting and ending with a letter or digit",
        )
    return value


def check_label_key(key: str, what: str = "label key") -> str:
    if not is_label_key(key):
        raise fix_error(
            f"{key!r} is not a valid {what}.",
            "write 'name' or 'prefix/name': the name at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit; the prefix a DNS subdomain",
        )
    return key


def check_label_value(value: str, what: str = "label value") -> str:
    if not is_label_value(value):
        raise fix_error(
            f"{value!r} is not a valid {what}.",
            "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        )
    return value


def check_quantity(value: str) -> str:
    try:
        parse_quantity(value)
    except ValueError:
        raise fix_error(
            f"{value!r} is not a Kubernetes quantity.", "write e.g. '1Gi' or '500Mi', without spaces"
        ) from None
    return value


def check_absolute_path(path: str) -> str:
    """A mount path: absolute, without '..' (which would hide where it really lands)."""
    if not path.startswith("/"):
        raise fix_error(f"{path!r} is not an absolute path; the container would not start.",
                        "write the full path, e.g. '/data'")
    if ".." in path.split("/"):
        meant = posixpath.normpath(path)
        raise fix_error(f"{path!r} has a '..' component.", f"write the path it means: {meant!r}")
    return path


def check_relative_path(path: str, what: str) -> str:
    """A sub path: relative and never above its volume (Kubernetes' validateLocalDescendingPath)."""
    if path.startswith("/") or ".." in path.split("/"):
        raise fix_error(f"{path!r} is not a valid {what}: it must be relative, without '..'.",
                        "write a path inside the volume, e.g. 'logs'")
    return path


def normal_path(path: str) -> str:
    """The directory a path names, for comparing mounts: '//a/./b/' is '/a/b'."""
    normal = posixpath.normpath(path)
    return "/" + normal.lstrip("/") if normal.startswith("/") else normal


def path_overlaps(path: str, other: str) -> bool:
    """One of the two is the other or lies under it (normalised paths)."""
    a, b = normal_path(path), normal_path(other)
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def annotations_bytes(annotations: Mapping[str, str]) -> int:
    """What Kubernetes counts against ``MAX_ANNOTATIONS_BYTES``."""
    return sum(len(key) + len(value) for key, value in annotations.items())


def config_map_bytes(data: Mapping[str, str]) -> int:
    """What Kubernetes counts against ``MAX_CONFIG_MAP_BYTES``: keys and values, in bytes."""
    return sum(len(key) + len(value.encode()) for key, value in data.items())


# --- the types ------------------------------------------------------------------------------------


class KubernetesModel(BaseModel):
    """A Kubernetes API type: camelCase keys exactly as the API has them, strict types,
    unknown keys refused (the API server would drop or refuse them)."""

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, alias_generator=to_camel,
        validate_by_name=False, validate_by_alias=True,
    )


def _exactly_one(model: BaseModel, what: str, fields: tuple[str, ...]) -> None:
    given = [name for name in fields if getattr(model, name) is not None]
    if len(given) != 1:
        def key(name: str) -> str:
            return type(model).model_fields[name].alias or name

        found = ", ".join(key(name) for name in given) or "none"
        listed = ", ".join(key(name) for name in fields) if len(fields) <= 4 else "its sources"
        fix = "keep exactly one" + (" (another volume can hold another source)" if len(fields) > 4 else "")
        raise fix_error(f"{what} takes exactly one of {listed}; found {found}.", fix)


class ObjectFieldSelector(KubernetesModel):
    field_path: str
    api_version: Literal["v1"] | None = None

    @field_validator("field_path")
    @classmethod
    def _field_path(cls, value: str) -> str:
        keyed = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", value)
        if value not in ENV_FIELD_PATHS and not (keyed and is_label_key(keyed[2])):
            raise fix_error(f"{value!r} is not a field Kubernetes exposes as an env var.",
                            f"use one of {sorted(ENV_FIELD_PATHS)}, or metadata.labels['<key>']")
        return value


ENV_FIELD_PATHS = frozenset({
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
})
"""What ``fieldRef`` may read into an env var (besides one label or annotation)."""
_RESOURCE_FIELDS = re.compile(
    r"(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-[0-9A-Za-z]+)"
)


class ResourceFieldSelector(KubernetesModel):
    resource: str
    container_name: str | None = None
    divisor: str | None = None

    @field_validator("resource")
    @classmethod
    def _resource(cls, value: str) -> str:
        if not _RESOURCE_FIELDS.fullmatch(value):
            raise fix_error(f"{value!r} is not a container resource.",
                            "use e.g. 'limits.memory' or 'requests.cpu'")
        return value

    @field_validator("divisor")
    @classmethod
    def _divisor(cls, value: str | None) -> str | None:
        return value if value is None else check_quantity(value)


class KeySelector(KubernetesModel):
    """A key of a ConfigMap or Secret."""

    name: str
    key: str
    optional: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_subdomain(value, "ConfigMap or Secret name")

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if len(value) > MAX_CONFIG_MAP_KEY or not _CONFIG_MAP_KEY.fullmatch(value) or value in (".", ".."):
            raise fix_error(f"{value!r} is not a ConfigMap or Secret key.",
                            "use letters, digits, '-', '_' and '.'")
        return value


class EnvVarSource(KubernetesModel):
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    config_map_key_ref: KeySelector | None = None
    secret_key_ref: KeySelector | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        sources = ("field_ref", "resource_field_ref", "config_map_key_ref", "secret_key_ref")
        _exactly_one(self, "valueFrom", sources)
        return self


class EnvVar(KubernetesModel):
    name: str
    value: str | None = None
    value_from: EnvVarSource | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not is_env_name(value):
            raise fix_error(
                f"{value!r} is not an environment variable name Kubernetes takes.",
                "use letters, digits, '_', '-' and '.', not starting with a digit (e.g. 'TZ')",
            )
        return value

    @model_validator(mode="after")
    def _value_or_source(self) -> Self:
        if self.value is not None and self.value_from is not None:
            raise fix_error("an env entry takes value or valueFrom, not both.", "keep one of them")
        return self


class KeyToPath(KubernetesModel):
    key: str
    path: str
    mode: int | None = Field(default=None, ge=0, le=0o777)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_relative_path(value, "item path")


class EmptyDirVolumeSource(KubernetesModel):
    medium: Literal["", "Memory", "HugePages"] | None = None
    size_limit: str | None = None

    @field_validator("size_limit")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        return value if value is None else check_quantity(value)


class ConfigMapVolumeSource(KubernetesModel):
    name: str
    items: list[KeyToPath] | None = None
    default_mode: int | None = Field(default=None, ge=0, le=0o777)
    optional: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_subdomain(value, "ConfigMap name")


class SecretVolumeSource(KubernetesModel):
    secret_name: str
    items: list[KeyToPath] | None = None
    default_mode: int | None = Field(default=None, ge=0, le=0o777)
    optional: bool | None = None

    @field_validator("secret_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_subdomain(value, "Secret name")


class PersistentVolumeClaimVolumeSource(KubernetesModel):
    claim_name: str
    read_only: bool | None = None

    @field_validator("claim_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_subdomain(value, "PersistentVolumeClaim name")


Source = dict[str, Any] | None
"""A volume source the API server checks inside (this module only that it is a mapping)."""


class Volume(KubernetesModel):
    """A pod volume: a name and exactly one source."""

    name: str
    aws_elastic_block_store: Source = None
    azure_disk: Source = None
    azure_file: Source = None
    cephfs: Source = None
    cinder: Source = None
    config_map: ConfigMapVolumeSource | None = None
    csi: Source = None
    downward_api: Source = Field(default=None, alias="downwardAPI")
    empty_dir: EmptyDirVolumeSource | None = None
    ephemeral: Source = None
    fc: Source = None
    flex_volume: Source = None
    flocker: Source = None
    gce_persistent_disk: Source = None
    git_repo: Source = None
    glusterfs: Source = None
    host_path: Source = None
    image: Source = None
    iscsi: Source = None
    nfs: Source = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    photon_persistent_disk: Source = None
    portworx_volume: Source = None
    projected: Source = None
    quobyte: Source = None
    rbd: Source = None
    scale_io: Source = Field(default=None, alias="scaleIO")
    secret: SecretVolumeSource | None = None
    storageos: Source = None
    vsphere_volume: Source = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_dns_label(value, "volume name")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        _exactly_one(self, "a volume", tuple(name for name in type(self).model_fields if name != "name"))
        return self


def volume_sources() -> list[str]:
    """The volume sources, as the API names them."""
    return [info.alias or name for name, info in Volume.model_fields.items() if name != "name"]


class VolumeMount(KubernetesModel):
    name: str
    mount_path: str
    read_only: bool | None = None
    sub_path: str | None = None
    sub_path_expr: str | None = None
    mount_propagation: Literal["None", "HostToContainer", "Bidirectional"] | None = None
    recursive_read_only: Literal["Disabled", "IfPossible", "Enabled"] | None = None

    @field_validator("mount_path")
    @classmethod
    def _mount_path(cls, value: str) -> str:
        return check_absolute_path(value)

    @field_validator("sub_path", "sub_path_expr")
    @classmethod
    def _sub_path(cls, value: str | None) -> str | None:
        return value if value is None else check_relative_path(value, "sub path")

    @model_validator(mode="after")
    def _combinations(self) -> Self:
        if self.sub_path is not None and self.sub_path_expr is not None:
            raise fix_error("subPath and subPathExpr exclude each other.", "keep one of them")
        if self.recursive_read_only not in (None, "Disabled") and not self.read_only:
            raise fix_error("recursiveReadOnly needs readOnly: true.",
                            "set readOnly: true, or drop recursiveReadOnly")
        return self


class Toleration(KubernetesModel):
    key: str | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: str | None = None
    effect: Literal["", "NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = Field(default=None, ge=-(2**63), le=INT64_MAX)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        return value if not value else check_label_key(value, "taint key")

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None) -> str | None:
        return value if value is None else check_label_value(value, "taint value")

    @model_validator(mode="after")
    def _combinations(self) -> Self:
        if self.operator == "Exists" and self.value:
            raise fix_error("operator Exists matches any value, and a value is given.",
                            "drop value, or use operator: Equal")
        if not self.key and self.operator != "Exists":
            raise fix_error("a toleration without a key needs operator: Exists (it tolerates every taint).",
                            "give the taint's key, or set operator: Exists")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise fix_error("tolerationSeconds applies only to effect NoExecute.",
                            "set effect: NoExecute, or drop tolerationSeconds")
        return self


def _check_values(operator: str, values: list[str] | None, listed: tuple[str, ...]) -> None:
    if operator in listed and not values:
        raise fix_error(f"operator {operator} needs values.", "list the values to match")
    if operator in ("Exists", "DoesNotExist") and values:
        raise fix_error(f"operator {operator} takes no values.", "drop values, or use In or NotIn")


class LabelSelectorRequirement(KubernetesModel):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return check_label_key(value)

    @model_validator(mode="after")
    def _values(self) -> Self:
        _check_values(self.operator, self.values, ("In", "NotIn"))
        return self


class LabelSelector(KubernetesModel):
    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None

    @field_validator("match_labels")
    @classmethod
    def _labels(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key, label in (value or {}).items():
            check_label_key(key)
            check_label_value(label)
        return value


class NodeSelectorRequirement(KubernetesModel):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[str] | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return check_label_key(value, "node label key")

    @model_validator(mode="after")
    def _values(self) -> Self:
        _check_values(self.operator, self.values, ("In", "NotIn"))
        values = self.values or []
        if self.operator in ("Gt", "Lt") and (len(values) != 1 or not values[0].lstrip("-").isdigit()):
            raise fix_error(f"operator {self.operator} takes one whole number.", "write values: ['3']")
        return self


class NodeSelectorTerm(KubernetesModel):
    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(KubernetesModel):
    node_selector_terms: list[NodeSelectorTerm] = Field(min_length=1)


class PreferredSchedulingTerm(KubernetesModel):
    weight: int = Field(ge=1, le=100)
    preference: NodeSelectorTerm


class NodeAffinity(KubernetesModel):
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] | None = None


class PodAffinityTerm(KubernetesModel):
    topology_key: str
    label_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    namespaces: list[str] | None = None
    match_label_keys: list[str] | None = None
    mismatch_label_keys: list[str] | None = None

    @field_validator("topology_key")
    @classmethod
    def _topology(cls, value: str) -> str:
        return check_label_key(value, "topology key")


class WeightedPodAffinityTerm(KubernetesModel):
    weight: int = Field(ge=1, le=100)
    pod_affinity_term: PodAffinityTerm


class PodAffinity(KubernetesModel):
    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None
    preferred_during_scheduling_ignored_during_execution: list[WeightedPodAffinityTerm] | None = None


class PodAntiAffinity(PodAffinity):
    pass


class Affinity(KubernetesModel):
    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAntiAffinity | None = None

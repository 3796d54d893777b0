"""The typed spec of one Flink cluster, and the parsing of it.

Keys are camelCase as a user writes them in stack config (``taskManager``);
Python callers may use the snake_case names (``task_manager``) as well. Every
optional field has a default, documented on the field as the behaviour it
gives. Unknown keys and wrong types are refused with the key's path.

Structure and single-field rules live here; rules that span fields (Flink's
memory model, keys the library manages) live in ``validation``.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from pulumi_flink.model.kubernetes_types import (
    Affinity,
    EnvVar,
    Toleration,
    Volume,
    VolumeMount,
    check_dns_subdomain,
    check_label_key,
    check_label_value,
    is_dns_label,
    is_dns_subdomain,
    is_label_key,
    is_label_value,
    normal_path,
)
from pulumi_flink.model.layout import USRLIB_DIR
from pulumi_flink.model.naming import PART_OF_LABEL, ClusterNames
from pulumi_flink.model.quantities import cpu_millicores, memory_mebibytes
from pulumi_flink.model.text import (
    ONE_LINE_FIX,
    check_no_control_characters,
    control_characters,
    spans_lines,
    whole_string,
)
from pulumi_flink.model.versions import FlinkVersion
from pulumi_flink.spec.errors import FIX_SEPARATOR, FlinkSpecError, Problem, fix_error

# Long enough for real names, short enough that the longest derived object
# name ("<name>-taskmanager") stays a valid 63-character DNS label.
MAX_CLUSTER_NAME = 40
# Kubernetes counts (replicas) are int32 and durations int64; Flink's slots are a Java int.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# A TCP port.
MAX_PORT = 65535
# Flink's upper bound for any parallelism (KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM).
MAX_PARALLELISM = 2**15
# Probe budgets above a day are typos, not start-up times.
DAY_SECONDS = 86400

_DNS1035 = whole_string(r"[a-z]([-a-z0-9]*[a-z0-9])?")

ConfigValue = str | int | float | bool


def _check_dns1035(value: str, what: str, max_len: int = 63) -> str:
    if len(value) > max_len or not _DNS1035(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use at most {max_len} lowercase letters, digits "
            "and '-', starting with a letter and ending with a letter or digit "
            "(e.g. 'analytics')"
        )
    return value


def _check_dns1123(value: str, what: str) -> str:
    if not is_dns_label(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use at most 63 lowercase letters, digits and "
            "'-', starting and ending with a letter or digit"
        )
    return value


def _check_label_key(key: str) -> None:
    if not is_label_key(key):
        raise ValueError(
            f"{key!r} is not a valid label or annotation key: write 'name' or 'prefix/name', "
            "the name at most 63 letters, digits, '-', '_' or '.'"
        )


class SpecModel(BaseModel):
    """Base of every spec part: strict types, camelCase keys, unknown keys refused.

    Construction raises ``FlinkSpecError`` (never pydantic's own error), so
    Python callers and stack config get the same messages.
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        # Field docstrings become descriptions: the stack-config and package schemas use them.
        use_attribute_docstrings=True,
    )

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise spec_error_from_pydantic(exc) from None

    @classmethod
    def parse(cls, data: Any, path: str = "") -> Self:
        """Validate plain data (e.g. stack config); errors carry ``path`` as prefix."""
        if not isinstance(data, dict):
            raise FlinkSpecError(
                [
                    Problem(
                        path,
                        f"expected a mapping of keys to values, got {_kind(data)}",
                        "write the section as YAML keys and values",
                    )
                ]
            )
        odd_keys = _non_string_keys(data, ())
        if odd_keys:  # pydantic would fail on them with a TypeError, not with our error
            raise FlinkSpecError(odd_keys).prefixed(path)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise spec_error_from_pydantic(exc).prefixed(path) from None
        except FlinkSpecError as exc:
            raise exc.prefixed(path) from None


def _non_string_keys(data: Any, loc: tuple[int | str, ...]) -> list[Problem]:
    """A Problem for every mapping key that is not a string (YAML reads ``1:`` and ``true:`` so)."""
    problems: list[Problem] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                problems += _non_string_keys(value, (*loc, key))
            else:
                where = format_loc((*loc, str(key)))
                message = f"the key {key!r} is not a string."
                problems.append(Problem(where, message, "quote it in YAML, or remove it"))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            problems += _non_string_keys(item, (*loc, index))
    return problems


def _kind(value: Any) -> str:
    return {
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


_TYPE_FIXES = {
    "int_type": "write a whole number without quotes",
    "float_type": "write a number without quotes",
    "string_type": "write a string (quote it in YAML if it looks like a number)",
    "bool_type": "write true or false without quotes",
    "dict_type": "write a mapping of keys to values",
    "model_type": "write a mapping of keys to values",
    "list_type": "write a list",
    "extra_forbidden": "remove it, or check its spelling against the documented keys",
    "literal_error": "use one of the values listed",
    "missing": "set it; it has no default",
    "greater_than_equal": "raise it",
    "greater_than": "raise it",
    "less_than_equal": "lower it",
    "less_than": "lower it",
}


def format_loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def spec_error_from_pydantic(exc: ValidationError) -> FlinkSpecError:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p not in ("function-after", "function-before"))
        nested = err.get("ctx", {}).get("error")
        if isinstance(nested, FlinkSpecError):
            # A spec part validated by its own constructor: keep its problems.
            problems += [p.prefixed(format_loc(loc)) for p in nested.problems]
            continue
        message = err["msg"]
        fix = _TYPE_FIXES.get(err["type"], "")
        if err["type"] == "value_error":
            message = message.removeprefix("Value error, ")
            message, _, fix = message.partition(FIX_SEPARATOR)
        elif err["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append(Problem(format_loc(loc), message, fix))
    return FlinkSpecError(problems)


def _fix(message: str, fix: str) -> ValueError:
    return fix_error(message, fix)


class Resources(SpecModel):
    """CPU and memory of one Flink process's container."""

    cpu: str = "1"
    """CPU request, and limit, as a Kubernetes quantity ('1', '500m')."""

    memory: str = "1600Mi"
    """Container memory request and limit, and Flink's process size: one number, in whole MiB."""

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: str) -> str:
        try:
            cpu_millicores(value)
        except ValueError as exc:
            raise _fix(f"{exc}.", "write a positive CPU quantity such as '1', '2' or '500m'") from None
        return value

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        try:
            memory_mebibytes(value)
        except ValueError as exc:
            raise _fix(f"{exc}.", "write a positive memory quantity such as '2Gi' or '1600Mi'") from None
        return value

    @property
    def cpu_millicores(self) -> int:
        return cpu_millicores(self.cpu)

    @property
    def memory_mib(self) -> int:
        return memory_mebibytes(self.memory)


class JobManagerSpec(Resources):
    """The JobManager. Defaults: 1 CPU, 1600Mi (Flink's own default process size), 1 replica."""

    memory: str = "1600Mi"
    """Container memory request and limit, and Flink's process size
    (``jobmanager.memory.process.size``; 1600Mi is Flink's default)."""
    replicas: int = Field(default=1, ge=1, le=INT32_MAX)
    """JobManager pods. More than one is a standby and needs high availability."""
    workload: Literal["Job", "Deployment"] | None = None
    """Standalone application mode only: run the JobManager as a Kubernetes ``Job`` (the
    default, as in Flink's own manifests: a bounded job completes and its pod is not
    restarted; a failing one is retried up to 6 times, each time from the start or the
    savepoint) or as a ``Deployment`` (always keeps a pod: for never-ending streaming jobs;
    a bounded job would run again every time it finishes). Every other mode runs it as a
    Deployment. The TaskManager Deployment stays up after the job ends either way."""


class TaskManagerSpec(Resources):
    """The TaskManagers. Defaults: 1 CPU, 1728Mi (Flink's default), 1 replica, 1 slot."""

    memory: str = "1728Mi"
    """Container memory request and limit, and Flink's process size (``taskmanager.memory.process.size``)."""
    replicas: int = Field(default=1, ge=1, le=INT32_MAX)
    """TaskManager pods in the Deployment (standalone); native mode starts pods on demand instead."""
    slots: int = Field(default=1, ge=1, le=INT32_MAX)
    """``taskmanager.numberOfTaskSlots``: parallel task slots per TaskManager."""


class Ports(SpecModel):
    """Container ports. Defaults are those of Flink's own Kubernetes examples."""

    rpc: int = Field(default=6123, ge=1, le=MAX_PORT)
    """``jobmanager.rpc.port``."""
    blob: int = Field(default=6124, ge=1, le=MAX_PORT)
    """``blob.server.port``: fixed, so the internal Service can carry it."""
    rest: int = Field(default=8081, ge=1, le=MAX_PORT)
    """``rest.port``: REST API and web UI."""
    task_manager_rpc: int = Field(default=6122, ge=1, le=MAX_PORT)
    """``taskmanager.rpc.port``."""
    task_manager_data: int = Field(default=6121, ge=1, le=MAX_PORT)
    """``taskmanager.data.port``: fixed instead of Flink's random port, so policies can name it."""

    @property
    def jobmanager_ports(self) -> dict[str, int]:
        return {"rpc": self.rpc, "blob": self.blob, "rest": self.rest}

    @property
    def taskmanager_ports(self) -> dict[str, int]:
        return {"rpc": self.task_manager_rpc, "data": self.task_manager_data}


class RestSpec(SpecModel):
    """How the REST endpoint (API and web UI) is exposed. Default: a ClusterIP Service."""

    exposure: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    """Type of the REST Service: 'ClusterIP' (in-cluster only), 'NodePort' or 'LoadBalancer'."""
    node_port: int | None = Field(default=None, ge=30000, le=32767)
    """Fixed node port (30000-32767), with ``exposure: NodePort`` only; unset lets Kubernetes pick one."""
    annotations: dict[str, str] = {}
    """Annotations on the REST Service, e.g. for a cloud load balancer."""

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            _check_label_key(key)
        return value


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
    run_as_user: int = Field(default=9999, ge=0, le=2147483647)
    """User id of every process in the Flink pods (pod ``securityContext.runAsUser``): 9999,
    the official image's ``flink`` user, owner of its files. Always set, as Kubernetes cannot
    tell the official images' own user is not root (1.x images start as root, 2.x as the
    non-numeric user 'flink'). 0 (root) is refused: the pods run with ``runAsNonRoot``. Under
    a policy that assigns ids from a range (OpenShift), use an id from the namespace's range."""
    run_as_group: int = Field(default=9999, ge=0, le=2147483647)
    """Primary group id of every process in the Flink pods: 9999, the image's ``flink``
    group (0 is allowed: only the user must not be root)."""
    fs_group: int = Field(default=9999, ge=0, le=2147483647)
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


# An image reference as the container runtimes parse it (the grammar of distribution/reference):
# [registry[:port]/]path[:tag][@digest], the path lowercase, the repository name at most 255.
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_IMAGE_REFERENCE = whole_string(
    rf"(?P<name>(?:{_REGISTRY}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?"
)
_MAX_IMAGE_NAME = 255
_MAX_IMAGE_REFERENCE = 512  # name, tag (128) and a digest: checked before the pattern runs


def _check_image(value: str, example: str) -> str:
    """An image reference a container runtime can pull."""
    check_no_control_characters(value, "image reference")
    match = _IMAGE_REFERENCE(value) if len(value) <= _MAX_IMAGE_REFERENCE else None
    if not match or len(match["name"]) > _MAX_IMAGE_NAME:
        raise _fix(
            f"{value!r} is not an image reference.",
            f"write [registry/]repository[:tag][@digest], the repository in lowercase, e.g. {example!r}",
        )
    return value


def _check_lines(values: list[str], what: str) -> list[str]:
    """Each item on one line, refused at its own index (``jvmOptions[1]``)."""
    problems = []
    for index, value in enumerate(values):
        try:
            check_no_control_characters(value, what)
        except ValueError as exc:
            message, _, fix = str(exc).partition(" Fix: ")
            problems.append(Problem(f"[{index}]", message, fix))
    if problems:
        raise FlinkSpecError(problems)
    return values

DEFAULT_JAR_FETCH_IMAGE = "curlimages/curl:8.11.1"
_JOB_ID = whole_string(r"[0-9a-f]{32}")
_JAVA_CLASS = whole_string(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")


def jar_is_fetched(jar: str) -> bool:
    """True when ``jar`` is a URL an init container downloads, not a path in the image."""
    return jar.startswith(("http://", "https://"))


def jar_path_in_pod(jar: str) -> str:
    """Where the jar is inside the Flink container: fetched jars land in the usrlib directory."""
    if jar_is_fetched(jar):
        return f"{USRLIB_DIR}/{jar.rstrip('/').rsplit('/', 1)[-1].split('?', 1)[0]}"
    return jar.removeprefix("local://")


class JobSpec(SpecModel):
    """The job of an application cluster, or one job of a per-job deployment.

    Only ``jar`` is required.
    """

    jar: str
    """The job's jar: a path in the image ('/opt/flink/usrlib/job.jar' or
    'local:///opt/flink/usrlib/job.jar'), or an http(s) URL that an init container downloads
    into ``/opt/flink/usrlib`` before Flink starts (an emptyDir there, which hides whatever
    the image has in that directory)."""
    entry_class: str | None = None
    """The class whose ``main()`` builds the job; unset uses the jar manifest's ``Main-Class``."""
    args: list[str] = []
    """Arguments passed to ``main()``."""
    parallelism: int | None = Field(default=None, ge=1, le=MAX_PARALLELISM)
    """The job's parallelism; unset uses the cluster's ``parallelism``. It becomes
    ``parallelism.default`` in application mode and ``flink run --parallelism`` in per-job mode."""
    savepoint: str | None = None
    """Start from this savepoint or retained checkpoint (a path, e.g. 's3://bucket/savepoints/sp-1');
    unset starts empty."""
    allow_non_restored_state: bool = False
    """With ``savepoint``: skip savepoint state that maps to no operator of the job, instead of failing."""
    job_id: str | None = None
    """A fixed job id (32 lowercase hex digits). Unset: Flink picks one, except that with high
    availability on a fixed id is derived from the namespace and the cluster name, so a
    restarted JobManager recovers the job instead of starting a fresh one."""
    jar_fetch_image: str = DEFAULT_JAR_FETCH_IMAGE
    """Image of the init container that downloads a jar URL (it runs ``curl``)."""

    @field_validator("jar")
    @classmethod
    def _jar(cls, value: str) -> str:
        check_no_control_characters(value, "jar")
        if jar_is_fetched(value):
            file_name = jar_path_in_pod(value).rsplit("/", 1)[-1]
            if not file_name.endswith(".jar"):
                raise _fix(
                    f"the URL {value!r} does not end in a .jar file name.",
                    "give the URL of the jar file itself, e.g. 'https://repo.example.com/jobs/orders-1.4.jar'",
                )
            return value
        path = value.removeprefix("local://")
        if not path.startswith("/") or not path.endswith(".jar") or any(c.isspace() for c in path):
            raise _fix(
                f"{value!r} is neither an absolute path to a .jar in the image nor an http(s) URL.",
                f"write e.g. '{USRLIB_DIR}/job.jar' (in the image) or 'https://repo.example.com/job.jar'",
            )
        return value

    @field_validator("args")
    @classmethod
    def _args(cls, value: list[str]) -> list[str]:
        return _check_lines(value, "argument")

    @field_validator("entry_class")
    @classmethod
    def _entry_class(cls, value: str | None) -> str | None:
        if value is not None and not _JAVA_CLASS(value):
            raise _fix(
                f"{value!r} is not a Java class name.",
                "write the fully qualified name, e.g. 'com.example.Orders'",
            )
        return value

    @field_validator("job_id")
    @classmethod
    def _job_id(cls, value: str | None) -> str | None:
        if value is not None and not _JOB_ID(value):
            raise _fix(
                f"{value!r} is not a Flink job id.",
                "write 32 lowercase hex digits, e.g. '00000000000000000000000000000001', or remove it",
            )
        return value

    @field_validator("savepoint")
    @classmethod
    def _savepoint(cls, value: str | None) -> str | None:
        if value is not None:
            check_no_control_characters(value, "savepoint path")
        if value is not None and (not value or any(c.isspace() for c in value)):
            raise _fix(f"{value!r} is not a savepoint path.", "write e.g. 's3://bucket/savepoints/savepoint-1'")
        return value

    @field_validator("jar_fetch_image")
    @classmethod
    def _fetch_image(cls, value: str) -> str:
        return _check_image(value, DEFAULT_JAR_FETCH_IMAGE)

    @property
    def jar_in_pod(self) -> str:
        return jar_path_in_pod(self.jar)


class PerJobSpec(JobSpec):
    """One job of a per-job deployment: a name, the job, and optionally its own TaskManagers."""

    name: str
    """The job's name: its dedicated cluster is called ``<cluster name>-<job name>``, at most
    40 characters together."""
    task_manager: TaskManagerSpec | None = None
    """This job's TaskManagers; unset uses the cluster's ``taskManager``."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_dns1035(value, "job name", MAX_CLUSTER_NAME)


Mode = Literal["session", "application", "per-job"]

ZOOKEEPER_CLIENT_PORT = 2181
OBJECT_STORE_SCHEMES = ("s3://", "s3a://", "s3p://", "gs://", "abfs://", "abfss://", "wasbs://", "oss://", "hdfs://")
# A quorum entry: host:port, spaces around it allowed (ZooKeeper trims them).
_QUORUM_MEMBER = whole_string(r" *[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:(?P<port>[0-9]{1,5}) *")


# The least memory of a store server. ZooKeeper's JVM gets half of it as heap (``heap_mib``):
# Java refuses a heap under 3 MiB and ZooKeeper 3.8 does not start under 8 MiB (measured);
# 32 MiB leaves room for Flink's sessions and znodes. An idle etcd 3.4 member uses about 24 MiB.
STORE_MIN_MEMORY_MIB = 64


class StoreSpec(SpecModel):
    """A replicated store the library runs for Flink: its servers' size and volumes."""

    # At most 255: a ZooKeeper server id (myid, the pod ordinal + 1) is 1 to 255. Unbounded,
    # a typo such as 300000000 made the quorum string (one entry per server) hang the parse.
    replicas: int = Field(default=3, ge=1, le=255)
    """Servers: odd, so that a majority survives (3 tolerates one lost server, 5 two)."""
    image: str
    """Container image of the servers."""
    cpu: str = "500m"
    """CPU request and limit of each server, as a Kubernetes quantity."""
    memory: str = "1Gi"
    """Memory request and limit of each server (ZooKeeper's JVM heap is half of it)."""
    storage: str = "10Gi"
    """Each server's persistent volume for its data."""
    storage_class_name: str | None = None
    """Storage class of the data volumes; unset uses the cluster's default."""

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: str) -> str:
        return Resources._cpu(value)

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        if memory_mebibytes(Resources._memory(value)) < STORE_MIN_MEMORY_MIB:
            raise _fix(
                f"{value!r} is too little for a store server: ZooKeeper's JVM gets half of it as "
                f"heap, and an idle etcd member alone uses about 24Mi.",
                f"give at least {STORE_MIN_MEMORY_MIB}Mi (the default is 1Gi)",
            )
        return value

    @field_validator("storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        return Resources._memory(value)

    @field_validator("storage_class_name")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is not None and not is_dns_subdomain(value):
            raise _fix(f"{value!r} is not a StorageClass name.",
                       "write a lowercase DNS name such as 'fast-ssd', or remove it for the default class")
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _check_image(value, cls.model_fields["image"].default)


class ZooKeeperSpec(StoreSpec):
    """The ZooKeeper ensemble the library runs for Flink, or an existing quorum."""

    image: str = "zookeeper:3.8.4"
    """The official ZooKeeper image (its ``zkServer.sh`` on PATH)."""
    existing_quorum: str | None = None
    """Use this ZooKeeper instead of running one: 'host:port,host:port'. The ensemble
    fields are then unused."""

    @property
    def heap_mib(self) -> int:
        """``ZK_SERVER_HEAP``: the JVM heap of each server, half its memory; the other half
        is for direct memory, metaspace and threads within the container's limit."""
        return memory_mebibytes(self.memory) // 2

    @field_validator("existing_quorum")
    @classmethod
    def _quorum(cls, value: str | None) -> str | None:
        if value is None:
            return value
        check_no_control_characters(value, "ZooKeeper quorum")
        members = [_QUORUM_MEMBER(member) for member in value.split(",")]
        if not all(members):
            raise _fix(
                f"{value!r} is not a ZooKeeper quorum.",
                "write 'host:port' entries separated by commas, e.g. 'zk-0.zk:2181,zk-1.zk:2181'",
            )
        ports = [int(member["port"]) for member in members if member]
        if not all(1 <= port <= MAX_PORT for port in ports):
            raise _fix(
                f"{value!r} has a port outside 1-{MAX_PORT}.",
                "give each server's client port, e.g. 2181",
            )
        return value


class EtcdSpec(StoreSpec):
    """The etcd cluster behind zetcd."""

    image: str = "quay.io/coreos/etcd:v3.5.17"
    """The etcd image (``etcd`` on PATH)."""


class ZetcdSpec(SpecModel):
    """zetcd: the ZooKeeper 3.4 API served from etcd, for Flink 1.14 and earlier."""

    image: str = "quay.io/coreos/zetcd:v0.0.5"
    """The zetcd image."""
    replicas: int = Field(default=2, ge=1, le=INT32_MAX)
    """Stateless (sessions live in etcd leases), so more than one keeps the API up."""
    allow_unsupported_flink_version: bool = False
    """Use zetcd with Flink 1.15 or later anyway (see ``highAvailability.type``). Only after
    you have tested leader election and recovery with your Flink release."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _check_image(value, cls.model_fields["image"].default)


class HighAvailabilitySpec(SpecModel):
    """JobManager high availability: leader election and the metadata that lets a new
    JobManager recover running jobs. Default: off."""

    type: Literal["none", "zookeeper", "zetcd", "kubernetes"] = "none"
    """The store the JobManagers elect their leader in; 'none': no high availability.
    'zookeeper': a ZooKeeper ensemble the library runs (or ``zookeeper.existingQuorum``).
    'zetcd': an etcd cluster with zetcd in front, which Flink uses as its ZooKeeper; zetcd
    speaks only ZooKeeper 3.4 and lacks the container nodes of Flink 1.15+'s Curator 5, so
    it is for Flink 1.14 and earlier. 'kubernetes': Flink's leader election and metadata in
    ConfigMaps; nothing else to run."""
    storage_dir: str | None = None
    """Required with HA: durable storage shared by every JobManager and TaskManager, for HA
    metadata (``<storageDir>/ha``), checkpoints (``/checkpoints``) and savepoints
    (``/savepoints``). An object store URI (s3://, gs://, abfs://, hdfs://, ...) or
    ``file:///flink-ha/...`` on ``volumeClaim``."""
    volume_claim: str | None = None
    """An existing ReadWriteMany PersistentVolumeClaim, mounted at /flink-ha in every Flink
    pod; ``storageDir`` is then ``file:///flink-ha`` or a directory below it."""
    credentials_secret: str | None = None
    """An existing Secret whose keys become environment variables of every Flink pod (e.g.
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for s3://): credentials never go into the
    ConfigMap."""
    zookeeper: ZooKeeperSpec = ZooKeeperSpec()
    """With type 'zookeeper': the ensemble the library runs (3 servers), or ``existingQuorum``."""
    etcd: EtcdSpec = EtcdSpec()
    """With type 'zetcd': the etcd cluster that stores the data (3 members)."""
    zetcd: ZetcdSpec = ZetcdSpec()
    """With type 'zetcd': the zetcd servers in front of etcd."""
    path_root: str = "/flink"
    """``high-availability.zookeeper.path.root``: the ZooKeeper node under which each cluster
    id keeps its data."""
    cluster_id: str | None = None
    """The HA cluster id. Unset: ``<name>-<8 random hex digits>``, drawn once per
    incarnation by pulumi-random and stable across updates, so a cluster destroyed and
    created again never recovers an old job from leftover HA data."""
    fast_failover: bool = True
    """Tune ZooKeeper session and heartbeat timeouts so a killed leader is replaced in
    seconds, not the ~minute Flink's defaults take. False keeps Flink's defaults."""

    @field_validator("storage_dir")
    @classmethod
    def _storage_dir(cls, value: str | None) -> str | None:
        if value is not None:
            check_no_control_characters(value, "storage URI")
        if value is not None and not (value.startswith(OBJECT_STORE_SCHEMES) or value.startswith("file:///")):
            schemes = ", ".join(OBJECT_STORE_SCHEMES)
            raise _fix(f"{value!r} is not a durable storage URI.",
                       f"use an object store ({schemes}) or file:///flink-ha with volumeClaim")
        if value is not None and any(c.isspace() for c in value):
            raise _fix(f"{value!r} contains whitespace.", "write the URI without spaces")
        return value

    @field_validator("volume_claim", "credentials_secret")
    @classmethod
    def _object_name(cls, value: str | None) -> str | None:
        # Claim and Secret names are DNS subdomains to Kubernetes (dots allowed, 253 long).
        return value if value is None else check_dns_subdomain(value, "object name")

    @field_validator("path_root")
    @classmethod
    def _path_root(cls, value: str) -> str:
        check_no_control_characters(value, "ZooKeeper path")
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise _fix(f"{value!r} is not a ZooKeeper path.", "write an absolute path such as '/flink'")
        return value

    @field_validator("cluster_id")
    @classmethod
    def _cluster_id(cls, value: str | None) -> str | None:
        return value if value is None else _check_dns1123(value, "HA cluster id")

    @property
    def enabled(self) -> bool:
        return self.type != "none"

    @property
    def flink_type(self) -> str:
        """Flink's own name for the store: zetcd is ZooKeeper to Flink."""
        return "zookeeper" if self.type == "zetcd" else self.type

    @property
    def store_components(self) -> tuple[str, ...]:
        """The store servers the library runs: ZooKeeper (unless an existing quorum is used),
        etcd with zetcd in front, or none."""
        if self.type == "zookeeper" and self.zookeeper.existing_quorum is None:
            return ("zookeeper",)
        return ("etcd", "zetcd") if self.type == "zetcd" else ()


class ProbesSpec(SpecModel):
    """Kubernetes health probes of the Flink containers. Default: on, timed for JVM start-up.

    JobManager: startup and readiness probes that GET the REST API's ``/config`` (it answers
    once the REST endpoint runs and knows the leading JobManager; readiness also decides which
    JobManagers the Services send traffic to), and a liveness probe that connects to the RPC
    port. TaskManagers: startup and liveness probes that connect to their RPC port
    (``ports.taskManagerRpc``). Native mode: the JobManager Deployment has them, and Flink
    creates every TaskManager pod from the pod template, which carries the TaskManager's.
    """

    enabled: bool = True
    """False: no probes; a Flink container counts as started, ready and alive while its
    process runs."""
    startup_timeout_seconds: int = Field(default=180, ge=10, le=DAY_SECONDS)
    """How long a Flink process may take to start (JVM start-up, the REST endpoint, finding
    the leading JobManager, which after a failover can wait for the old leader's lease)
    before Kubernetes restarts its container. Readiness and liveness are checked only after
    it has started."""
    job_check: bool = False
    """Application mode only. True: the JobManager's liveness probe also asks its own REST
    API (``GET /jobs``, in bash: the image needs no curl) whether the job is RUNNING (with a
    fixed job id, that job), and Kubernetes restarts the JobManager when it has not been for
    ``jobCheckGraceSeconds``. False: a JobManager whose job is stuck (failed and kept,
    restarting forever, never submitted) keeps running."""
    job_check_grace_seconds: int = Field(default=300, ge=10, le=DAY_SECONDS)
    """With ``jobCheck``: how long the job may be in any other state than RUNNING (created,
    restarting, recovering after a failover, waiting for new TaskManager pods) before the
    JobManager is restarted. Keep it above your restart strategy's longest delay plus the
    time new TaskManager pods take to start."""


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


_PEER_KEYS = ("podSelector", "namespaceSelector", "ipBlock")
_SELECTOR_KEYS = ("matchLabels", "matchExpressions")
# The cluster DNS of kubeadm, EKS, GKE and AKS: CoreDNS (or kube-dns) pods labelled
# k8s-app=kube-dns in kube-system.
KUBE_DNS_PEER: dict[str, Any] = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def _check_peers(peers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry a Kubernetes NetworkPolicyPeer: podSelector and/or namespaceSelector, or an ipBlock."""
    fix = (
        "write a NetworkPolicyPeer: podSelector and/or namespaceSelector (each with matchLabels or "
        "matchExpressions), or ipBlock with a cidr"
    )
    for index, peer in enumerate(peers):
        keys = set(peer)
        if not keys or keys - set(_PEER_KEYS):
            raise _fix(f"entry [{index}] has keys {sorted(keys)}, not a NetworkPolicyPeer's.", fix)
        if "ipBlock" in keys and len(keys) > 1:
            raise _fix(f"entry [{index}] combines ipBlock with a selector.", "give them as separate entries")
        for key in keys & {"podSelector", "namespaceSelector"}:
            selector = peer[key]
            if not isinstance(selector, dict) or set(selector) - set(_SELECTOR_KEYS):
                raise _fix(f"entry [{index}].{key} is not a label selector.", fix)
            labels = selector.get("matchLabels", {})
            if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
                raise _fix(f"entry [{index}].{key}.matchLabels is not a mapping of labels.", fix)
            for label in labels:
                try:
                    _check_label_key(label)
                except ValueError as exc:
                    raise _fix(f"entry [{index}].{key}: {exc}.", "use the label's exact key") from None
                if not is_label_value(labels[label]):
                    raise _fix(f"entry [{index}].{key}.matchLabels: {label}={labels[label]!r} is not a "
                               "label value.", "use at most 63 letters, digits, '-', '_' or '.'")
        block = peer.get("ipBlock")
        if "ipBlock" in keys and not (isinstance(block, dict) and isinstance(block.get("cidr"), str)):
            raise _fix(f"entry [{index}].ipBlock has no cidr.", "write e.g. ipBlock: {cidr: 10.0.0.0/8}")
        if isinstance(block, dict):
            excepted = block.get("except", [])
            if not isinstance(excepted, list):
                raise _fix(f"entry [{index}].ipBlock.except is not a list.", "write a list of CIDRs")
            for cidr in [block["cidr"], *excepted]:
                if not _is_cidr(cidr):
                    raise _fix(f"entry [{index}].ipBlock: {cidr!r} is not a CIDR.",
                               "write an address and a prefix length, e.g. 10.0.0.0/8 or fd00::/8")
    return peers


def _is_cidr(text: object) -> bool:
    """An IPv4 or IPv6 CIDR as Kubernetes parses one (address/prefix; host bits allowed)."""
    if not isinstance(text, str) or "/" not in text or control_characters(text):
        return False
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


class NetworkPolicySpec(SpecModel):
    """Kubernetes NetworkPolicies that let only the traffic each part of the cluster needs reach
    its pods. Default: on, the REST API reachable only from the cluster's own pods.

    Per cluster (per-job mode: per job cluster): the JobManagers accept RPC, blob and REST
    from the cluster's own JobManager, TaskManager and (per-job) submitter pods; the
    TaskManagers accept RPC and data from them. ``restFrom`` adds who may reach REST,
    ``metricsFrom`` who may scrape ``metrics.port``. The library's ZooKeeper, etcd and zetcd
    accept clients only from the Flink pods that use them and peers only from each other,
    and send only to their peers and DNS (``dnsTo``). The Flink pods' egress stays open:
    they reach the object store, the Kubernetes API (native mode, Kubernetes HA) and your
    sources and sinks, whose addresses the library cannot know. Enforced only where the
    cluster's network plugin implements NetworkPolicy (Calico, Cilium, ...).
    """

    enabled: bool = True
    """Create the NetworkPolicies. False: none; every pod may reach the Flink and store pods
    unless policies of your own say otherwise."""
    rest_from: list[dict[str, Any]] = []
    """Who may reach the REST API and web UI (``ports.rest``) besides the cluster's own pods:
    Kubernetes NetworkPolicyPeer objects, e.g. ``{namespaceSelector: {matchLabels:
    {kubernetes.io/metadata.name: airflow}}}`` or ``{ipBlock: {cidr: 10.0.0.0/8}}`` (clients
    of a NodePort or LoadBalancer). Empty: only the cluster's own pods (and ``kubectl
    port-forward``, which enters through the kubelet, not the pod network)."""
    metrics_from: list[dict[str, Any]] = []
    """Who may scrape the metrics port (``metrics.port``) of the JobManagers and
    TaskManagers: NetworkPolicyPeers naming your Prometheus, e.g. ``{namespaceSelector:
    {matchLabels: {kubernetes.io/metadata.name: monitoring}}, podSelector: {matchLabels:
    {app.kubernetes.io/name: prometheus}}}``. Empty: nobody; required with
    ``metrics.podMonitor`` or ``metrics.serviceMonitor``."""
    dns_to: list[dict[str, Any]] = [KUBE_DNS_PEER]
    """Where the library's ZooKeeper, etcd and zetcd pods may send DNS queries (UDP and TCP
    53), besides their peers the only egress they have: the ``k8s-app: kube-dns`` pods in
    ``kube-system``. Change it for another DNS, e.g. ``[{ipBlock: {cidr: 169.254.20.10/32}}]``
    for NodeLocal DNSCache."""

    @field_validator("rest_from", "metrics_from", "dns_to")
    @classmethod
    def _peers(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _check_peers(value)


class MetricsSpec(SpecModel):
    """Flink's metrics for Prometheus. Default: Flink's Prometheus reporter on every
    JobManager and TaskManager on port 9249, and no Prometheus operator objects."""

    enabled: bool = True
    """Configure Flink's Prometheus reporter (``metrics.reporter.prom.*``; its plugin ships
    in the official image) on every JobManager and TaskManager: it serves every metric in
    Prometheus' text format on ``port``, a container port named ``metrics``. False: the
    library configures no reporter (reporters of your own in ``flinkConfiguration`` run
    as you set them)."""
    port: int = Field(default=9249, ge=1, le=MAX_PORT)
    """``metrics.reporter.prom.port``: the port of the reporter's HTTP server (Flink's default)."""
    pod_monitor: bool = False
    """Create a Prometheus operator ``PodMonitor`` (monitoring.coreos.com/v1) named
    ``<name>-metrics`` that scrapes the ``metrics`` port of every JobManager and TaskManager
    pod of the cluster (native TaskManagers included). Needs the operator's CRDs."""
    service_monitor: bool = False
    """Create a headless Service ``<name>-metrics`` over the ``metrics`` ports and a
    Prometheus operator ``ServiceMonitor`` of the same name that scrapes it. Needs the
    operator's CRDs. Use it or ``podMonitor``, not both."""
    monitor_labels: dict[str, str] = {}
    """Extra labels on the PodMonitor or ServiceMonitor, for your Prometheus'
    ``podMonitorSelector``/``serviceMonitorSelector`` (e.g. ``release: prometheus`` for
    kube-prometheus-stack)."""

    @field_validator("monitor_labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            _check_label_key(key)
            if not is_label_value(text):
                raise _fix(f"label {key}={text!r} has an invalid value.",
                           "use at most 63 letters, digits, '-', '_' or '.'")
        return value


_LOG_FILE_SIZE = whole_string(r"[1-9][0-9]{0,5}(KB|MB|GB)")


class LoggingSpec(SpecModel):
    """Where Flink's processes log. Default: stdout only (``kubectl logs``, and whatever
    ships the nodes' container logs)."""

    to_file: bool = False
    """Also write each JobManager's and TaskManager's log into ``/opt/flink/log``, as Flink
    does outside containers: a file per process named by Flink's start scripts, rolled by
    size (log4j's RollingFile appender), which the web UI's log pages also show. On an
    emptyDir (limited to the rolled files' size) unless ``volumeClaim``."""
    volume_claim: str | None = None
    """With ``toFile``: an existing PersistentVolumeClaim (ReadWriteMany when more than one
    pod runs) for the log files instead of an emptyDir, so they outlive the pods; each pod
    writes into its own directory on it, named after the pod. Nothing deletes old pods'
    directories."""
    max_file_size: str = "100MB"
    """With ``toFile``: the size at which a log file is rolled over, in log4j's units
    (``KB``, ``MB``, ``GB``: multiples of 1024), as in Flink's own log4j.properties."""
    max_files: int = Field(default=10, ge=1, le=1000)
    """With ``toFile``: rolled files kept per process besides the current one (Flink's default
    10); the oldest is deleted."""

    @field_validator("volume_claim")
    @classmethod
    def _claim(cls, value: str | None) -> str | None:
        if value is not None and not is_dns_subdomain(value):
            raise _fix(f"{value!r} is not a PersistentVolumeClaim name.",
                       "give the name of an existing claim in the namespace, e.g. 'flink-logs'")
        return value

    @field_validator("max_file_size")
    @classmethod
    def _size(cls, value: str) -> str:
        if not _LOG_FILE_SIZE(value):
            raise _fix(f"{value!r} is not a log file size.",
                       "write a whole number and KB, MB or GB, e.g. '100MB'")
        return value

    @property
    def max_file_mib(self) -> float:
        """``maxFileSize`` in MiB (log4j counts KB, MB and GB in multiples of 1024)."""
        number, unit = int(self.max_file_size[:-2]), self.max_file_size[-2:]
        return number * {"KB": 1 / 1024, "MB": 1, "GB": 1024}[unit]


class FlinkClusterSpec(SpecModel):
    """One Flink cluster on Kubernetes, in any deployment mode.

    Only ``name`` and ``flinkVersion`` are required (and ``job`` in application mode,
    ``jobs`` in per-job mode). The version has no default
    on purpose: a library upgrade must never move a running cluster to a new
    Flink release.
    """

    name: str
    """Cluster name: the prefix of every Kubernetes object and the ``app.kubernetes.io/instance`` label."""
    flink_version: str
    """Flink release, 'MAJOR.MINOR' or 'MAJOR.MINOR.PATCH' (1.14 to 2.3). Required, with no
    default on purpose: a library upgrade must never move a running cluster to another release."""
    namespace: str = "default"
    """Namespace of every object. It must already exist."""
    image: str | None = None
    """Container image; unset uses the official ``flink:<flinkVersion>-java17`` (``-java11`` before 1.18)."""
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    """``imagePullPolicy`` of every container the cluster runs: Flink's, the jar fetch and
    the library's HA stores."""
    config_file: Literal["auto", "flink-conf.yaml", "config.yaml"] = "auto"
    """Flink config file: 'auto' is ``flink-conf.yaml`` on 1.x and ``config.yaml`` on 2.x;
    ``config.yaml`` may be chosen from 1.19 on; ``flink-conf.yaml`` is refused on 2.x."""
    job_manager: JobManagerSpec = JobManagerSpec()
    """The JobManager: size, replicas (a standby needs HA) and, standalone application, workload kind."""
    task_manager: TaskManagerSpec = TaskManagerSpec()
    """The TaskManagers: size, replicas and task slots."""
    parallelism: int = Field(default=1, ge=1, le=MAX_PARALLELISM)
    """``parallelism.default``: for jobs submitted with ``flink run`` that set none. REST and
    web-UI submissions send their own parallelism (1 unless given). Above the total task
    slots is a warning."""
    ports: Ports = Ports()
    """Ports of the Flink processes; the defaults are Flink's."""
    rest: RestSpec = RestSpec()
    """How the REST API and web UI are exposed: a ClusterIP Service unless set."""
    flink_configuration: dict[str, ConfigValue] = {}
    """Extra Flink configuration, flat keys. Keys the library manages are refused, naming the field to use."""
    jvm_options: list[str] = []
    """JVM options appended after the ones Flink needs on Java 17 (``env.java.opts.all``)."""
    labels: dict[str, str] = {}
    """Extra labels on every object and pod. The selector labels (``app.kubernetes.io/*``) are
    the library's."""
    annotations: dict[str, str] = {}
    """Extra annotations on every object and pod."""
    pod: PodOptions = PodOptions()
    """Extra env, volumes, scheduling and pull secrets for every Flink pod."""
    mode: Mode = "session"
    """'session': a long-running cluster that jobs are submitted to. 'application': the
    cluster runs ``job``, and ``main()`` runs on the JobManager. 'per-job': every entry of
    ``jobs`` gets its own isolated cluster, and a client pod submits it with ``flink run``
    (``main()`` runs on the client)."""
    native: bool = False
    """False (standalone): Flink does not know it runs on Kubernetes; TaskManagers are a
    Deployment of ``taskManager.replicas`` pods. True (native): the JobManager creates and
    deletes TaskManager pods itself, through the Kubernetes API, as many as its jobs need;
    ``taskManager.replicas`` and per-job mode are refused then."""
    job: JobSpec | None = None
    """Application mode: the job the cluster runs."""
    jobs: list[PerJobSpec] = []
    """Per-job mode: the jobs, each on its own cluster."""
    high_availability: HighAvailabilitySpec = HighAvailabilitySpec()
    """JobManager high availability; off unless ``type`` is set."""
    probes: ProbesSpec = ProbesSpec()
    """Health probes of the Flink containers: on, with a 180 s start-up budget, unless set."""
    spread: SpreadSpec = SpreadSpec()
    """How the JobManager and TaskManager pods spread: over nodes with high availability,
    not at all without, unless set."""
    network_policy: NetworkPolicySpec = NetworkPolicySpec()
    """NetworkPolicies admitting only the traffic the cluster needs: on, REST only from the
    cluster's own pods, unless set."""
    metrics: MetricsSpec = MetricsSpec()
    """Flink's Prometheus reporter on port 9249 of every JobManager and TaskManager, unless
    set; optionally a PodMonitor or ServiceMonitor."""
    logging: LoggingSpec = LoggingSpec()
    """Where the Flink processes log: stdout only, unless ``toFile``."""

    @field_validator("jobs")
    @classmethod
    def _unique_jobs(cls, value: list[PerJobSpec]) -> list[PerJobSpec]:
        names = [job.name for job in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise _fix(f"job names {duplicates} appear more than once.", "give every job its own name")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_dns1035(value, "cluster name", MAX_CLUSTER_NAME)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return _check_dns1123(value, "namespace")

    @field_validator("flink_version")
    @classmethod
    def _version(cls, value: str) -> str:
        try:
            FlinkVersion.parse(value)
        except ValueError as exc:
            raise _fix(f"{exc}.", "pick a supported release, e.g. '1.20' or '2.3'") from None
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return value if value is None else _check_image(value, "flink:1.20-java17")

    @field_validator("jvm_options")
    @classmethod
    def _jvm_options(cls, value: list[str]) -> list[str]:
        return _check_lines(value, "JVM option")

    @field_validator("labels", "annotations")
    @classmethod
    def _meta(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            _check_label_key(key)
        return value

    @field_validator("labels")
    @classmethod
    def _label_values(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not is_label_value(text):
                raise _fix(
                    f"label {key}={text!r} has an invalid value.",
                    "use at most 63 letters, digits, '-', '_' or '.', starting and ending "
                    "with a letter or digit",
                )
        return value

    @field_validator("flink_configuration")
    @classmethod
    def _config_values(cls, value: dict[str, ConfigValue]) -> dict[str, ConfigValue]:
        for key in value:
            check_no_control_characters(key, "Flink configuration key")
            if not key or any(c.isspace() for c in key):
                raise _fix(
                    f"{key!r} is not a Flink configuration key.",
                    "write a dotted key such as 'state.backend.type'",
                )
        # Refused at the key's own path, as the config text check would (the same rule).
        spanning = [key for key, item in value.items() if isinstance(item, str) and spans_lines(item)]
        if spanning:
            raise FlinkSpecError(
                [Problem(key, f"the value of {key!r} spans lines.", ONE_LINE_FIX) for key in spanning]
            )
        return value

    @property
    def zookeeper_quorum(self) -> str:
        """The ZooKeeper servers Flink connects to: each server of the library's ensemble by
        its stable pod DNS name, or the user's existing quorum."""
        zookeeper = self.high_availability.zookeeper
        names = self.names
        if self.high_availability.type == "zetcd":
            return f"{names.zetcd}.{self.namespace}.svc:{ZOOKEEPER_CLIENT_PORT}"
        if zookeeper.existing_quorum:
            return zookeeper.existing_quorum
        return ",".join(
            f"{names.zookeeper}-{index}.{names.zookeeper_peers}.{self.namespace}.svc:{ZOOKEEPER_CLIENT_PORT}"
            for index in range(zookeeper.replicas)
        )

    @property
    def names(self) -> ClusterNames:
        return ClusterNames(self.name, self.native)

    @property
    def version(self) -> FlinkVersion:
        return FlinkVersion.parse(self.flink_version)

    @property
    def resolved_image(self) -> str:
        return self.image or self.version.default_image

    @property
    def service_account_name(self) -> str:
        """``pod.serviceAccountName``, or the ``<name>-flink`` account the library creates."""
        return self.pod.service_account_name or self.names.service_account

    @property
    def spread_topology(self) -> Literal["none", "node", "zone"]:
        """``spread.topology`` with 'auto' resolved: 'node' with high availability, else 'none'."""
        if self.spread.topology == "auto":
            return "node" if self.high_availability.enabled else "none"
        return self.spread.topology

    @property
    def resolved_config_file(self) -> str:
        return self.version.default_config_file if self.config_file == "auto" else self.config_file

    @property
    def total_slots(self) -> int:
        return self.task_manager.replicas * self.task_manager.slots

    @property
    def deployment_mode(self) -> str:
        """'standalone session', 'native application', ... as the Flink docs name them."""
        return f"{'native' if self.native else 'standalone'} {self.mode}"

    @property
    def jobmanager_workload(self) -> Literal["Job", "Deployment"]:
        """The Kubernetes kind that runs the JobManager (see ``jobManager.workload``)."""
        if self.job_manager.workload is not None:
            return self.job_manager.workload
        return "Job" if self.mode == "application" and not self.native else "Deployment"

    @property
    def job_parallelism(self) -> int:
        """The parallelism of the application job, or ``parallelism`` without one."""
        if self.job is not None and self.job.parallelism is not None:
            return self.job.parallelism
        return self.parallelism

    def job_cluster(self, job: PerJobSpec) -> FlinkClusterSpec:
        """Per-job mode: the dedicated session cluster of ``job``, named ``<name>-<job name>``.

        It inherits everything but the jobs; the job's parallelism and TaskManagers, when
        given, replace the cluster's. The result is a plain session spec, validated like any.
        With a ZooKeeper store, the job clusters share the per-job cluster's ensemble (each
        under its own HA cluster id).
        """
        ha = self.high_availability
        if ha.store_components:
            # zetcd is ZooKeeper to Flink: the job clusters use the shared zetcd as a quorum.
            shared = ha.zookeeper.model_copy(update={"existing_quorum": self.zookeeper_quorum})
            ha = ha.model_copy(update={"type": "zookeeper", "zookeeper": shared})
        return self.model_copy(
            update={
                "name": f"{self.name}-{job.name}",
                "mode": "session",
                "jobs": [],
                "job": None,
                "parallelism": job.parallelism or self.parallelism,
                "task_manager": job.task_manager or self.task_manager,
                "labels": {**self.labels, PART_OF_LABEL: self.name},
                "high_availability": ha,
            }
        )

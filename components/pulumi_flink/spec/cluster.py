"""One whole cluster: ``FlinkClusterSpec``, its top-level fields, and what is derived from them
(object names, the image, the ZooKeeper quorum, per-job clusters).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pulumi_flink.model.kubernetes_types import is_label_value
from pulumi_flink.model.layout import ZOOKEEPER_CLIENT_PORT
from pulumi_flink.model.naming import PART_OF_LABEL, ClusterNames
from pulumi_flink.model.text import ONE_LINE_FIX, check_no_control_characters, spans_lines
from pulumi_flink.model.versions import FlinkVersion
from pulumi_flink.spec.base import (
    MAX_CLUSTER_NAME,
    MAX_PARALLELISM,
    ConfigValue,
    SpecModel,
    _check_dns1035,
    _check_dns1123,
    _check_image,
    _check_label_key,
    _check_lines,
    _fix,
)
from pulumi_flink.spec.errors import FlinkSpecError, Problem
from pulumi_flink.spec.high_availability import HighAvailabilitySpec
from pulumi_flink.spec.jobs import JobSpec, PerJobSpec
from pulumi_flink.spec.network import NetworkPolicySpec, Ports, RestSpec
from pulumi_flink.spec.observability import LoggingSpec, MetricsSpec, ProbesSpec
from pulumi_flink.spec.pods import PodOptions, SpreadSpec
from pulumi_flink.spec.resources import JobManagerSpec, TaskManagerSpec

Mode = Literal["session", "application", "per-job"]


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

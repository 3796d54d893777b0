"""Watching the Flink processes: health probes, Prometheus metrics and log files."""

from __future__ import annotations

from pydantic import Field, field_validator

from pulumi_flink.model.kubernetes_types import is_dns_subdomain, is_label_value
from pulumi_flink.model.text import whole_string
from pulumi_flink.spec.base import DAY_SECONDS, MAX_PORT, SpecModel, _check_label_key, _fix


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

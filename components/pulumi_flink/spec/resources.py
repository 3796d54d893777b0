"""CPU and memory of the Flink processes: the JobManager's and the TaskManagers' size."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pulumi_flink.model.quantities import cpu_millicores, memory_mebibytes
from pulumi_flink.spec.base import INT32_MAX, SpecModel, _fix


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

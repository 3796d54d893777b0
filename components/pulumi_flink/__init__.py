"""pulumi-flink: Apache Flink on Kubernetes as Pulumi ComponentResources."""

__version__ = "0.1.0"

from .cluster import FlinkCluster, FlinkJobCluster
from .configuration import FlinkConfiguration
from .errors import FlinkSpecError, Problem
from .rbac import FlinkRbac
from .services import FlinkServices
from .spec import (
    FlinkClusterSpec,
    JobManagerSpec,
    JobSpec,
    PerJobSpec,
    PodOptions,
    Ports,
    RestSpec,
    TaskManagerSpec,
)
from .workloads import JobManager, JobSubmitter, TaskManager, TaskManagerPodTemplate

__all__ = [
    "FlinkCluster",
    "FlinkClusterSpec",
    "FlinkConfiguration",
    "FlinkJobCluster",
    "FlinkRbac",
    "FlinkServices",
    "FlinkSpecError",
    "JobManager",
    "JobManagerSpec",
    "JobSpec",
    "JobSubmitter",
    "PerJobSpec",
    "PodOptions",
    "Ports",
    "Problem",
    "RestSpec",
    "TaskManager",
    "TaskManagerPodTemplate",
    "TaskManagerSpec",
    "__version__",
]

"""pulumi-flink: Apache Flink on Kubernetes as Pulumi ComponentResources."""

__version__ = "0.1.0"

from .cluster import FlinkCluster
from .configuration import FlinkConfiguration
from .errors import FlinkSpecError, Problem
from .rbac import FlinkRbac
from .services import FlinkServices
from .spec import (
    FlinkClusterSpec,
    JobManagerSpec,
    PodOptions,
    Ports,
    RestSpec,
    TaskManagerSpec,
)
from .workloads import JobManager, TaskManager

__all__ = [
    "FlinkCluster",
    "FlinkClusterSpec",
    "FlinkConfiguration",
    "FlinkRbac",
    "FlinkServices",
    "FlinkSpecError",
    "JobManager",
    "JobManagerSpec",
    "PodOptions",
    "Ports",
    "Problem",
    "RestSpec",
    "TaskManager",
    "TaskManagerSpec",
    "__version__",
]

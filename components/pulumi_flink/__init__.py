"""pulumi-flink: Apache Flink on Kubernetes as Pulumi ComponentResources."""

__version__ = "0.1.0"

from .args import (
    ConfigFile,
    FlinkClusterArgs,
    HighAvailabilityType,
    ImagePullPolicy,
    JobManagerWorkload,
    Mode,
    RestExposure,
)
from .cluster import FlinkCluster, FlinkJobCluster
from .configuration import FlinkConfiguration
from .errors import FlinkSpecError, Problem
from .package_args import spec_args
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
    "ConfigFile",
    "FlinkCluster",
    "FlinkClusterArgs",
    "FlinkClusterSpec",
    "FlinkConfiguration",
    "FlinkJobCluster",
    "FlinkRbac",
    "FlinkServices",
    "FlinkSpecError",
    "HighAvailabilityType",
    "ImagePullPolicy",
    "JobManager",
    "JobManagerSpec",
    "JobManagerWorkload",
    "JobSpec",
    "JobSubmitter",
    "Mode",
    "PerJobSpec",
    "PodOptions",
    "Ports",
    "Problem",
    "RestExposure",
    "RestSpec",
    "TaskManager",
    "TaskManagerPodTemplate",
    "TaskManagerSpec",
    "__version__",
    "spec_args",
]

"""pulumi-flink: Apache Flink on Kubernetes as Pulumi ComponentResources."""

__version__ = "0.1.0"

from .args import (
    ConfigFile,
    EtcdArgs,
    FlinkClusterArgs,
    HighAvailabilityArgs,
    HighAvailabilityType,
    ImagePullPolicy,
    JobArgs,
    JobManagerArgs,
    JobManagerWorkload,
    Mode,
    PerJobArgs,
    PodOptionsArgs,
    PortsArgs,
    RestArgs,
    RestExposure,
    TaskManagerArgs,
    ZetcdArgs,
    ZooKeeperArgs,
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
    "EtcdArgs",
    "FlinkCluster",
    "FlinkClusterArgs",
    "FlinkClusterSpec",
    "FlinkConfiguration",
    "FlinkJobCluster",
    "FlinkRbac",
    "FlinkServices",
    "FlinkSpecError",
    "HighAvailabilityArgs",
    "HighAvailabilityType",
    "ImagePullPolicy",
    "JobArgs",
    "JobManager",
    "JobManagerArgs",
    "JobManagerSpec",
    "JobManagerWorkload",
    "JobSpec",
    "JobSubmitter",
    "Mode",
    "PerJobArgs",
    "PerJobSpec",
    "PodOptions",
    "PodOptionsArgs",
    "Ports",
    "PortsArgs",
    "Problem",
    "RestArgs",
    "RestExposure",
    "RestSpec",
    "TaskManager",
    "TaskManagerArgs",
    "TaskManagerPodTemplate",
    "TaskManagerSpec",
    "ZetcdArgs",
    "ZooKeeperArgs",
    "__version__",
    "spec_args",
]

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
    SpreadTopology,
)
from .cluster import FlinkCluster, FlinkJobCluster
from .configuration import FlinkConfiguration
from .disruption import FlinkDisruptionBudgets
from .errors import FlinkSpecError, Problem
from .metrics import FlinkMetrics
from .network import FlinkNetworkPolicies
from .package_args import spec_args
from .rbac import FlinkRbac
from .services import FlinkServices
from .spec import (
    FlinkClusterSpec,
    JobManagerSpec,
    JobSpec,
    LoggingSpec,
    MetricsSpec,
    NetworkPolicySpec,
    PerJobSpec,
    PodOptions,
    Ports,
    ProbesSpec,
    RestSpec,
    SpreadSpec,
    TaskManagerSpec,
)
from .workloads import JobManager, JobSubmitter, TaskManager, TaskManagerPodTemplate

__all__ = [
    "ConfigFile",
    "FlinkCluster",
    "FlinkClusterArgs",
    "FlinkClusterSpec",
    "FlinkConfiguration",
    "FlinkDisruptionBudgets",
    "FlinkJobCluster",
    "FlinkMetrics",
    "FlinkNetworkPolicies",
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
    "LoggingSpec",
    "MetricsSpec",
    "Mode",
    "NetworkPolicySpec",
    "PerJobSpec",
    "PodOptions",
    "Ports",
    "ProbesSpec",
    "Problem",
    "RestExposure",
    "RestSpec",
    "SpreadSpec",
    "SpreadTopology",
    "TaskManager",
    "TaskManagerPodTemplate",
    "TaskManagerSpec",
    "__version__",
    "spec_args",
]

"""pulumi-flink: Apache Flink on Kubernetes as Pulumi ComponentResources."""

__version__ = "0.1.0"

from pulumi_flink.package.args import (
    ConfigFile,
    FlinkClusterArgs,
    HighAvailabilityType,
    ImagePullPolicy,
    JobManagerWorkload,
    Mode,
    RestExposure,
    SpreadTopology,
)
from pulumi_flink.package.package_args import spec_args
from pulumi_flink.resources.cluster import FlinkCluster, FlinkJobCluster
from pulumi_flink.resources.configuration import FlinkConfiguration
from pulumi_flink.resources.disruption import FlinkDisruptionBudgets
from pulumi_flink.resources.metrics import FlinkMetrics
from pulumi_flink.resources.network import FlinkNetworkPolicies
from pulumi_flink.resources.rbac import FlinkRbac
from pulumi_flink.resources.services import FlinkServices
from pulumi_flink.resources.workloads import JobManager, JobSubmitter, TaskManager, TaskManagerPodTemplate
from pulumi_flink.spec import (
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
from pulumi_flink.spec.errors import FlinkSpecError, Problem

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

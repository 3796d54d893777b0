"""The typed spec of one Flink cluster, and the parsing of it.

Keys are camelCase as a user writes them in stack config (``taskManager``);
Python callers may use the snake_case names (``task_manager``) as well. Every
optional field has a default, documented on the field as the behaviour it
gives. Unknown keys and wrong types are refused with the key's path.

Structure and single-field rules live here; rules that span fields (Flink's
memory model, keys the library manages) live in ``validation``.

One module per concern: ``base`` (``SpecModel``, limits and checks the parts share),
``resources``, ``pods``, ``network``, ``jobs``, ``high_availability``,
``observability`` (probes, metrics, logging) and ``cluster`` (``FlinkClusterSpec``).
This package re-exports their public names.
"""

from __future__ import annotations

from pulumi_flink.spec.base import (
    DAY_SECONDS,
    INT32_MAX,
    INT64_MAX,
    MAX_CLUSTER_NAME,
    MAX_PARALLELISM,
    MAX_PORT,
    ConfigValue,
    SpecModel,
    format_loc,
    spec_error_from_pydantic,
)
from pulumi_flink.spec.cluster import FlinkClusterSpec, Mode
from pulumi_flink.spec.high_availability import (
    OBJECT_STORE_SCHEMES,
    STORE_MIN_MEMORY_MIB,
    EtcdSpec,
    HighAvailabilitySpec,
    StoreSpec,
    ZetcdSpec,
    ZooKeeperSpec,
)
from pulumi_flink.spec.jobs import (
    DEFAULT_JAR_FETCH_IMAGE,
    JobSpec,
    PerJobSpec,
    jar_is_fetched,
    jar_path_in_pod,
)
from pulumi_flink.spec.network import KUBE_DNS_PEER, NetworkPolicySpec, Ports, RestSpec
from pulumi_flink.spec.observability import LoggingSpec, MetricsSpec, ProbesSpec
from pulumi_flink.spec.pods import PodOptions, SpreadSpec
from pulumi_flink.spec.resources import JobManagerSpec, Resources, TaskManagerSpec

__all__ = [
    "DAY_SECONDS",
    "DEFAULT_JAR_FETCH_IMAGE",
    "INT32_MAX",
    "INT64_MAX",
    "KUBE_DNS_PEER",
    "MAX_CLUSTER_NAME",
    "MAX_PARALLELISM",
    "MAX_PORT",
    "OBJECT_STORE_SCHEMES",
    "STORE_MIN_MEMORY_MIB",
    "ConfigValue",
    "EtcdSpec",
    "FlinkClusterSpec",
    "HighAvailabilitySpec",
    "JobManagerSpec",
    "JobSpec",
    "LoggingSpec",
    "MetricsSpec",
    "Mode",
    "NetworkPolicySpec",
    "PerJobSpec",
    "PodOptions",
    "Ports",
    "ProbesSpec",
    "Resources",
    "RestSpec",
    "SpecModel",
    "SpreadSpec",
    "StoreSpec",
    "TaskManagerSpec",
    "ZetcdSpec",
    "ZooKeeperSpec",
    "format_loc",
    "jar_is_fetched",
    "jar_path_in_pod",
    "spec_error_from_pydantic",
]

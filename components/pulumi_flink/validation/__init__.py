"""Rules that span fields of a spec: pure functions, run before anything is registered.

One module a concern (names, jobs, ha, config, memory, ports, pods, secrets, health,
network, metrics, logs, sizes, warnings); this one composes them. ``check_cluster`` returns
the problems (errors); ``cluster_warnings`` returns what is legal but probably not meant
(shown by the renderer and logged by the component).
"""

from __future__ import annotations

from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem
from pulumi_flink.validation.config import (
    check_config_file,
    check_config_text,
    check_local_dirs,
    check_managed_keys,
    writable_paths,
)
from pulumi_flink.validation.ha import (
    FILESYSTEM_PLUGINS,
    check_high_availability,
    filesystem_plugin,
    runs_store,
)
from pulumi_flink.validation.health import check_probes, check_spread, disruption_budgets, rest_ssl_enabled
from pulumi_flink.validation.jobs import check_mode
from pulumi_flink.validation.logs import check_logging
from pulumi_flink.validation.memory import check_memory
from pulumi_flink.validation.metrics import check_metrics, prometheus_reporter_names
from pulumi_flink.validation.names import check_labels, cluster_names
from pulumi_flink.validation.network import check_network_policy
from pulumi_flink.validation.pods import IGNORED_IMAGE_ENV, check_library_clashes, check_pod
from pulumi_flink.validation.ports import check_ports, check_rest
from pulumi_flink.validation.secrets import check_ha_credentials, check_no_plain_secrets
from pulumi_flink.validation.sizes import LIBRARY_ANNOTATIONS_BYTES, check_sizes
from pulumi_flink.validation.warnings import cluster_warnings

__all__ = [
    "FILESYSTEM_PLUGINS",
    "IGNORED_IMAGE_ENV",
    "LIBRARY_ANNOTATIONS_BYTES",
    "check_cluster",
    "check_ha_credentials",
    "cluster_names",
    "cluster_warnings",
    "disruption_budgets",
    "filesystem_plugin",
    "prometheus_reporter_names",
    "rest_ssl_enabled",
    "runs_store",
    "writable_paths",
]


def check_cluster(spec: FlinkClusterSpec) -> list[Problem]:
    problems: list[Problem] = []
    problems += check_mode(spec)
    problems += check_high_availability(spec)
    problems += check_config_file(spec)
    problems += check_config_text(spec)
    problems += check_managed_keys(spec)
    problems += check_memory(spec)
    problems += check_ports(spec)
    problems += check_rest(spec)
    problems += check_labels(spec)
    problems += check_pod(spec)
    problems += check_local_dirs(spec)
    problems += check_no_plain_secrets(spec)
    problems += check_probes(spec)
    problems += check_spread(spec)
    problems += check_network_policy(spec)
    problems += check_metrics(spec)
    problems += check_logging(spec)
    if not problems:
        # These build the spec's pods, which only a spec valid in every other way has.
        problems += check_library_clashes(spec)
        problems += check_sizes(spec)
    return problems

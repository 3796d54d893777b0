"""Rules that span fields of a spec: pure functions, run before anything is registered.

One module a concern (names, jobs, ha, config, memory, ports, pods, secrets, health,
network, metrics, logs, sizes, warnings); this one composes them. ``check_cluster`` returns
the problems (errors); ``cluster_warnings`` returns what is legal but probably not meant
(shown by the renderer and logged by the component). ``check_once`` is ``check_cluster`` as
the public boundaries run it (the stack program, each component): once per spec.
"""

from __future__ import annotations

import hashlib

from pulumi_flink.model.memo import BoundedMemo
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem
from pulumi_flink.validation.config import (
    check_config_file,
    check_config_text,
    check_local_dirs,
    check_managed_keys,
    writable_paths,
)
from pulumi_flink.validation.ha import check_high_availability, runs_store
from pulumi_flink.validation.health import check_probes, check_spread, disruption_budgets
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
    "IGNORED_IMAGE_ENV",
    "LIBRARY_ANNOTATIONS_BYTES",
    "check_cluster",
    "check_ha_credentials",
    "check_once",
    "cluster_names",
    "cluster_warnings",
    "disruption_budgets",
    "prometheus_reporter_names",
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


# Digests of the specs found valid, oldest first; bounded, as a long-lived process (a test
# run, the offline renderer) meets many.
_PROVEN: BoundedMemo[bytes, bool] = BoundedMemo(1024)


def _spec_key(spec: FlinkClusterSpec) -> bytes:
    """What every rule reads: the values and which fields the user set (``model_fields_set``),
    both in the dump that leaves out unset fields. Equal specs, however made, share a key."""
    return hashlib.sha256(spec.model_dump_json(exclude_unset=True).encode()).digest()


def check_once(spec: FlinkClusterSpec) -> list[Problem]:
    """``check_cluster(spec)``, unless an equal spec passed it before: then no problems.

    A spec passes through several public boundaries (the stack program, then its
    ``FlinkCluster``; a ``FlinkCluster``, then each of its components, and the plan of its
    claims), and each must refuse bad input before it registers anything; the rules run
    only at the first. The key is the spec's content, not the object: a spec is frozen, and
    one derived again (a per-job cluster's job cluster, the copy a plan makes) is the same."""
    key = _spec_key(spec)
    if key in _PROVEN:
        return []
    problems = check_cluster(spec)
    if not problems:
        _PROVEN.remember(key, True)
    return problems

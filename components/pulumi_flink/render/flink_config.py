"""Flink configuration rendered from the spec, for the chosen Flink version.

Pure functions: spec in, configuration (a flat key/value mapping and the text
of the config files) out. Kubernetes objects are built from this, never the
other way round.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

import yaml

from pulumi_flink.model.flink_options import flink_options
from pulumi_flink.model.layout import LOG_DIR, POD_TEMPLATE_DIR, TMP_DIR
from pulumi_flink.model.memo import BoundedMemo
from pulumi_flink.model.text import ONE_LINE_FIX, spans_lines, whole_string
from pulumi_flink.model.versions import FlinkVersion
from pulumi_flink.spec import ConfigValue, FlinkClusterSpec, JobSpec

# Flink options naming local directories a process writes to, with their defaults. A value
# given in flinkConfiguration, under any name the version reads the option by
# (local_dir_names), must lie on a writable volume when the root filesystem is read-only
# (validation.config.check_local_dirs).
LOCAL_DIR_KEYS: dict[str, str] = {
    "io.tmp.dirs": f"java.io.tmpdir ({TMP_DIR})",
    "web.tmpdir": f"java.io.tmpdir ({TMP_DIR})",
    "web.upload.dir": "<web.tmpdir>/flink-web-upload",
    "blob.storage.directory": "io.tmp.dirs",
    "process.working-dir": "io.tmp.dirs",
    "process.jobmanager.working-dir": "process.working-dir",
    "process.taskmanager.working-dir": "process.working-dir",
    "taskmanager.state.local.root-dirs": "<TaskManager working dir>/localState",
    "state.backend.rocksdb.localdir": "<TaskManager working dir>/tmp",
    "state.backend.rocksdb.log.dir": "RocksDB's instance directory",
    "state.backend.forst.local-dir": "<TaskManager working dir>/tmp",
    "env.log.dir": LOG_DIR,
    "env.pid.dir": TMP_DIR,
}
LOG4J_CONSOLE_FILE = "log4j-console.properties"
# What bin/flink (the CLI: per-job mode's client, or `kubectl exec ... flink list`) reads.
LOG4J_CLI_FILE = "log4j-cli.properties"
TASKMANAGER_POD_TEMPLATE_FILE = "taskmanager-pod-template.yaml"

# A value in the rendered configuration: the user's kinds, or a list (Flink's LIST options).
RenderedValue = ConfigValue | tuple[str, ...]

TextRole = Literal["key", "value", "list item", "list of one", "JVM option"]
"""How a piece of spec text sits in the config file: a key; a value (or the start of one:
storageDir is the prefix of three); one item of a list value (rendered in Flink's list
syntax or as a YAML list); the one item of a LIST option rendered as a plain string, which
Flink still splits at ';' (pipeline.jars); one of the space-separated JVM options."""


@dataclass(frozen=True)
class SpecText:
    """Text of the spec that the library writes into the config file, and its spec field."""

    path: str
    """The field as the user wrote it: ``highAvailability.storageDir``, ``jvmOptions[2]``."""
    text: ConfigValue
    role: TextRole


@dataclass(frozen=True)
class FromSpec:
    """A rendered value with the spec text it embeds (what ``config_text_refusal`` checks)."""

    value: RenderedValue
    texts: tuple[SpecText, ...]


def _from(path: str, text: str, role: TextRole = "value") -> FromSpec:
    """The spec field's text as a rendered value of its own."""
    return FromSpec(text, (SpecText(path, text, role),))


def _items(path: str, items: list[str], role: TextRole) -> tuple[SpecText, ...]:
    return tuple(SpecText(f"{path}[{index}]", item, role) for index, item in enumerate(items))


BuiltValue = RenderedValue | FromSpec

# The official image's own configuration carried these on Java 17; a mounted
# ConfigMap replaces it, and without them the cluster starts but every job
# submission fails on reflective access. Flink 1.18 to 2.0 also export
# sun.net.util; 2.1 dropped it.
_JAVA17_MODULE_OPTIONS = (
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
)


def java_module_options(version: FlinkVersion) -> tuple[str, ...]:
    if version.java_release < 17:
        return ()
    if (1, 18) <= version.minor_key <= (2, 0):
        return ("--add-exports=java.base/sun.net.util=ALL-UNNAMED", *_JAVA17_MODULE_OPTIONS)
    return _JAVA17_MODULE_OPTIONS


# The fixed id of the job a client submits (Flink's executors give the job graph this id: an
# application cluster's entrypoint and ``flink run`` alike).
JOB_ID_KEY = "$internal.pipeline.job-id"

# Keys the library sets itself, each with the spec field to use instead. The user may not set
# them under any name the cluster's Flink version reads them by either (managed_names).
MANAGED_KEYS: dict[str, str] = {
    "jobmanager.rpc.address": "(derived from name: the JobManager Service)",
    "jobmanager.rpc.port": "ports.rpc",
    "jobmanager.bind-host": "(always 0.0.0.0 in a pod)",
    "taskmanager.bind-host": "(always 0.0.0.0 in a pod)",
    "rest.port": "ports.rest",
    "rest.address": "(derived from name: the REST Service)",
    "rest.bind-address": "(always 0.0.0.0 in a pod)",
    "rest.bind-port": "ports.rest",
    "blob.server.port": "ports.blob",
    "taskmanager.rpc.port": "ports.taskManagerRpc",
    "taskmanager.data.port": "ports.taskManagerData",
    "taskmanager.numberOfTaskSlots": "taskManager.slots",
    "parallelism.default": "parallelism",
    "jobmanager.memory.process.size": "jobManager.memory",
    "jobmanager.memory.flink.size": "jobManager.memory",
    "jobmanager.memory.heap.size": "jobManager.memory",
    "jobmanager.heap.size": "jobManager.memory",
    "jobmanager.heap.mb": "jobManager.memory",
    "taskmanager.memory.process.size": "taskManager.memory",
    "taskmanager.memory.flink.size": "taskManager.memory",
    "taskmanager.memory.task.heap.size": "taskManager.memory",
    "taskmanager.heap.size": "taskManager.memory",
    "taskmanager.heap.mb": "taskManager.memory",
    "env.java.opts": "jvmOptions",
    "env.java.opts.all": "jvmOptions",
    # Deployment modes: the job and where it runs.
    "execution.target": "mode and native",
    "pipeline.jars": "job.jar",
    "$internal.application.main": "job.entryClass",
    "$internal.application.program-args": "job.args",
    "execution.savepoint.path": "job.savepoint",
    "execution.savepoint.ignore-unclaimed-state": "job.allowNonRestoredState",
    JOB_ID_KEY: "job.jobId",
    # Native Kubernetes: what Flink's own client would set.
    "kubernetes.cluster-id": "(derived from name)",
    "kubernetes.namespace": "namespace",
    "kubernetes.container.image": "image",
    "kubernetes.container.image.ref": "image",
    "kubernetes.container.image.pull-policy": "imagePullPolicy",
    "kubernetes.container.image.pull-secrets": "pod.imagePullSecrets",
    "kubernetes.service-account": "pod.serviceAccountName",
    "kubernetes.jobmanager.service-account": "pod.serviceAccountName",
    "kubernetes.taskmanager.service-account": "pod.serviceAccountName",
    "kubernetes.jobmanager.cpu": "jobManager.cpu",
    "kubernetes.jobmanager.cpu.amount": "jobManager.cpu",
    "kubernetes.taskmanager.cpu": "taskManager.cpu",
    "kubernetes.taskmanager.cpu.amount": "taskManager.cpu",
    "kubernetes.jobmanager.replicas": "jobManager.replicas",
    "kubernetes.rest-service.exposed.type": "rest.exposure",
    "kubernetes.pod-template-file": "pod (the library writes the pod templates)",
    "kubernetes.pod-template-file.default": "pod (the library writes the pod templates)",
    "kubernetes.pod-template-file.jobmanager": "pod (the library writes the pod templates)",
    "kubernetes.pod-template-file.taskmanager": "pod (the library writes the pod templates)",
    # High availability.
    "high-availability": "highAvailability.type",
    "high-availability.type": "highAvailability.type",
    "high-availability.cluster-id": "highAvailability.clusterId",
    "high-availability.storageDir": "highAvailability.storageDir",
    "high-availability.zookeeper.quorum": "highAvailability.zookeeper",
    "high-availability.zookeeper.path.root": "highAvailability.pathRoot",
    "high-availability.jobmanager.port": "ports.rpc",
}

# fastFailover: a killed leader's ZooKeeper session must expire before a standby can take
# over, so the session timeout bounds the failover (Flink's default: 60 s). Heartbeats notice
# a lost TaskManager or JobManager in 10 s instead of 50 s. Tolerating a suspended connection
# keeps leadership while the client moves to another ZooKeeper server. Plain numbers are
# milliseconds for every Flink version (1.x reads some as longs, 2.x as durations).
FAST_FAILOVER: dict[str, ConfigValue] = {
    "high-availability.zookeeper.client.session-timeout": 8000,
    "high-availability.zookeeper.client.connection-timeout": 5000,
    "high-availability.zookeeper.client.retry-wait": 1000,
    "heartbeat.interval": 2000,
    "heartbeat.timeout": 10000,
}
# With ZooKeeper, always: keep leadership while the client moves to another server (without
# it, a rolling restart of the ensemble restarts every job, measured), and no SASL (Flink
# would log an authentication error on every connection to an ensemble without it).
ZOOKEEPER_ALWAYS: dict[str, ConfigValue] = {
    "high-availability.zookeeper.client.tolerate-suspended-connections": True,
    "zookeeper.sasl.disable": True,
}
# With HA on and the user silent: checkpoint (a recovered job restarts from its latest
# checkpoint, not from scratch) and retry with backoff.
HA_DEFAULT_CHECKPOINT_INTERVAL = "30 s"
HA_DEFAULT_RESTART_STRATEGY = "exponential-delay"
# Keys the library sets that are not managed: a value the user gives the same option, under
# any name Flink reads it by on the cluster's version, replaces the library's (flink_values).
# The version-dependent ones (checkpoint directories, restart strategy) come from versions.py.
LIBRARY_DEFAULT_KEYS: frozenset[str] = frozenset(
    {
        "jobmanager.execution.failover-strategy",
        "execution.checkpointing.interval",
        *FAST_FAILOVER,
        *ZOOKEEPER_ALWAYS,
    }
)


@dataclass(frozen=True)
class ManagedName:
    """A name the user may not set in flinkConfiguration on some Flink version."""

    instead: str
    """The spec field to set instead (or, in parentheses, how the library sets it)."""
    alias: str | None = None
    """Unless the name is itself in MANAGED_KEYS: how it relates to a managed option, e.g.
    'another name of high-availability.type'."""


@cache
def _managed_names(minor: tuple[int, int]) -> dict[str, ManagedName]:
    options = flink_options(minor)
    names = {key: ManagedName(instead) for key, instead in MANAGED_KEYS.items()}
    for key, instead in MANAGED_KEYS.items():
        option = options.option(key)
        current = option.key if option is not None and option.key != key else key
        for name in sorted(options.names(key) - names.keys()):
            names[name] = ManagedName(instead, f"another name of {current if name != current else key}")
        for name in sorted(options.overriding(key) - names.keys()):
            names[name] = ManagedName(instead, f"read by Flink in place of {key}")
    return names


def managed_names(version: FlinkVersion) -> Mapping[str, ManagedName]:
    """Every name Flink ``version`` reads a managed key's option by: the key, its deprecated
    names, and the options that would override it (Flink's own ConfigOption classes say which)."""
    return _managed_names(version.minor_key)


@cache
def _local_dir_names(minor: tuple[int, int]) -> frozenset[str]:
    options = flink_options(minor)
    return frozenset().union(*(options.overriding(key) for key in LOCAL_DIR_KEYS))


def local_dir_names(version: FlinkVersion) -> frozenset[str]:
    """LOCAL_DIR_KEYS under every name Flink ``version`` reads them by (``taskmanager.tmp.dirs``
    is ``io.tmp.dirs``)."""
    return _local_dir_names(version.minor_key)


def ha_values(spec: FlinkClusterSpec, ha_cluster_id: str) -> dict[str, BuiltValue]:
    """Flink's HA configuration for the spec's store and version, and the storage under it."""
    ha = spec.high_availability
    version = spec.version
    base = (ha.storage_dir or "").rstrip("/")
    # Unset, it is refused (validation.ha.check_high_availability); set, it is in three values.
    storage = (SpecText("highAvailability.storageDir", ha.storage_dir, "value"),) if ha.storage_dir else ()
    checkpoints_key, savepoints_key = version.checkpoint_dir_keys
    values: dict[str, BuiltValue] = {
        version.ha_type_key: ha.flink_type,
        "high-availability.cluster-id": ha_cluster_id,
        "high-availability.storageDir": FromSpec(f"{base}/ha", storage),
        checkpoints_key: FromSpec(f"{base}/checkpoints", storage),
        savepoints_key: FromSpec(f"{base}/savepoints", storage),
    }
    if ha.flink_type == "zookeeper":
        quorum = spec.zookeeper_quorum
        values["high-availability.zookeeper.quorum"] = (
            _from("highAvailability.zookeeper.existingQuorum", quorum)
            if quorum == ha.zookeeper.existing_quorum
            else quorum
        )
        values["high-availability.zookeeper.path.root"] = _from("highAvailability.pathRoot", ha.path_root)
        # Under ZooKeeper HA the JobManager's RPC port comes from this key (default: random),
        # not jobmanager.rpc.port: fixed, so the Service and policies can name it.
        values["high-availability.jobmanager.port"] = spec.ports.rpc
        values.update(ZOOKEEPER_ALWAYS)
        if ha.fast_failover:
            values.update(FAST_FAILOVER)
    elif not spec.native:
        # Standalone Kubernetes HA names its ConfigMaps after kubernetes.cluster-id: one per
        # incarnation, so leftovers of a destroyed cluster are never read again. (Native
        # mode's kubernetes.cluster-id is the object names; see the README.)
        values["kubernetes.cluster-id"] = ha_cluster_id
        values["kubernetes.namespace"] = spec.namespace
    if ha.type == "kubernetes" and ha.fast_failover:
        values["heartbeat.interval"] = FAST_FAILOVER["heartbeat.interval"]
        values["heartbeat.timeout"] = FAST_FAILOVER["heartbeat.timeout"]
    # Defaults only: a value of the user's for any of these replaces the library's (flink_values).
    values["execution.checkpointing.interval"] = HA_DEFAULT_CHECKPOINT_INTERVAL
    values[version.restart_strategy_key] = HA_DEFAULT_RESTART_STRATEGY
    return values


# metrics.enabled: Flink's Prometheus reporter, named "prom" as in Flink's docs. The same keys
# on every release the library supports (factory-based reporters since 1.11; the reporter's
# plugin is in the official images' plugins/metrics-prometheus).
PROMETHEUS_REPORTER = "prom"
PROMETHEUS_REPORTER_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
PROMETHEUS_REPORTER_CLASS = "org.apache.flink.metrics.prometheus.PrometheusReporter"
"""The pre-factory way to name the same reporter (``metrics.reporter.<name>.class``)."""
PROMETHEUS_KEY_PREFIX = f"metrics.reporter.{PROMETHEUS_REPORTER}."
PROMETHEUS_MANAGED_KEYS = {
    f"{PROMETHEUS_KEY_PREFIX}factory.class": "metrics.enabled",
    f"{PROMETHEUS_KEY_PREFIX}class": "metrics.enabled",
    f"{PROMETHEUS_KEY_PREFIX}port": "metrics.port",
}
LOG4J_FILE_APPENDER = "FileAppender"


def metrics_values(spec: FlinkClusterSpec) -> dict[str, RenderedValue]:
    """The Prometheus reporter, with ``metrics.enabled``. The port is a string: Flink 1.x's
    reporter reads it with ``MetricConfig.getString``, which ignores a YAML number in
    ``config.yaml`` and would fall back to 9249."""
    if not spec.metrics.enabled:
        return {}
    return {
        f"{PROMETHEUS_KEY_PREFIX}factory.class": PROMETHEUS_REPORTER_FACTORY,
        f"{PROMETHEUS_KEY_PREFIX}port": str(spec.metrics.port),
    }


def fixed_job_id(spec: FlinkClusterSpec, job: JobSpec) -> str | None:
    """The job id to run ``job`` with, if fixed: the given one, or, with HA, one derived from
    the namespace and name, so a restarted JobManager recovers the job instead of starting
    a fresh one (Flink's standalone entrypoint would pick a random id)."""
    if job.job_id is not None:
        return job.job_id
    if spec.high_availability.enabled:
        return hashlib.sha256(f"{spec.namespace}/{spec.name}".encode()).hexdigest()[:32]
    return None


def submission_options(job: JobSpec) -> tuple[str, ...]:
    """The configuration ``flink run`` submits ``job`` with beyond the cluster's own (``-D``):
    a per-job job's ``jobId``, which its session cluster's configuration cannot carry (every
    submission to it would take the id). Only a given id: a session cluster with HA recovers
    its jobs under whatever id they were submitted with."""
    return (f"-D{JOB_ID_KEY}={job.job_id}",) if job.job_id else ()


@dataclass(frozen=True)
class RenderedConfig:
    """The configuration of one cluster: flat keys and the files in the ConfigMap."""

    file_name: str
    values: Mapping[str, RenderedValue]
    files: Mapping[str, str]

    @property
    def checksum(self) -> str:
        """Changes whenever any file changes; put on pod templates to roll the pods."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        return digest.hexdigest()


def native_values(spec: FlinkClusterSpec) -> dict[str, BuiltValue]:
    """What Flink's native client would write into the ``flink-config-<cluster-id>`` ConfigMap
    (checked against Flink's own ``KubernetesClusterDescriptor`` in tests/flink)."""
    version = spec.version
    image = spec.resolved_image
    values: dict[str, BuiltValue] = {
        "execution.target": f"kubernetes-{spec.mode}",
        "kubernetes.cluster-id": spec.name,
        "kubernetes.namespace": spec.namespace,
        version.native_image_key: _from("image", image) if spec.image else image,
        "kubernetes.container.image.pull-policy": spec.image_pull_policy,
        "kubernetes.service-account": spec.service_account_name,
        version.native_cpu_key("jobmanager"): _cores(spec.job_manager.cpu_millicores),
        version.native_cpu_key("taskmanager"): _cores(spec.task_manager.cpu_millicores),
        "kubernetes.rest-service.exposed.type": spec.rest.exposure,
        "kubernetes.pod-template-file.taskmanager": f"{POD_TEMPLATE_DIR}/{TASKMANAGER_POD_TEMPLATE_FILE}",
        # TaskManagers dial the headless internal Service, which resolves to the JobManager pod.
        "jobmanager.rpc.address": f"{spec.names.jobmanager_service}.{spec.namespace}",
    }
    job = spec.job
    if job is not None:
        jar = f"local://{job.jar_in_pod}"
        values["pipeline.jars"] = _from("job.jar", jar, "list of one")
        if job.entry_class:
            values["$internal.application.main"] = _from("job.entryClass", job.entry_class)
        if job.args:
            values["$internal.application.program-args"] = FromSpec(
                tuple(job.args), _items("job.args", job.args, "list item")
            )
        job_id = fixed_job_id(spec, job)
        if job_id:
            values[JOB_ID_KEY] = job_id
        if job.savepoint:
            path_key, ignore_key = version.state_recovery_keys
            values[path_key] = _from("job.savepoint", job.savepoint)
            values[ignore_key] = job.allow_non_restored_state
    return values


def _cores(millicores: int) -> int | float:
    return millicores // 1000 if millicores % 1000 == 0 else millicores / 1000


@dataclass(frozen=True)
class ConfigEntries:
    """The flat configuration of a cluster, and every piece of spec text written into it."""

    values: Mapping[str, RenderedValue]
    texts: tuple[SpecText, ...]


# Renders of the same spec, kept: the checks, each component and the plan of a cluster's claims
# all read one spec's configuration. A spec is frozen but not hashable (it holds dicts), so
# the key is its content (JSON) and the HA cluster id the render carries; what is kept is
# shared, and read only.
_RENDERS_KEPT = 256
RenderKey = tuple[str, str | None]


def _ha_id(spec: FlinkClusterSpec, ha_cluster_id: str | None) -> str | None:
    """The HA cluster id the configuration carries; None without HA, where none is."""
    if not spec.high_availability.enabled:
        return None
    return ha_cluster_id or spec.high_availability.cluster_id or spec.name


def render_key(spec: FlinkClusterSpec, ha_cluster_id: str | None) -> RenderKey:
    """What a render depends on: the spec's values (not which were set) and the HA id."""
    return spec.model_dump_json(), _ha_id(spec, ha_cluster_id)


_ENTRIES: BoundedMemo[RenderKey, ConfigEntries] = BoundedMemo(_RENDERS_KEPT)
_RENDERED: BoundedMemo[RenderKey, RenderedConfig] = BoundedMemo(_RENDERS_KEPT)


def config_entries(spec: FlinkClusterSpec, ha_cluster_id: str | None = None) -> ConfigEntries:
    """The flat Flink configuration of the cluster, for its mode and high availability, with
    the provenance of the spec text in it (``flink_values`` without it). Built once per spec
    and HA id.

    ``ha_cluster_id``: the HA cluster id of this incarnation (see ``FlinkHighAvailability``);
    without one, ``highAvailability.clusterId`` or, in offline previews of the pure
    functions, ``<name>``.
    """
    ha_id = _ha_id(spec, ha_cluster_id)
    return _ENTRIES.get(render_key(spec, ha_cluster_id), lambda: build_entries(spec, ha_id))


def build_entries(spec: FlinkClusterSpec, ha_cluster_id: str | None) -> ConfigEntries:
    """``config_entries``, built: ``ha_cluster_id`` is the one the configuration carries."""
    names = spec.names
    version = spec.version
    # Flink's start scripts split env.java.opts.all at spaces: one option a word.
    jvm_options = FromSpec(
        " ".join((*java_module_options(version), *spec.jvm_options)),
        _items("jvmOptions", spec.jvm_options, "JVM option"),
    )
    values: dict[str, BuiltValue] = {
        "jobmanager.rpc.address": names.jobmanager_service,
        "jobmanager.rpc.port": spec.ports.rpc,
        "jobmanager.bind-host": "0.0.0.0",
        "taskmanager.bind-host": "0.0.0.0",
        "rest.address": names.rest_service,
        "rest.port": spec.ports.rest,
        "rest.bind-address": "0.0.0.0",
        "blob.server.port": spec.ports.blob,
        "taskmanager.rpc.port": spec.ports.task_manager_rpc,
        "taskmanager.data.port": spec.ports.task_manager_data,
        "taskmanager.numberOfTaskSlots": spec.task_manager.slots,
        "parallelism.default": spec.job_parallelism,
        "jobmanager.memory.process.size": f"{spec.job_manager.memory_mib}m",
        "taskmanager.memory.process.size": f"{spec.task_manager.memory_mib}m",
        "jobmanager.execution.failover-strategy": "region",
    }
    if jvm_options.value:
        values[version.jvm_options_key] = jvm_options
    if spec.native:
        values.update(native_values(spec))
    if ha_cluster_id is not None:
        values.update(ha_values(spec, ha_cluster_id))
    values.update(metrics_values(spec))
    managed = managed_names(version)
    for key in spec.flink_configuration:
        # A managed key is refused by validation; the library's value stays.
        if key not in managed and key not in PROMETHEUS_MANAGED_KEYS:
            for name in version.options.names(key):
                values.pop(name, None)  # the user's own value wins, under whichever name it is
    for key, value in spec.flink_configuration.items():
        if key not in values:
            path = f"flinkConfiguration.{key}"
            values[key] = FromSpec(value, (SpecText(path, key, "key"), SpecText(path, value, "value")))
    built = dict(sorted(values.items()))
    return ConfigEntries(
        values={key: v.value if isinstance(v, FromSpec) else v for key, v in built.items()},
        texts=tuple(text for v in built.values() if isinstance(v, FromSpec) for text in v.texts),
    )


def flink_values(spec: FlinkClusterSpec, ha_cluster_id: str | None = None) -> dict[str, RenderedValue]:
    """The flat Flink configuration of the cluster (see ``config_entries``): a copy of its own."""
    return dict(config_entries(spec, ha_cluster_id).values)


# Flink 1.x's flink-conf.yaml parser (GlobalConfiguration.loadLegacyYAMLResource) reads the
# file line by line (a line ends at \n or \r) in the JVM's default charset (the locale's: an
# image's choice), cuts each line at its first '#' (quotes or not), trims it (String.trim:
# every character up to U+0020), splits it at the first ': ', trims key and value again and
# skips the line if either is empty.
_LEGACY_TRIMMED = "".join(map(chr, range(0x21)))


def _list_item_needs_quotes(item: str) -> bool:
    """Flink's list syntax (StructuredOptionsSplitter, ';' between items) skips whitespace
    before an item, trims an unquoted one, drops an empty one and reads a leading quote as
    quoting: such items are quoted, with their quotes doubled."""
    return not item or item != item.strip(_LEGACY_TRIMMED) or any(c in item for c in ";'\"")


def _flat_value(value: RenderedValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ";".join(
            "'" + item.replace("'", "''") + "'" if _list_item_needs_quotes(item) else item for item in value
        )
    return str(value)


def render_flink_conf_yaml(values: Mapping[str, RenderedValue]) -> str:
    """Legacy ``flink-conf.yaml``: one ``key: value`` a line, read by Flink's own line parser.
    What it cannot carry is refused by ``config_text_refusal`` before this runs."""
    return "".join(f"{key}: {_flat_value(value)}\n" for key, value in values.items())


# The JVM options reach the JVM through the start scripts: config.sh reads env.java.opts.all,
# flink-console.sh runs `eval echo` on it (so the shell expands $, quotes, backslashes, braces,
# ;, |, &, <, >, (, ) and backquotes) and passes the result unquoted (split into words at
# whitespace). Safe are the characters none of that touches. '*' globs only against a file
# whose name starts with the option's leading '-', and the image's working directory
# (/opt/flink) has none; it is allowed for -Xlog:gc*.
_JVM_OPTION = whole_string(r"-[A-Za-z0-9_.,:=+/@%^*#-]*")


@dataclass(frozen=True)
class Refusal:
    """Why Flink would not read a piece of spec text back exactly."""

    message: str
    fix: str
    flink_conf_only: bool = False
    """Only flink-conf.yaml's line parser cannot carry it; config.yaml would."""


def config_text_refusal(text: SpecText, file_name: str) -> Refusal | None:
    """Why Flink would not read ``text`` back exactly from ``file_name``, or None: what
    ``render_flink_conf_yaml`` and ``render_config_yaml`` can carry. config.yaml is standard
    YAML, whose emitter quotes whatever needs it (see ``render_config_yaml``), so there only
    what every format shares is refused."""
    value = text.text
    if not isinstance(value, str):
        return None  # numbers and booleans: what str() and YAML write, Flink reads
    if text.role == "JVM option" and not _JVM_OPTION(value):
        return Refusal(
            f"{value!r} is not one JVM option the start scripts pass on unchanged: they split "
            "env.java.opts.all at whitespace and expand it in the shell.",
            "write one option starting with '-', of letters, digits and - _ . , : = + / @ % ^ * #; "
            "give a value with spaces or shell characters to the job another way (e.g. pod.env)",
        )
    if text.role == "list of one" and (_list_item_needs_quotes(value) or value != value.strip()):
        return Refusal(
            f"{value!r} would not be read as one item: Flink reads this option as a list, split at ';'.",
            "remove ';', quotes and surrounding whitespace from it",
        )
    what = "key" if text.role == "key" else "value"
    if spans_lines(value):  # in every file: the spec's rule (model.text.spans_lines)
        return Refusal(
            f"the {what} spans lines: spec text is written into the config file on one line "
            "(Flink reads flink-conf.yaml line by line, so each further line would be read as a "
            "key of its own).", ONE_LINE_FIX)
    if file_name != "flink-conf.yaml":
        return None
    return _flink_conf_refusal(value, text.role)


def _flink_conf_refusal(value: str, role: TextRole) -> Refusal | None:
    what = "key" if role == "key" else "value"
    if "#" in value:
        return Refusal(
            f"{value!r} holds '#': Flink's flink-conf.yaml parser starts a comment at any '#' and "
            f"would cut the {what} there.", "remove the '#'", flink_conf_only=True)
    if not value.isascii():
        return Refusal(
            f"{value!r} is not ASCII: Flink 1.x reads flink-conf.yaml in the JVM's default charset, "
            "which depends on the image's locale.", "write it in ASCII", flink_conf_only=True)
    if role == "key" and ": " in value:
        return Refusal(f"{value!r} holds ': ', where Flink's flink-conf.yaml parser ends the key.",
                       "remove it", flink_conf_only=True)
    if role in ("key", "value") and value != value.strip(_LEGACY_TRIMMED):
        return Refusal(
            f"{value!r} begins or ends with whitespace or a control character, which Flink's "
            "flink-conf.yaml parser strips.", "remove it", flink_conf_only=True)
    if role in ("key", "value") and not value:
        return Refusal(
            f"the {what} is empty, and Flink's flink-conf.yaml parser skips a key with an empty value.",
            "give a value, or remove the key", flink_conf_only=True)
    return None


# Plain scalars that Flink's YAML 1.2 parser would not read as strings (numbers in 1.2 syntax,
# booleans, null). PyYAML follows YAML 1.1 and would leave some of them unquoted, e.g. '1e5'.
_YAML12_NON_STRING = whole_string(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~|)"
)


class _ConfigDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if _YAML12_NON_STRING(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ConfigDumper.add_representer(str, _represent_str)
_ConfigDumper.add_representer(tuple, lambda dumper, value: dumper.represent_list(list(value)))


def render_config_yaml(values: Mapping[str, RenderedValue]) -> str:
    """``config.yaml``: standard YAML, flat dotted keys (Flink accepts them as well as nesting)."""
    return yaml.dump(
        dict(values), Dumper=_ConfigDumper, sort_keys=True, default_flow_style=False, width=1 << 16
    )


LOG4J_CONSOLE = """\
# Logs go to the container's stdout, for kubectl logs and the cluster's log shipper.
monitorInterval = 30
rootLogger.level = ${env:ROOT_LOG_LEVEL:-INFO}
rootLogger.appenderRef.console.ref = ConsoleAppender
logger.pekko.name = org.apache.pekko
logger.pekko.level = INFO
logger.akka.name = akka
logger.akka.level = INFO
logger.kafka.name = org.apache.kafka
logger.kafka.level = INFO
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = INFO
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = INFO
logger.shaded_zookeeper.name = org.apache.flink.shaded.zookeeper3
logger.shaded_zookeeper.level = INFO
# Netty logs a harmless warning for every closed channel.
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
"""


def log4j_rolling_file(spec: FlinkClusterSpec) -> str:
    """``logging.toFile``: log4j's RollingFile appender on the file Flink's start scripts name
    in the ``log.file`` system property (``flink-console.sh``: ``/opt/flink/log/flink-<user>-
    <service>-<id>-<hostname>.log``; native TaskManagers: ``/opt/flink/log/taskmanager.log``),
    rolled at ``maxFileSize`` and at every start, keeping ``maxFiles`` rolled files."""
    logging = spec.logging
    return f"""\
# logging.toFile: also into the log file the start scripts name (log.file, in /opt/flink/log),
# which the web UI shows; rolled by size and at every start.
rootLogger.appenderRef.file.ref = {LOG4J_FILE_APPENDER}
appender.file.name = {LOG4J_FILE_APPENDER}
appender.file.type = RollingFile
appender.file.append = true
appender.file.fileName = ${{sys:log.file}}
appender.file.filePattern = ${{sys:log.file}}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{{yyyy-MM-dd HH:mm:ss,SSS}} %-5p %-60c %x - %m%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = {logging.max_file_size}
appender.file.policies.startup.type = OnStartupTriggeringPolicy
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = {logging.max_files}
"""


def log4j_console(spec: FlinkClusterSpec) -> str:
    """What the JobManagers and TaskManagers read (``log4j-console.properties``): stdout, and
    with ``logging.toFile`` a rolling log file too."""
    return LOG4J_CONSOLE + (log4j_rolling_file(spec) if spec.logging.to_file else "")


def _config_files(spec: FlinkClusterSpec, file_name: str, text: str) -> dict[str, str]:
    files = {file_name: text, LOG4J_CONSOLE_FILE: log4j_console(spec)}
    if not spec.native:
        # Standalone pods may run the CLI; native keeps exactly the files Flink's client ships.
        files[LOG4J_CLI_FILE] = LOG4J_CONSOLE
    return files


def render_config(spec: FlinkClusterSpec, ha_cluster_id: str | None = None) -> RenderedConfig:
    """The configuration files of the cluster (see ``config_entries``), rendered once per spec
    and HA id: the checks, the ConfigMap and the pods that carry its checksum share them."""
    return _RENDERED.get(render_key(spec, ha_cluster_id), lambda: build_config(spec, ha_cluster_id))


def build_config(spec: FlinkClusterSpec, ha_cluster_id: str | None) -> RenderedConfig:
    """``render_config``, rendered."""
    values = config_entries(spec, ha_cluster_id).values
    file_name = spec.resolved_config_file
    text = render_config_yaml(values) if file_name == "config.yaml" else render_flink_conf_yaml(values)
    return RenderedConfig(
        file_name=file_name,
        values=values,
        files=_config_files(spec, file_name, text),
    )


HA_ID_RANDOM_BYTES = 4
"""An HA cluster id without ``highAvailability.clusterId`` is ``<name>-<hex of these bytes>``
(``resources.ha.FlinkHighAvailability`` draws them)."""


def placeholder_ha_cluster_id(spec: FlinkClusterSpec) -> str:
    """An HA cluster id as long as the one ``spec``'s cluster will get, for checks that run
    before the real one is drawn (the sizes of the objects that carry it)."""
    return spec.high_availability.cluster_id or f"{spec.name}-{'0' * 2 * HA_ID_RANDOM_BYTES}"


def ha_cleanup_hint(spec: FlinkClusterSpec, ha_cluster_id: str) -> str:
    """What identifies a destroyed incarnation's leftover HA data, for manual cleanup."""
    ha = spec.high_availability
    storage = f"files under {(ha.storage_dir or '').rstrip('/')}/ha whose path names {ha_cluster_id}"
    if ha.flink_type == "zookeeper":
        return f"ZooKeeper node {ha.path_root}/{ha_cluster_id}; {storage}"
    config_map_owner = spec.name if spec.native else ha_cluster_id
    return (
        f"ConfigMaps -l app={config_map_owner},configmap-type=high-availability in namespace "
        f"{spec.namespace}; {storage}"
    )


def flink_boolean(value: object) -> bool:
    """A Flink boolean option as written in flinkConfiguration (true, 'true', 'TRUE')."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def rest_ssl_enabled(spec: FlinkClusterSpec) -> bool:
    """The REST endpoint speaks HTTPS (``security.ssl.rest.enabled`` in flinkConfiguration)."""
    return flink_boolean(spec.flink_configuration.get("security.ssl.rest.enabled"))

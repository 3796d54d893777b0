"""Rules that span fields of a spec: pure functions, run before anything is registered.

``check_cluster`` returns the problems (errors); ``cluster_warnings`` returns
what is legal but probably not meant (shown by the renderer and logged by
the component).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import Problem
from .flink_config import CONF_DIR, MANAGED_KEYS, POD_TEMPLATE_DIR
from .memory import MemoryModelError, jobmanager_memory, taskmanager_memory
from .naming import NATIVE_LABEL_KEYS, RESERVED_LABEL_KEYS
from .spec import (
    HA_STORAGE_MOUNT,
    MAX_CLUSTER_NAME,
    USRLIB_DIR,
    FlinkClusterSpec,
    JobSpec,
    jar_is_fetched,
)

# Names the library gives to its own pod volumes, and the paths it mounts them at.
RESERVED_VOLUME_NAMES = (
    "flink-config",
    "flink-config-volume",
    "pod-template-volume",
    "user-artifacts-volume",
    "usrlib",
)
RESERVED_MOUNT_PATHS = {
    CONF_DIR: "holds the rendered Flink configuration",
    POD_TEMPLATE_DIR: "holds the native TaskManager pod template",
}

# The official image's entrypoint would write these into the config file, but the
# ConfigMap mount is read-only, so they would be silently ignored.
IGNORED_IMAGE_ENV = {
    "FLINK_PROPERTIES": "flinkConfiguration",
    "JOB_MANAGER_RPC_ADDRESS": "nothing: the library sets the JobManager address",
    "TASK_MANAGER_NUMBER_OF_TASK_SLOTS": "taskManager.slots",
}


def check_cluster(spec: FlinkClusterSpec) -> list[Problem]:
    problems: list[Problem] = []
    problems += _check_mode(spec)
    problems += _check_high_availability(spec)
    problems += _check_config_file(spec)
    problems += _check_managed_keys(spec)
    problems += _check_memory(spec)
    problems += _check_ports(spec)
    problems += _check_rest(spec)
    problems += _check_labels(spec)
    problems += _check_pod(spec)
    problems += _check_no_plain_secrets(spec)
    return problems


def _check_mode(spec: FlinkClusterSpec) -> list[Problem]:
    """What each deployment mode needs, and what it cannot have."""
    problems: list[Problem] = []
    if spec.mode == "per-job" and spec.native:
        problems.append(
            Problem(
                "native",
                "Flink has no native per-job mode on Kubernetes (it existed only on YARN, and "
                "Flink 2.0 removed per-job mode).",
                "use mode: application with native: true (a cluster per job, main() on the "
                "JobManager), or keep mode: per-job with native: false (a cluster per job, "
                "submitted by a client pod)",
            )
        )
    if spec.mode == "application" and spec.job is None:
        problems.append(
            Problem("job", "application mode runs one job, and none is given.", "add job with at least jar")
        )
    if spec.mode != "application" and spec.job is not None:
        fix = "list it under jobs" if spec.mode == "per-job" else "set mode: application to run it"
        message = f"a {spec.mode} cluster does not run a fixed job."
        problems.append(Problem("job", message, f"{fix}, or remove job"))
    if spec.mode == "per-job" and not spec.jobs:
        problems.append(
            Problem("jobs", "per-job mode needs at least one job.", "add jobs, each with a name and a jar")
        )
    if spec.mode != "per-job" and spec.jobs:
        problems.append(
            Problem(
                "jobs",
                f"jobs belongs to per-job mode, not {spec.mode}.",
                "set mode: per-job, or remove jobs (application mode takes one job under job)",
            )
        )
    standalone_application = spec.mode == "application" and not spec.native
    if spec.job_manager.workload is not None and not standalone_application:
        problems.append(
            Problem(
                "jobManager.workload",
                f"only a standalone application JobManager can run as a Kubernetes Job; a "
                f"{spec.deployment_mode} JobManager is always a Deployment.",
                "remove jobManager.workload",
            )
        )
    if spec.native and "replicas" in spec.task_manager.model_fields_set:
        problems.append(
            Problem(
                "taskManager.replicas",
                "a native cluster's JobManager creates TaskManager pods itself, as many as its jobs need.",
                "remove taskManager.replicas (size jobs with parallelism and taskManager.slots)",
            )
        )
    if spec.job is not None:
        problems += [p.prefixed("job") for p in _check_job(spec.job, needs_usrlib=standalone_application)]
    for index, job in enumerate(spec.jobs):
        path = f"jobs[{index}]"
        problems += [p.prefixed(path) for p in _check_job(job, needs_usrlib=False)]
        cluster_name = f"{spec.name}-{job.name}"
        if len(cluster_name) > MAX_CLUSTER_NAME:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"the job's cluster would be named {cluster_name!r}, {len(cluster_name)} characters; "
                    f"at most {MAX_CLUSTER_NAME} fit every object name.",
                    f"shorten the job name or the cluster name to {MAX_CLUSTER_NAME} characters together",
                )
            )
        elif job.task_manager is not None:
            job_cluster = spec.job_cluster(job)
            problems += [
                Problem(f"{path}.taskManager.memory", p.message, p.fix)
                for p in _check_memory(job_cluster)
                if p.path == "taskManager.memory"
            ]
    return problems


# The filesystem plugin each object-store scheme needs (a jar in the image's opt/).
FILESYSTEM_PLUGINS = {
    "s3://": "flink-s3-fs-hadoop",
    "s3a://": "flink-s3-fs-hadoop",
    "s3p://": "flink-s3-fs-presto",
    "gs://": "flink-gs-fs-hadoop",
    "abfs://": "flink-azure-fs-hadoop",
    "abfss://": "flink-azure-fs-hadoop",
    "wasbs://": "flink-azure-fs-hadoop",
    "oss://": "flink-oss-fs-hadoop",
}


def filesystem_plugin(spec: FlinkClusterSpec) -> str | None:
    """The plugin jar the HA storage needs, e.g. 'flink-s3-fs-hadoop-1.20.3.jar', if any."""
    storage = spec.high_availability.storage_dir or ""
    for scheme, plugin in FILESYSTEM_PLUGINS.items():
        if spec.high_availability.enabled and storage.startswith(scheme):
            return f"{plugin}-{spec.flink_version}.jar"
    return None


def _check_high_availability(spec: FlinkClusterSpec) -> list[Problem]:
    ha = spec.high_availability
    problems: list[Problem] = []
    if not ha.enabled:
        if spec.job_manager.replicas > 1:
            problems.append(
                Problem(
                    "jobManager.replicas",
                    "standby JobManagers need high availability to elect a leader.",
                    "set highAvailability.type (zookeeper or kubernetes), or use 1 replica",
                )
            )
        for field in ("storage_dir", "volume_claim", "credentials_secret", "cluster_id"):
            if field in ha.model_fields_set:
                name = HA_FIELD_NAMES[field]
                problems.append(
                    Problem(
                        f"highAvailability.{name}",
                        "high availability is off.",
                        "set highAvailability.type, or remove this field",
                    )
                )
        return problems
    storage = ha.storage_dir
    if storage is None:
        problems.append(
            Problem(
                "highAvailability.storageDir",
                "high availability needs durable storage shared by every JobManager and TaskManager.",
                "set an object store URI (e.g. s3://bucket/flink) or file:///flink-ha with volumeClaim",
            )
        )
    elif storage.startswith("file://"):
        if ha.volume_claim is None:
            problems.append(
                Problem(
                    "highAvailability.storageDir",
                    f"{storage} would be each pod's own disk, not storage the JobManagers share.",
                    "set highAvailability.volumeClaim (a ReadWriteMany claim, mounted at /flink-ha), "
                    "or use an object store",
                )
            )
        elif not (
            storage.rstrip("/") == f"file://{HA_STORAGE_MOUNT}"
            or storage.startswith(f"file://{HA_STORAGE_MOUNT}/")
        ):
            problems.append(
                Problem(
                    "highAvailability.storageDir",
                    f"volumeClaim is mounted at {HA_STORAGE_MOUNT}, which {storage} is not under.",
                    f"use file://{HA_STORAGE_MOUNT} or a directory below it",
                )
            )
    elif ha.volume_claim is not None:
        problems.append(
            Problem(
                "highAvailability.volumeClaim",
                f"storageDir {storage} is an object store; the volume would be unused.",
                f"remove volumeClaim, or use storageDir file://{HA_STORAGE_MOUNT}",
            )
        )
    if filesystem_plugin(spec) and spec.version.patch is None:
        problems.append(
            Problem(
                "flinkVersion",
                f"{storage} needs Flink's filesystem plugin jar, whose file name has the patch version.",
                f"write the full release, e.g. '{spec.flink_version}.0', matching the image",
            )
        )
    if ha.type == "zetcd" and spec.version.at_least(1, 15) and not ha.zetcd.allow_unsupported_flink_version:
        problems.append(
            Problem(
                "highAvailability.type",
                f"zetcd cannot serve Flink {spec.version}: zetcd speaks only the ZooKeeper 3.4 protocol "
                "(unmaintained since 2019), and Flink 1.15 and later use Curator 5, which creates "
                "container nodes that zetcd lacks.",
                "use zookeeper or kubernetes; or, after testing leader election and recovery with "
                "this release, set highAvailability.zetcd.allowUnsupportedFlinkVersion: true",
            )
        )
    if ha.type == "zetcd" and ha.etcd.replicas % 2 == 0:
        problems.append(
            Problem(
                "highAvailability.etcd.replicas",
                f"{ha.etcd.replicas} members survive no more failures than {ha.etcd.replicas - 1} would.",
                "use an odd number (3 or 5)",
            )
        )
    if ha.type == "zookeeper" and ha.zookeeper.existing_quorum is None and ha.zookeeper.replicas % 2 == 0:
        problems.append(
            Problem(
                "highAvailability.zookeeper.replicas",
                f"{ha.zookeeper.replicas} servers survive no more failures than "
                f"{ha.zookeeper.replicas - 1} would.",
                "use an odd number (3 or 5)",
            )
        )
    return problems


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_ha_credentials(spec: FlinkClusterSpec, credentials: Mapping[str, object] | None) -> list[Problem]:
    """``haCredentials`` (``ha_credentials`` in Python args): object-store credentials as Pulumi secrets."""
    if credentials is None:
        return []
    ha = spec.high_availability
    storage = ha.storage_dir or ""
    if not ha.enabled or storage.startswith("file://") or not storage:
        return [
            Problem(
                "haCredentials",
                "there is no object-store HA storage to use them for.",
                "set highAvailability.type and an object-store storageDir, or drop haCredentials",
            )
        ]
    if ha.credentials_secret is not None:
        return [
            Problem(
                "haCredentials",
                "highAvailability.credentialsSecret already names the Secret.",
                "pass one of them",
            )
        ]
    bad = sorted(key for key in credentials if not _ENV_NAME.match(key))
    if bad or not credentials:
        return [
            Problem(
                "haCredentials",
                f"keys {bad} are not environment variable names." if bad else "no credentials given.",
                "use keys such as AWS_ACCESS_KEY_ID",
            )
        ]
    return []


HA_FIELD_NAMES = {
    "storage_dir": "storageDir",
    "volume_claim": "volumeClaim",
    "credentials_secret": "credentialsSecret",
    "cluster_id": "clusterId",
}


def _check_job(job: JobSpec, needs_usrlib: bool) -> list[Problem]:
    problems = []
    if job.allow_non_restored_state and job.savepoint is None:
        problems.append(
            Problem(
                "allowNonRestoredState",
                "there is no savepoint whose state could be skipped.",
                "set savepoint, or remove allowNonRestoredState",
            )
        )
    path = job.jar_in_pod
    if needs_usrlib and not jar_is_fetched(job.jar) and not path.startswith(USRLIB_DIR + "/"):
        problems.append(
            Problem(
                "jar",
                f"a standalone application cluster loads the job from {USRLIB_DIR}, not {path}: "
                "that is where the JobManager's standalone-job entrypoint and the TaskManagers look.",
                f"put the jar under {USRLIB_DIR}/ in the image, or give an http(s) URL to fetch it",
            )
        )
    return problems


def _check_config_file(spec: FlinkClusterSpec) -> list[Problem]:
    version = spec.version
    if spec.config_file == "config.yaml" and not version.reads_config_yaml:
        return [
            Problem(
                "configFile",
                f"Flink {version} cannot read config.yaml (it arrived in 1.19).",
                "use 'auto' or 'flink-conf.yaml', or pick Flink 1.19 or later",
            )
        ]
    if spec.config_file == "flink-conf.yaml" and not version.reads_flink_conf_yaml:
        return [
            Problem(
                "configFile",
                f"Flink {version} reads only config.yaml; flink-conf.yaml was removed in 2.0.",
                "use 'auto' or 'config.yaml'",
            )
        ]
    return []


def _check_managed_keys(spec: FlinkClusterSpec) -> list[Problem]:
    problems = []
    for key in spec.flink_configuration:
        if key in MANAGED_KEYS:
            instead = MANAGED_KEYS[key]
            fix = (
                f"remove it and set {instead} instead"
                if not instead.startswith("(")
                else f"remove it; the library sets it {instead}"
            )
            problems.append(Problem(f"flinkConfiguration.{key}", "this key is managed by pulumi-flink.", fix))
    return problems


def _check_memory(spec: FlinkClusterSpec) -> list[Problem]:
    config = spec.flink_configuration
    derivations = (
        (
            "taskManager",
            "taskmanager",
            "1728Mi",
            lambda: taskmanager_memory(spec.task_manager.memory_mib, config, spec.version),
        ),
        (
            "jobManager",
            "jobmanager",
            "1600Mi",
            lambda: jobmanager_memory(spec.job_manager.memory_mib, config),
        ),
    )
    problems = []
    for field, prefix, flink_default, derive in derivations:
        try:
            derive()
        except MemoryModelError as exc:
            fix = f"raise {field}.memory (Flink's default is {flink_default})"
            problems.append(Problem(f"{field}.memory", f"{exc}.", fix))
        except ValueError as exc:
            message = f"a {prefix}.memory.* value is unreadable: {exc}."
            problems.append(Problem("flinkConfiguration", message, "fix that value"))
    return problems


def _check_ports(spec: FlinkClusterSpec) -> list[Problem]:
    problems = []
    for role, ports, field_names in (
        ("JobManager", spec.ports.jobmanager_ports, {"rpc": "rpc", "blob": "blob", "rest": "rest"}),
        ("TaskManager", spec.ports.taskmanager_ports, {"rpc": "taskManagerRpc", "data": "taskManagerData"}),
    ):
        seen: dict[int, str] = {}
        for purpose, port in ports.items():
            if port in seen:
                problems.append(
                    Problem(
                        f"ports.{field_names[purpose]}",
                        f"the {role} would listen on {port} twice ({seen[port]} and {purpose}).",
                        "give each port its own number",
                    )
                )
            seen[port] = purpose
    return problems


def _check_rest(spec: FlinkClusterSpec) -> list[Problem]:
    if spec.rest.node_port is not None and spec.rest.exposure != "NodePort":
        return [
            Problem(
                "rest.nodePort",
                f"a node port needs exposure NodePort, not {spec.rest.exposure}.",
                "set rest.exposure: NodePort, or remove rest.nodePort",
            )
        ]
    return []


def _check_labels(spec: FlinkClusterSpec) -> list[Problem]:
    return [
        Problem(
            f"labels.{key}",
            "this label is set by pulumi-flink and selects the pods.",
            "remove it; use another key for your own label",
        )
        for key in spec.labels
        if key in RESERVED_LABEL_KEYS
    ] + [
        Problem(
            f"labels.{key}",
            "Flink's native mode sets it on its objects and pods and finds its TaskManager pods by it.",
            "remove it; use a prefixed key such as example.com/" + key,
        )
        for key in spec.labels
        if spec.native and key in NATIVE_LABEL_KEYS
    ]


def _check_pod(spec: FlinkClusterSpec) -> list[Problem]:
    problems = []
    for index, entry in enumerate(spec.pod.env):
        if entry["name"] in IGNORED_IMAGE_ENV:
            problems.append(
                Problem(
                    f"pod.env[{index}].name",
                    f"{entry['name']} would be ignored: the image cannot write it into the read-only "
                    "configuration mount.",
                    f"remove it; use {IGNORED_IMAGE_ENV[entry['name']]}",
                )
            )
    for index, volume in enumerate(spec.pod.volumes):
        if volume["name"] in RESERVED_VOLUME_NAMES:
            problems.append(
                Problem(
                    f"pod.volumes[{index}].name",
                    f"{volume['name']!r} is the library's own volume.",
                    "pick another name",
                )
            )
    volume_names = {v["name"] for v in spec.pod.volumes}
    for index, mount in enumerate(spec.pod.volume_mounts):
        path = mount["mountPath"].rstrip("/")
        for reserved, why in RESERVED_MOUNT_PATHS.items():
            if path == reserved or path.startswith(reserved + "/"):
                problems.append(
                    Problem(
                        f"pod.volumeMounts[{index}].mountPath",
                        f"{reserved} {why}.",
                        "mount elsewhere; add settings through flinkConfiguration",
                    )
                )
        if mount["name"] not in volume_names:
            problems.append(
                Problem(
                    f"pod.volumeMounts[{index}].name",
                    f"no volume named {mount['name']!r} in pod.volumes.",
                    "add that volume to pod.volumes, or fix the name",
                )
            )
    return problems


def cluster_warnings(spec: FlinkClusterSpec) -> list[str]:
    if spec.native:
        return []  # TaskManagers are created on demand
    if spec.mode == "per-job":
        return [w for job in spec.jobs for w in cluster_warnings(spec.job_cluster(job))]
    warnings = []
    parallelism = spec.job_parallelism
    if parallelism > spec.total_slots:
        who = "the job" if spec.mode == "application" else "jobs that keep the default parallelism"
        warnings.append(
            f"{spec.name}: parallelism {parallelism} is above the {spec.total_slots} task slots "
            f"({spec.task_manager.replicas} TaskManagers x {spec.task_manager.slots} slots); "
            f"{who} will wait for slots that never come"
        )
    return warnings


def cluster_names(spec: FlinkClusterSpec) -> list[str]:
    """The cluster name, and in per-job mode each job's cluster name."""
    return [spec.name, *(spec.job_cluster(job).name for job in spec.jobs)]


def planned_objects(spec: FlinkClusterSpec) -> list[tuple[str, str]]:
    """(kind, name) of every Kubernetes object the spec creates; checked against renders in tests."""
    names = spec.names
    ha = spec.high_availability
    planned: list[tuple[str, str]] = []
    if ha.type == "zookeeper" and ha.zookeeper.existing_quorum is None:
        planned += [
            ("ConfigMap", names.zookeeper),
            ("StatefulSet", names.zookeeper),
            ("Service", names.zookeeper),
            ("Service", names.zookeeper_peers),
            ("PodDisruptionBudget", names.zookeeper),
        ]
    if ha.type == "zetcd":
        planned += [
            ("StatefulSet", names.etcd),
            ("Service", names.etcd),
            ("Service", names.etcd_peers),
            ("PodDisruptionBudget", names.etcd),
            ("Deployment", names.zetcd),
            ("Service", names.zetcd),
        ]
    if spec.mode == "per-job":
        for job in spec.jobs:
            job_cluster = spec.job_cluster(job)
            planned += [*planned_objects(job_cluster), ("Job", job_cluster.names.submitter)]
        return planned
    planned += [
        ("ConfigMap", names.config_map),
        (spec.jobmanager_workload, names.jobmanager),
        ("Service", names.jobmanager_service),
        ("Service", names.rest_service),
    ]
    if spec.native:
        planned.append(("ConfigMap", names.pod_template_config_map))
    else:
        planned.append(("Deployment", names.taskmanager))
    if spec.native or ha.type == "kubernetes":
        planned += [("Role", names.role), ("RoleBinding", names.role)]
    if spec.pod.service_account_name is None:
        planned.append(("ServiceAccount", names.service_account))
    return planned


# Flink options that hold credentials (S3/GCS/Azure keys, SSL and other passwords), and env
# names that do: their values would sit in plain text in a ConfigMap or a pod spec.
_CREDENTIAL_OPTION = re.compile(r"password|secret|access[-._]?key|account\.key", re.IGNORECASE)
_CREDENTIAL_ENV = re.compile(r"PASSWORD|SECRET|ACCESS_KEY|TOKEN|CREDENTIAL", re.IGNORECASE)


def _check_no_plain_secrets(spec: FlinkClusterSpec) -> list[Problem]:
    """Secrets reach the pods only through Secret references, never a ConfigMap or a plain env value."""
    problems = [
        Problem(
            f"flinkConfiguration.{key}",
            "holds a credential, which would be stored in plain text in the ConfigMap.",
            "give it to the pods from a Secret: highAvailability.credentialsSecret or haCredentials "
            "(e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which Flink's S3 file systems read), "
            "or pod.env with valueFrom.secretKeyRef",
        )
        for key, value in spec.flink_configuration.items()
        if isinstance(value, str) and _CREDENTIAL_OPTION.search(key)
    ]
    problems += [
        Problem(
            f"pod.env[{index}].value",
            f"{entry.get('name')} looks like a credential, given in plain text in the pod spec.",
            "use valueFrom.secretKeyRef to read it from a Secret",
        )
        for index, entry in enumerate(spec.pod.env)
        if "value" in entry and _CREDENTIAL_ENV.search(str(entry.get("name", "")))
    ]
    return problems

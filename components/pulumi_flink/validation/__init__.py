"""Rules that span fields of a spec: pure functions, run before anything is registered.

``check_cluster`` returns the problems (errors); ``cluster_warnings`` returns
what is legal but probably not meant (shown by the renderer and logged by
the component).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from pulumi_flink.model.kubernetes_types import (
    MAX_ANNOTATIONS_BYTES,
    MAX_CONFIG_MAP_BYTES,
    annotations_bytes,
    config_map_bytes,
    normal_path,
    path_overlaps,
)
from pulumi_flink.model.layout import (
    ENV_PURPOSES,
    HA_STORAGE_MOUNT,
    LOG_DIR,
    MOUNT_PURPOSES,
    PLUGIN_VOLUME_PREFIX,
    PLUGINS_DIR,
    TMP_DIR,
    USRLIB_DIR,
)
from pulumi_flink.model.memory import (
    MemoryModelError,
    MemoryOptionError,
    jobmanager_memory,
    taskmanager_memory,
)
from pulumi_flink.model.naming import NATIVE_LABEL_KEYS, RESERVED_LABEL_KEYS
from pulumi_flink.model.plugins import filesystem_plugin
from pulumi_flink.model.text import whole_string
from pulumi_flink.render.flink_config import (
    PROMETHEUS_MANAGED_KEYS,
    PROMETHEUS_REPORTER,
    PROMETHEUS_REPORTER_CLASS,
    PROMETHEUS_REPORTER_FACTORY,
    TASKMANAGER_POD_TEMPLATE_FILE,
    config_entries,
    config_text_refusal,
    flink_boolean,
    local_dir_names,
    managed_names,
    placeholder_ha_cluster_id,
    render_config,
    rest_ssl_enabled,
)
from pulumi_flink.render.pods import library_layout, planned_pod_templates, pod_template_file
from pulumi_flink.spec import (
    MAX_CLUSTER_NAME,
    FlinkClusterSpec,
    JobSpec,
    jar_is_fetched,
)
from pulumi_flink.spec.errors import Problem
from pulumi_flink.validation.credentials import (
    holds_private_key,
    is_credential_env,
    jvm_option_credential,
    option_credential,
)

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
    problems += _check_config_text(spec)
    problems += _check_managed_keys(spec)
    problems += _check_memory(spec)
    problems += _check_ports(spec)
    problems += _check_rest(spec)
    problems += _check_labels(spec)
    problems += _check_pod(spec)
    problems += _check_local_dirs(spec)
    problems += _check_no_plain_secrets(spec)
    problems += _check_probes(spec)
    problems += _check_spread(spec)
    problems += _check_network_policy(spec)
    problems += _check_metrics(spec)
    problems += _check_logging(spec)
    if not problems:
        # These build the spec's pods, which only a spec valid in every other way has.
        problems += _check_library_clashes(spec)
        problems += _check_sizes(spec)
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
    if spec.jobmanager_workload == "Job" and spec.job_manager.replicas > 1:
        problems.append(
            Problem(
                "jobManager.replicas",
                f"a JobManager run as a Kubernetes Job has one pod; {spec.job_manager.replicas} "
                "replicas would silently be 1.",
                "set jobManager.workload: Deployment for standby JobManagers, or use 1 replica",
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
    if filesystem_plugin(storage, spec.flink_version) and spec.version.patch is None:
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


_ENV_NAME = whole_string(r"[A-Za-z_][A-Za-z0-9_]*")


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
    bad = sorted(str(key) for key in credentials if not isinstance(key, str) or not _ENV_NAME(key))
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


def _check_config_text(spec: FlinkClusterSpec) -> list[Problem]:
    """Every piece of spec text the config file would carry, against what that file can carry
    for Flink to read it back exactly; refused at the field it came from."""
    if _check_config_file(spec):
        return []  # no file to check against
    file_name = spec.resolved_config_file
    problems: list[Problem] = []
    for text in config_entries(spec).texts:
        refusal = config_text_refusal(text, file_name)
        if refusal is None:
            continue
        fix = refusal.fix
        if refusal.flink_conf_only and spec.version.reads_config_yaml:
            fix += ", or set configFile: config.yaml, which carries any text"
        problem = Problem(text.path, refusal.message, fix)
        if problem not in problems:  # storageDir is the prefix of three values
            problems.append(problem)
    return problems


def _check_managed_keys(spec: FlinkClusterSpec) -> list[Problem]:
    managed = managed_names(spec.version)
    problems = []
    for key in spec.flink_configuration:
        name = managed.get(key)
        if name is None:
            continue
        instead = name.instead
        fix = (
            f"remove it and set {instead} instead"
            if not instead.startswith("(")
            else f"remove it; the library sets it {instead}"
        )
        message = "this key is managed by pulumi-flink."
        if name.alias is not None:
            major, minor = spec.version.minor_key
            message = f"this key is {name.alias} on Flink {major}.{minor}, which is managed by pulumi-flink."
        problems.append(Problem(f"flinkConfiguration.{key}", message, fix))
    return problems


def _check_memory(spec: FlinkClusterSpec) -> list[Problem]:
    config = spec.flink_configuration
    derivations = (
        (
            "taskManager",
            "1728Mi",
            lambda: taskmanager_memory(spec.task_manager.memory_mib, config, spec.version),
        ),
        (
            "jobManager",
            "1600Mi",
            lambda: jobmanager_memory(spec.job_manager.memory_mib, config),
        ),
    )
    problems = []
    for field, flink_default, derive in derivations:
        try:
            derive()
        except MemoryModelError as exc:
            fix = f"raise {field}.memory (Flink's default is {flink_default})"
            problems.append(Problem(f"{field}.memory", f"{exc}.", fix))
        except MemoryOptionError as exc:
            message = f"Flink would refuse it: {exc}."
            fix = (
                "write a fraction from 0 up to, not including, 1, e.g. 0.1"
                if exc.key.endswith(".fraction")
                else "write a memory size such as '256m' (below 8 EiB)"
            )
            problems.append(Problem(f"flinkConfiguration.{exc.key}", message, fix))
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
        # flink-plugin-*: whatever the spec, as the plugins the env enables may change.
        if volume["name"].startswith(PLUGIN_VOLUME_PREFIX):
            problems.append(_library_volume(index, volume["name"]))
    volume_names = {v["name"] for v in spec.pod.volumes}
    for index, mount in enumerate(spec.pod.volume_mounts):
        if mount["name"] not in volume_names:
            problems.append(
                Problem(
                    f"pod.volumeMounts[{index}].name",
                    f"no volume named {mount['name']!r} in pod.volumes.",
                    "add that volume to pod.volumes, or fix the name",
                )
            )
    return problems


def _library_volume(index: int, name: str) -> Problem:
    return Problem(f"pod.volumes[{index}].name", f"{name!r} is the library's own volume.",
                   "pick another name")


def _check_library_clashes(spec: FlinkClusterSpec) -> list[Problem]:
    """The user's pod hooks next to what the library puts into the same pods (read from the
    pods the builders make for this spec): no volume, mount or env var of the library's may
    be replaced, hidden or duplicated."""
    library = library_layout(spec)
    problems = [
        Problem(
            f"pod.env[{index}].name",
            f"the library sets {entry['name']} in these pods: it "
            f"{ENV_PURPOSES.get(entry['name'], 'is set by the library')}; a second entry would replace "
            "or duplicate it.",
            "remove it, or give your variable another name",
        )
        for index, entry in enumerate(spec.pod.env)
        if entry["name"] in library.env
    ]
    problems += [
        _library_volume(index, volume["name"])
        for index, volume in enumerate(spec.pod.volumes)
        if volume["name"] in library.volumes and not volume["name"].startswith(PLUGIN_VOLUME_PREFIX)
    ]
    for index, mount in enumerate(spec.pod.volume_mounts):
        path = mount["mountPath"]
        reserved = next((p for p in sorted(library.mount_paths) if path_overlaps(path, p)), None)
        if reserved is not None:
            problems.append(
                Problem(
                    f"pod.volumeMounts[{index}].mountPath",
                    f"{path} {_clash(normal_path(path), reserved)}: "
                    f"{reserved} {_mount_purpose(reserved)}.",
                    "mount elsewhere; add settings through flinkConfiguration",
                )
            )
    return problems


def _clash(path: str, reserved: str) -> str:
    if path == reserved:
        return "is the library's mount"
    return "is under the library's mount" if path.startswith(reserved) else "would hide the library's mount"


def _mount_purpose(path: str) -> str:
    if path in MOUNT_PURPOSES:
        return MOUNT_PURPOSES[path]
    if posixpath.dirname(path) == PLUGINS_DIR:
        return f"is a plugin's directory ({MOUNT_PURPOSES[PLUGINS_DIR]})"
    return "is mounted by the library"


LIBRARY_ANNOTATIONS_BYTES = 1024
"""A bound on what the library adds to the user's annotations on one object (checksums, the
deployment mode, pulumi.com/skipAwait); tests/unit/model/test_pod_fields.py holds it to the renders."""


def _check_sizes(spec: FlinkClusterSpec) -> list[Problem]:
    """Objects Kubernetes would refuse for their size: annotations over 256 KiB on one object,
    a ConfigMap over 1 MiB. Measured on what the builders make (with an HA cluster id of the
    real one's length), so a render never carries an object the API server rejects."""
    problems = []
    # Every object and pod carries spec.annotations; the REST Service rest.annotations too.
    for path, carried in (
        ("annotations", spec.annotations),
        ("rest.annotations", {**spec.annotations, **spec.rest.annotations}),
    ):
        size = annotations_bytes(carried) + LIBRARY_ANNOTATIONS_BYTES
        if size > MAX_ANNOTATIONS_BYTES:
            problems.append(_too_big(path, "the annotations of one object, with the library's own,", size,
                                     MAX_ANNOTATIONS_BYTES, "annotations"))
            break
    clusters = [spec.job_cluster(job) for job in spec.jobs] if spec.mode == "per-job" else [spec]
    for cluster in clusters:
        files = render_config(cluster, placeholder_ha_cluster_id(cluster)).files
        if config_map_bytes(files) > MAX_CONFIG_MAP_BYTES:
            problems.append(_too_big("flinkConfiguration", f"the ConfigMap {cluster.names.config_map}",
                                     config_map_bytes(files), MAX_CONFIG_MAP_BYTES, "Flink configuration"))
    for what, template in planned_pod_templates(spec):
        if template.get("kind") == "Pod":
            size = config_map_bytes({TASKMANAGER_POD_TEMPLATE_FILE: pod_template_file(template)})
            if size > MAX_CONFIG_MAP_BYTES:
                problems.append(_too_big("pod", f"the ConfigMap holding the {what}", size,
                                         MAX_CONFIG_MAP_BYTES, "pod hooks, labels and annotations"))
    return list(dict.fromkeys(problems))


def _too_big(path: str, what: str, size: int, limit: int, content: str) -> Problem:
    return Problem(
        path,
        f"{what} would take {size} bytes; Kubernetes takes at most {limit} ({limit // 1024} KiB).",
        f"shorten the {content}",
    )


# Volume kinds Kubernetes always mounts read-only, whatever the mount says.
_READ_ONLY_VOLUMES = ("configMap", "secret", "downwardAPI", "projected", "image")


def writable_paths(spec: FlinkClusterSpec) -> list[str]:
    """Where a Flink container can write when its root filesystem is read-only: the
    library's emptyDirs, the HA claim, and the user's volumes mounted without ``readOnly``
    (but never a ConfigMap, Secret, downward-API, projected or image volume)."""
    paths = [TMP_DIR, LOG_DIR]
    if spec.high_availability.enabled and spec.high_availability.volume_claim is not None:
        paths.append(HA_STORAGE_MOUNT)
    volumes = {v["name"]: v for v in spec.pod.volumes}
    for mount in spec.pod.volume_mounts:
        volume = volumes.get(mount["name"], {})
        if not mount.get("readOnly", False) and not any(kind in volume for kind in _READ_ONLY_VOLUMES):
            paths.append(posixpath.normpath(mount["mountPath"]))
    return paths


def _local_dirs(value: object) -> list[str]:
    """The directories of a Flink option naming one or several (',', '|' or ':' between
    them, as io.tmp.dirs takes them), with any ``file:`` scheme dropped."""
    text = re.sub(r"file:(//)?", "", str(value))
    return [part.strip() for part in re.split(r"[,|:]", text) if part.strip()]


def _check_local_dirs(spec: FlinkClusterSpec) -> list[Problem]:
    """With a read-only root filesystem, a local directory Flink writes to must be on a
    writable volume, or the process fails when it first writes there."""
    if not spec.pod.read_only_root_filesystem:
        return []
    writable = writable_paths(spec)
    problems = []
    local_dirs = local_dir_names(spec.version)
    for key, value in spec.flink_configuration.items():
        if key not in local_dirs:
            continue
        for path in _local_dirs(value):
            normal = posixpath.normpath(path)
            if posixpath.isabs(normal) and any(
                normal == root or normal.startswith(root.rstrip("/") + "/") for root in writable
            ):
                continue
            where = "" if posixpath.isabs(path) else " (relative: under the working directory /opt/flink)"
            problems.append(
                Problem(
                    f"flinkConfiguration.{key}",
                    f"{path!r}{where} is not on a writable volume, and the Flink containers' root "
                    "filesystem is read-only (pod.readOnlyRootFilesystem).",
                    f"use a directory under {TMP_DIR} (the library's emptyDir) or under one of your "
                    "pod.volumeMounts that is not readOnly, or set pod.readOnlyRootFilesystem: false",
                )
            )
            break
    return problems


def cluster_warnings(spec: FlinkClusterSpec) -> list[str]:
    health = _health_warnings(spec) + _network_warnings(spec)
    if spec.native:
        return health  # TaskManagers are created on demand
    if spec.mode == "per-job":
        return [w for job in spec.jobs for w in cluster_warnings(spec.job_cluster(job))]
    warnings = health
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


_SECRET_FIX = (
    "give it to the pods from a Secret: highAvailability.credentialsSecret or haCredentials "
    "(e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which Flink's S3 file systems read), "
    "or pod.env with valueFrom.secretKeyRef"
)
_KEY_FILE_FIX = (
    "mount the key from a Secret (a secret volume in pod.volumes and pod.volumeMounts) and "
    "point the option at the file"
)


def _check_no_plain_secrets(spec: FlinkClusterSpec) -> list[Problem]:
    """Secrets reach the pods only through Secret references, never a ConfigMap or a plain
    env value (what counts as one: ``credentials``)."""
    problems = []
    for key, value in spec.flink_configuration.items():
        held = option_credential(key, value)
        if held is not None:
            fix = _KEY_FILE_FIX if held == "a private key" else _SECRET_FIX
            message = f"holds {held}, which would be stored in plain text in the ConfigMap."
            problems.append(Problem(f"flinkConfiguration.{key}", message, fix))
    for index, option in enumerate(spec.jvm_options):
        held = jvm_option_credential(option)
        if held is not None:
            message = f"holds {held}, which would be stored in plain text in the ConfigMap."
            fix = "set the property from a file or env read from a Secret, not on the command line"
            problems.append(Problem(f"jvmOptions[{index}]", message, fix))
    for index, entry in enumerate(spec.pod.env):
        if "value" not in entry:
            continue
        name = str(entry.get("name", ""))
        if is_credential_env(name):
            message = f"{name} looks like a credential, given in plain text in the pod spec."
            problems.append(Problem(f"pod.env[{index}].value", message,
                                    "use valueFrom.secretKeyRef to read it from a Secret"))
        elif holds_private_key(entry["value"]):
            message = f"{name} holds a private key, given in plain text in the pod spec."
            fix = "use valueFrom.secretKeyRef to read it from a Secret, or mount it as a file"
            problems.append(Problem(f"pod.env[{index}].value", message, fix))
    return problems


# --- health and disruption ----------------------------------------------------------------

PROBE_FIELD_NAMES = {
    "startup_timeout_seconds": "startupTimeoutSeconds",
    "job_check_grace_seconds": "jobCheckGraceSeconds",
}


def _rest_client_auth(spec: FlinkClusterSpec) -> bool:
    return rest_ssl_enabled(spec) and flink_boolean(
        spec.flink_configuration.get("security.ssl.rest.authentication-enabled")
    )


def _check_probes(spec: FlinkClusterSpec) -> list[Problem]:
    probes = spec.probes
    problems: list[Problem] = []
    if not probes.enabled:
        unused = [PROBE_FIELD_NAMES[f] for f in PROBE_FIELD_NAMES if f in probes.model_fields_set]
        unused += ["jobCheck"] if probes.job_check else []
        return [
            Problem(f"probes.{name}", "probes are off (probes.enabled: false).",
                    "remove this field, or turn probes on")
            for name in unused
        ]
    if _rest_client_auth(spec):
        problems.append(
            Problem(
                "probes.enabled",
                "the REST endpoint requires client certificates "
                "(security.ssl.rest.authentication-enabled), which the kubelet's HTTP probes cannot present.",
                "set probes.enabled: false, or turn off REST client authentication",
            )
        )
    if probes.job_check and spec.mode != "application":
        problems.append(
            Problem(
                "probes.jobCheck",
                f"a {spec.mode} cluster runs no job of its own for the JobManager's liveness to check.",
                "remove probes.jobCheck, or use mode: application",
            )
        )
    if probes.job_check and rest_ssl_enabled(spec):
        problems.append(
            Problem(
                "probes.jobCheck",
                "the job check asks the REST API in plain HTTP (from bash), and the REST endpoint has "
                "SSL (security.ssl.rest.enabled).",
                "remove probes.jobCheck, or turn off REST SSL",
            )
        )
    if "job_check_grace_seconds" in probes.model_fields_set and not probes.job_check:
        problems.append(
            Problem(
                "probes.jobCheckGraceSeconds",
                "the job check is off.",
                "set probes.jobCheck: true, or remove this field",
            )
        )
    return problems


def _check_spread(spec: FlinkClusterSpec) -> list[Problem]:
    if spec.spread.required and spec.spread_topology == "none":
        why = "high availability is off" if spec.spread.topology == "auto" else "topology is none"
        return [
            Problem(
                "spread.required",
                f"there is no spreading to require: spread.topology is {spec.spread.topology} and {why}.",
                "set spread.topology: node or zone, or remove spread.required",
            )
        ]
    return []


def _health_warnings(spec: FlinkClusterSpec) -> list[str]:
    if spec.probes.enabled and spec.probes.job_check and not spec.high_availability.enabled:
        return [
            f"{spec.name}: probes.jobCheck restarts the JobManager without high availability, so "
            "the job starts again from job.savepoint (or empty state), not from its latest checkpoint"
        ]
    return []


def disruption_budgets(spec: FlinkClusterSpec) -> list[tuple[str, str]]:
    """(component, PodDisruptionBudget name) of the budgets one session or application
    cluster gets (see ``disruption``): the JobManagers' when a standby runs in a Deployment,
    and the standalone TaskManager Deployment's. None for native TaskManagers: Flink makes its
    JobManager Deployment their controller, so Kubernetes would count a ``maxUnavailable``
    against the JobManager's replicas, and a ``minAvailable`` would need the number of
    TaskManagers Flink decides at run time."""
    names = spec.names
    budgets = []
    if spec.jobmanager_workload == "Deployment" and spec.job_manager.replicas > 1:
        budgets.append(("jobmanager", names.jobmanager_disruption_budget))
    if not spec.native:
        budgets.append(("taskmanager", names.taskmanager_disruption_budget))
    return budgets


# --- network policies, metrics, logs ------------------------------------------------------

def runs_store(spec: FlinkClusterSpec) -> bool:
    """Whether the spec runs an HA store of the library's own (ZooKeeper, or etcd and zetcd)."""
    return bool(spec.high_availability.store_components)


NETWORK_FIELD_NAMES = {"rest_from": "restFrom", "metrics_from": "metricsFrom", "dns_to": "dnsTo"}
METRICS_FIELD_NAMES = {
    "port": "port", "pod_monitor": "podMonitor", "service_monitor": "serviceMonitor",
    "monitor_labels": "monitorLabels",
}
LOGGING_FIELD_NAMES = {"volume_claim": "volumeClaim", "max_file_size": "maxFileSize", "max_files": "maxFiles"}


def _check_network_policy(spec: FlinkClusterSpec) -> list[Problem]:
    network = spec.network_policy
    if not network.enabled:
        return [
            Problem(f"networkPolicy.{name}", "network policies are off (networkPolicy.enabled: false).",
                    "remove this field, or turn them on")
            for field, name in NETWORK_FIELD_NAMES.items()
            if field in network.model_fields_set
        ]
    problems = []
    if not network.dns_to and runs_store(spec):
        problems.append(
            Problem(
                "networkPolicy.dnsTo",
                "the library's store servers find each other by DNS name, and no DNS server is allowed.",
                "name your cluster DNS (the default is the k8s-app: kube-dns pods in kube-system)",
            )
        )
    if network.metrics_from and not spec.metrics.enabled:
        problems.append(
            Problem("networkPolicy.metricsFrom", "metrics are off (metrics.enabled: false): there is no "
                    "metrics port to admit anyone to.", "remove metricsFrom, or turn metrics on")
        )
    monitors = spec.metrics.pod_monitor or spec.metrics.service_monitor
    if spec.metrics.enabled and monitors and not network.metrics_from:
        problems.append(
            Problem(
                "networkPolicy.metricsFrom",
                "the monitor asks Prometheus to scrape the metrics port, and the NetworkPolicies admit "
                "nobody to it.",
                "name your Prometheus pods, e.g. [{namespaceSelector: {matchLabels: "
                "{kubernetes.io/metadata.name: monitoring}}}], or set networkPolicy.enabled: false",
            )
        )
    return problems


def prometheus_reporter_names(config: Mapping[str, object]) -> list[str]:
    """The reporters of ``config`` that are Flink's Prometheus reporter (an HTTP server on a
    port; the push-gateway reporter opens none)."""
    names = []
    for key, value in config.items():
        match = re.fullmatch(r"metrics\.reporter\.([^.]+)\.(factory\.class|class)", key)
        if match and str(value).strip() in (PROMETHEUS_REPORTER_FACTORY, PROMETHEUS_REPORTER_CLASS):
            names.append(match[1])
    return sorted(set(names))


def _check_metrics(spec: FlinkClusterSpec) -> list[Problem]:
    metrics = spec.metrics
    if not metrics.enabled:
        return [
            Problem(f"metrics.{name}", "metrics are off (metrics.enabled: false).",
                    "remove this field, or turn metrics on")
            for field, name in METRICS_FIELD_NAMES.items()
            if field in metrics.model_fields_set
        ]
    problems = []
    if metrics.pod_monitor and metrics.service_monitor:
        problems.append(
            Problem("metrics.serviceMonitor", "with metrics.podMonitor as well, Prometheus would scrape "
                    "every pod twice.", "keep one of them")
        )
    if metrics.monitor_labels and not (metrics.pod_monitor or metrics.service_monitor):
        problems.append(
            Problem("metrics.monitorLabels", "there is no monitor to label.",
                    "set metrics.podMonitor or metrics.serviceMonitor, or remove monitorLabels")
        )
    problems += [
        Problem(f"metrics.monitorLabels.{key}", "this label is set by pulumi-flink.",
                "remove it; use another key")
        for key in metrics.monitor_labels
        if key in RESERVED_LABEL_KEYS
    ]
    ports = spec.ports
    taken = {
        ports.rpc: "ports.rpc", ports.blob: "ports.blob", ports.rest: "ports.rest",
        ports.task_manager_rpc: "ports.taskManagerRpc", ports.task_manager_data: "ports.taskManagerData",
    }
    if metrics.port in taken:
        problems.append(
            Problem("metrics.port", f"{metrics.port} is already {taken[metrics.port]}.",
                    "give the metrics port its own number (default 9249)")
        )
    config = spec.flink_configuration
    for key in sorted(set(config) & set(PROMETHEUS_MANAGED_KEYS)):
        problems.append(
            Problem(
                f"flinkConfiguration.{key}",
                "the library configures the Prometheus reporter 'prom' (metrics.enabled).",
                f"remove it and set {PROMETHEUS_MANAGED_KEYS[key]}; or set metrics.enabled: false to "
                "configure reporters yourself",
            )
        )
    for name in prometheus_reporter_names(config):
        if name != PROMETHEUS_REPORTER:
            problems.append(
                Problem(
                    f"flinkConfiguration.metrics.reporter.{name}",
                    "a second Prometheus reporter would compete with the library's for a port.",
                    "remove it (the library's reporter is on metrics.port), or set metrics.enabled: false",
                )
            )
    enabled = config.get("metrics.reporters")
    if enabled is not None:
        listed = [item.strip() for item in str(enabled).split(",") if item.strip()]
        if PROMETHEUS_REPORTER not in listed:
            problems.append(
                Problem(
                    "flinkConfiguration.metrics.reporters",
                    f"it enables only {listed}, not the library's Prometheus reporter "
                    f"'{PROMETHEUS_REPORTER}': the metrics port would stay closed.",
                    f"add {PROMETHEUS_REPORTER} to the list, or set metrics.enabled: false",
                )
            )
    return problems


def _check_logging(spec: FlinkClusterSpec) -> list[Problem]:
    logging = spec.logging
    if not logging.to_file:
        return [
            Problem(f"logging.{name}", "logs go to stdout only (logging.toFile is off).",
                    "set logging.toFile: true, or remove this field")
            for field, name in LOGGING_FIELD_NAMES.items()
            if field in logging.model_fields_set
        ]
    log_dir = spec.flink_configuration.get("env.log.dir")
    if log_dir is not None and str(log_dir).rstrip("/") != LOG_DIR:
        return [
            Problem(
                "flinkConfiguration.env.log.dir",
                f"logging.toFile writes the log files to {LOG_DIR}, on its volume; {log_dir} would "
                "move them off it.",
                "remove env.log.dir",
            )
        ]
    return []


def _network_warnings(spec: FlinkClusterSpec) -> list[str]:
    network = spec.network_policy
    if network.enabled and not network.rest_from and spec.rest.exposure != "ClusterIP":
        return [
            f"{spec.name}: rest.exposure is {spec.rest.exposure}, and the NetworkPolicy admits REST "
            "only from the cluster's own pods; add networkPolicy.restFrom (e.g. an ipBlock of your "
            "clients) or the Service will not answer"
        ]
    return []

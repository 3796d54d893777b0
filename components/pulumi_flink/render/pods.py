"""Pod templates for Flink's processes, as plain Kubernetes dicts.

Built in small steps, one concern each (the config mount, the container, the
user's pod hooks, the rollout checksum), composed in ``flink_pod_template``.
Pure functions: tested without Pulumi.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import yaml

from pulumi_flink.model.layout import (
    CONF_DIR,
    CONFIG_VOLUME,
    FETCH_JAR_CONTAINER,
    HA_STORAGE_MOUNT,
    HA_STORAGE_VOLUME,
    LOG_DIR,
    LOG_POD_NAME_ENV,
    LOG_VOLUME,
    METRICS_PORT_NAME,
    NATIVE_ARTIFACTS_DIR,
    NATIVE_ARTIFACTS_VOLUME,
    NATIVE_BLOB_PORT_NAME,
    NATIVE_CONFIG_VOLUME,
    NATIVE_ENTRYPOINT,
    NATIVE_MAIN_CONTAINER,
    NATIVE_POD_IP_ENV,
    NATIVE_POD_TEMPLATE_VOLUME,
    NATIVE_RPC_PORT_NAME,
    PLUGIN_VOLUME_PREFIX,
    PLUGINS_DIR,
    PLUGINS_ENV,
    POD_TEMPLATE_DIR,
    REST_PORT_NAME,
    STANDALONE_POD_IP_ENV,
    TMP_DIR,
    TMP_VOLUME,
    USRLIB_DIR,
    USRLIB_VOLUME,
)
from pulumi_flink.model.naming import (
    CONFIG_CHECKSUM_ANNOTATION,
    JOB_CHECKSUM_ANNOTATION,
    common_labels,
    selector_labels,
)
from pulumi_flink.model.plugins import filesystem_plugin
from pulumi_flink.render.flink_config import (
    TASKMANAGER_POD_TEMPLATE_FILE,
    RenderedConfig,
    fixed_job_id,
    placeholder_ha_cluster_id,
    render_config,
    rest_ssl_enabled,
    submission_options,
)
from pulumi_flink.render.metadata import object_labels
from pulumi_flink.spec import FlinkClusterSpec, JobSpec, Resources, jar_is_fetched


def _pod_ip_env(name: str) -> Obj:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}


POD_IP_ENV = _pod_ip_env(NATIVE_POD_IP_ENV)
POD_IP_ENV_STANDALONE = _pod_ip_env(STANDALONE_POD_IP_ENV)
SUBMITTER_COMPONENT = "submitter"
# The client of a per-job cluster: `flink run` runs the job's main() in this JVM.
SUBMITTER_RESOURCES = Resources(cpu="500m", memory="1Gi")
# The fetch-jar init container: curl streams the jar to disk, in a few MiB.
FETCH_JAR_RESOURCES = Resources(cpu="100m", memory="64Mi")

Obj = dict[str, Any]


@dataclass(frozen=True)
class ProcessRole:
    """What differs between the pods of the JobManager, the TaskManagers and a job's client."""

    component: str
    args: tuple[str, ...]
    ports: tuple[tuple[str, int], ...]
    resources: Resources
    job: JobSpec | None = None
    """A job whose jar this pod needs in ``/opt/flink/usrlib``."""
    annotations: tuple[tuple[str, str], ...] = field(default=())
    """Pod annotations beyond the common ones."""
    command: tuple[str, ...] = ()
    """The container command; empty keeps the image's entrypoint."""
    env: tuple[Obj, ...] = ()
    """Container env entries before the user's."""
    container_name: str = ""
    """Defaults to the component."""


def standalone_job_args(spec: FlinkClusterSpec, job: JobSpec) -> tuple[str, ...]:
    """The image's ``standalone-job`` entrypoint: a JobManager that runs ``job`` from usrlib."""
    args = ["standalone-job"]
    if job.entry_class:
        args += ["--job-classname", job.entry_class]
    job_id = fixed_job_id(spec, job)
    if job_id:
        args += ["--job-id", job_id]
    if job.savepoint:
        args += ["--fromSavepoint", job.savepoint]
        if job.allow_non_restored_state:
            args.append("--allowNonRestoredState")
    return (*args, *job.args)


def flink_run_args(spec: FlinkClusterSpec, job: JobSpec) -> tuple[str, ...]:
    """``flink run`` against ``spec``'s own cluster: the CLI finds it through ``rest.address``
    in the mounted configuration. Detached: the client exits once the job is accepted."""
    args = ["flink", "run", "--detached", *submission_options(job)]
    if job.entry_class:
        args += ["--class", job.entry_class]
    args += ["--parallelism", str(spec.parallelism)]
    if job.savepoint:
        args += ["--fromSavepoint", job.savepoint]
        if job.allow_non_restored_state:
            args.append("--allowNonRestoredState")
    return (*args, job.jar_in_pod, *job.args)


def native_jobmanager_role(spec: FlinkClusterSpec) -> ProcessRole:
    """The JobManager as Flink's native client starts it: the image's entrypoint running
    ``kubernetes-jobmanager.sh kubernetes-session|kubernetes-application`` through bash."""
    ports = (
        (REST_PORT_NAME, spec.ports.rest),
        (NATIVE_RPC_PORT_NAME, spec.ports.rpc),
        (NATIVE_BLOB_PORT_NAME, spec.ports.blob),
    )
    return ProcessRole(
        component="jobmanager",
        args=("bash", "-c", f"kubernetes-jobmanager.sh kubernetes-{spec.mode}"),
        ports=ports,
        resources=spec.job_manager,
        job=spec.job,
        command=(NATIVE_ENTRYPOINT,),
        env=(POD_IP_ENV,),
        container_name=NATIVE_MAIN_CONTAINER,
    )


def jobmanager_role(spec: FlinkClusterSpec, submitted: JobSpec | None = None) -> ProcessRole:
    """``submitted``: per-job mode's job, whose submission checksum rolls the JobManager.

    With high availability, a standalone JobManager advertises its pod IP (Flink's HA docs):
    the Service name would point every TaskManager at whichever JobManager it picks, not at
    the leader. Kubernetes expands ``$(POD_IP)`` from the container's env.
    """
    if spec.native:
        return native_jobmanager_role(spec)
    ports = tuple(spec.ports.jobmanager_ports.items())
    ha = spec.high_availability.enabled
    env = (POD_IP_ENV_STANDALONE,) if ha else ()
    if spec.mode == "application":
        assert spec.job is not None
        args = standalone_job_args(spec, spec.job)
        if ha:
            # Flink 2.x's standalone-job has no --host (it would pass it to main());
            # a dynamic property works on every release.
            args = (args[0], "-Djobmanager.rpc.address=$(POD_IP)", *args[1:])
        return ProcessRole("jobmanager", args, ports, spec.job_manager, job=spec.job, env=env)
    annotations: tuple[tuple[str, str], ...] = ()
    if submitted is not None:
        annotations = ((JOB_CHECKSUM_ANNOTATION, submission_checksum(spec, submitted)),)
    # The official image's entrypoint maps "jobmanager [host]" to
    # `jobmanager.sh start-foreground [host]`: a session cluster.
    args = ("jobmanager", "$(POD_IP)") if ha else ("jobmanager",)
    return ProcessRole("jobmanager", args, ports, spec.job_manager, annotations=annotations, env=env)


def taskmanager_role(spec: FlinkClusterSpec) -> ProcessRole:
    # Standalone application: the usrlib jars are on the job's classpath as local file
    # URLs, so every TaskManager needs them too (Flink's own manifests mount them on both).
    return ProcessRole(
        component="taskmanager",
        args=("taskmanager",),
        ports=tuple(spec.ports.taskmanager_ports.items()),
        resources=spec.task_manager,
        job=spec.job if spec.mode == "application" else None,
    )


def submitter_role(spec: FlinkClusterSpec, job: JobSpec) -> ProcessRole:
    return ProcessRole(SUBMITTER_COMPONENT, flink_run_args(spec, job), (), SUBMITTER_RESOURCES, job)


def submission_checksum(spec: FlinkClusterSpec, job: JobSpec) -> str:
    """Changes whenever what the client submits changes."""
    submitted = {"image": spec.resolved_image, "args": flink_run_args(spec, job), "jar": job.jar}
    return hashlib.sha256(json.dumps(submitted, sort_keys=True).encode()).hexdigest()


def container_resources(resources: Resources) -> Obj:
    """Requests equal limits (Guaranteed QoS); the memory limit is Flink's process size."""
    amounts = {"cpu": resources.cpu, "memory": f"{resources.memory_mib}Mi"}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def config_volume_name(spec: FlinkClusterSpec) -> str:
    return NATIVE_CONFIG_VOLUME if spec.native else CONFIG_VOLUME


def config_volume(spec: FlinkClusterSpec, config: RenderedConfig) -> Obj:
    return {
        "name": config_volume_name(spec),
        "configMap": {
            "name": spec.names.config_map,
            "items": [{"key": name, "path": name} for name in sorted(config.files)],
        },
    }


def config_mount(spec: FlinkClusterSpec) -> Obj:
    return {"name": config_volume_name(spec), "mountPath": CONF_DIR, "readOnly": True}


def add_native_jobmanager_volumes(pod: Obj, spec: FlinkClusterSpec) -> Obj:
    """What Flink's native client mounts besides the configuration: the TaskManager pod
    template the JobManager builds TaskManager pods from, and (1.19+) the artifacts dir."""
    volumes: list[tuple[Obj, Obj]] = [
        (
            {
                "name": NATIVE_POD_TEMPLATE_VOLUME,
                "configMap": {
                    "name": spec.names.pod_template_config_map,
                    "items": [{"key": TASKMANAGER_POD_TEMPLATE_FILE, "path": TASKMANAGER_POD_TEMPLATE_FILE}],
                },
            },
            {"name": NATIVE_POD_TEMPLATE_VOLUME, "mountPath": POD_TEMPLATE_DIR, "readOnly": True},
        )
    ]
    if spec.version.has_user_artifacts_dir:
        volumes.append(
            (
                {"name": NATIVE_ARTIFACTS_VOLUME, "emptyDir": {}},
                {"name": NATIVE_ARTIFACTS_VOLUME, "mountPath": NATIVE_ARTIFACTS_DIR},
            )
        )
    (container,) = pod["containers"]
    container["volumeMounts"] = [*container["volumeMounts"], *(mount for _, mount in volumes)]
    pod["volumes"] = [*pod["volumes"], *(volume for volume, _ in volumes)]
    return pod


def add_job_artifacts(pod: Obj, job: JobSpec | None, pull_policy: str) -> Obj:
    """A jar URL: an init container downloads it into an emptyDir at /opt/flink/usrlib,
    mounted in every container. A jar in the image needs nothing."""
    if job is None or not jar_is_fetched(job.jar):
        return pod
    mount = {"name": USRLIB_VOLUME, "mountPath": USRLIB_DIR}
    fetch = {
        "name": FETCH_JAR_CONTAINER,
        "image": job.jar_fetch_image,
        "imagePullPolicy": pull_policy,
        "command": [
            "curl", "--fail", "--silent", "--show-error", "--location", "--retry", "5",
            "--output", job.jar_in_pod, job.jar,
        ],
        "resources": container_resources(FETCH_JAR_RESOURCES),
        "volumeMounts": [dict(mount)],
    }
    for container in pod["containers"]:
        container["volumeMounts"] = [*container["volumeMounts"], dict(mount)]
    pod["initContainers"] = [*pod.get("initContainers", []), fetch]
    pod["volumes"] = [*pod["volumes"], {"name": USRLIB_VOLUME, "emptyDir": {}}]
    return pod


def flink_container(spec: FlinkClusterSpec, role: ProcessRole) -> Obj:
    container: Obj = {
        "name": role.container_name or role.component,
        "image": spec.resolved_image,
        "imagePullPolicy": spec.image_pull_policy,
        "args": list(role.args),
        "resources": container_resources(role.resources),
        "volumeMounts": [config_mount(spec), *spec.pod.volume_mounts],
    }
    if role.command:
        container["command"] = list(role.command)
    if role.ports:
        container["ports"] = [
            {"name": name, "containerPort": port, "protocol": "TCP"} for name, port in role.ports
        ]
    env = [*role.env, *spec.pod.env]
    if env:
        container["env"] = env
    return container


def apply_pod_hooks(pod: Obj, spec: FlinkClusterSpec) -> Obj:
    """The user's scheduling and pull settings, added only when set."""
    hooks = spec.pod
    if hooks.node_selector:
        pod["nodeSelector"] = dict(hooks.node_selector)
    if hooks.tolerations:
        pod["tolerations"] = list(hooks.tolerations)
    if hooks.affinity:
        pod["affinity"] = dict(hooks.affinity)
    if hooks.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in hooks.image_pull_secrets]
    if hooks.priority_class_name is not None:
        pod["priorityClassName"] = hooks.priority_class_name
    if hooks.termination_grace_period_seconds is not None:
        pod["terminationGracePeriodSeconds"] = hooks.termination_grace_period_seconds
    return pod


# --- health: probes timed for JVM start-up, and spreading ---------------------------------
#
# Start-up: a Flink JVM takes seconds to tens of seconds to open its ports (9 to 17 s from
# process start to /config answering, measured on 2 cores by tests/flink/test_probes.py),
# more on a busy node or under a CPU limit, and a restarted JobManager under HA may wait for
# the old leader's ZooKeeper session or lease to expire before its REST API answers. A
# startup probe holds the other probes back until then; Flink's Kubernetes operator uses one
# too (on /config). Ours gives up after ``probes.startupTimeoutSeconds``
# (the operator never does), so a process that never comes up (e.g. it cannot reach its HA
# store) is restarted rather than left hanging. Every 5 s: a started JobManager is ready
# within 5 s more, while the kubelet's load stays low.
STARTUP_PERIOD_SECONDS = 5
# Readiness decides which JobManagers the Services route to (the REST Service, and the
# internal one TaskManagers dial without HA) and when a rollout goes on. /config answers once
# the REST endpoint runs and the leading JobManager is known (Flink's REST handlers refuse
# with 503 while a leader is elected), in milliseconds: 3 failures in a row (15 s), not one
# slow answer, take a JobManager out.
READINESS_PERIOD_SECONDS = 5
# Liveness restarts the container: only a closed RPC port (a process that lost its RPC
# system or hangs in shutdown) does so. The kernel accepts TCP connections even during a
# long GC pause, so a busy JVM is never killed for being slow; 3 failures 10 s apart.
LIVENESS_PERIOD_SECONDS = 10
# Longer than any healthy answer of a local port or /config; at most a period.
PROBE_TIMEOUT_SECONDS = 5
PROBE_FAILURES = 3
# The job check asks for the job every 10 s; it fails the probe once the job has not been
# RUNNING for probes.jobCheckGraceSeconds.
JOB_CHECK_PERIOD_SECONDS = 10
# The bash script reads the answer for at most this long (below the probe's timeout).
JOB_CHECK_READ_SECONDS = 4
REST_PROBE_PATH = "/config"
"""Cheap and static, and served only with a known leader (a LeaderRetrievalHandler)."""
JOB_CHECK_PATH = "/jobs"
"""Every job as ``{"id": ..., "status": ...}``: no job names, which are user text."""
HOSTNAME_TOPOLOGY = "kubernetes.io/hostname"
ZONE_TOPOLOGY = "topology.kubernetes.io/zone"
PROBED_COMPONENTS = ("jobmanager", "taskmanager")


def _failures(budget_seconds: int, period_seconds: int) -> int:
    return max(1, math.ceil(budget_seconds / period_seconds))


def probe_timing(period: int, failures: int) -> Obj:
    return {"periodSeconds": period, "timeoutSeconds": PROBE_TIMEOUT_SECONDS, "failureThreshold": failures}


def http_probe(spec: FlinkClusterSpec, path: str, period: int, failures: int) -> Obj:
    """A GET of the JobManager's REST API; HTTPS when the REST endpoint has SSL (the kubelet
    does not check the certificate)."""
    action = {"path": path, "port": spec.ports.rest, "scheme": "HTTPS" if rest_ssl_enabled(spec) else "HTTP"}
    return {"httpGet": action, **probe_timing(period, failures)}


def tcp_probe(port: int, period: int, failures: int) -> Obj:
    return {"tcpSocket": {"port": port}, **probe_timing(period, failures)}


def job_check_script(spec: FlinkClusterSpec) -> str:
    """Bash only (the official image has no curl): the RPC port accepts a connection, and
    ``GET /jobs`` on the REST port lists the job as RUNNING: the fixed job id's entry if the
    job has one, else any. Exit 0 when healthy."""
    assert spec.job is not None
    job_id = fixed_job_id(spec, spec.job)
    request = f"GET {JOB_CHECK_PATH} HTTP/1.0\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n"
    lines = [
        f"exec 3<>/dev/tcp/localhost/{spec.ports.rpc} || exit 1",
        "exec 3>&-",
        f"exec 3<>/dev/tcp/localhost/{spec.ports.rest} || exit 1",
        f"printf '{request}' >&3",
        f"IFS= read -r -d '' -t {JOB_CHECK_READ_SECONDS} response <&3",
        "[[ $response == 'HTTP/1.'[01]' 200 '* ]] || exit 1",
        "body=${response#*$'\\r\\n\\r\\n'}",
    ]
    if job_id is None:
        lines.append("[[ $body == *'\"status\":\"RUNNING\"'* ]]")
    else:
        lines += [
            "while [[ $body =~ \\{[^{}]*\\} ]]; do",
            "  job=${BASH_REMATCH[0]}",
            '  body=${body#*"$job"}',
            f"  [[ $job == *'\"id\":\"{job_id}\"'* && $job == *'\"status\":\"RUNNING\"'* ]] && exit 0",
            "done",
            "exit 1",
        ]
    return "\n".join(lines) + "\n"


def health_probes(spec: FlinkClusterSpec, component: str) -> Obj:
    """The probes of a JobManager or TaskManager container (field name -> probe); none for
    other containers, or with ``probes.enabled: false``."""
    probes = spec.probes
    if not probes.enabled or component not in PROBED_COMPONENTS:
        return {}
    startup_failures = _failures(probes.startup_timeout_seconds, STARTUP_PERIOD_SECONDS)
    if component == "taskmanager":
        port = spec.ports.task_manager_rpc
        return {
            "startupProbe": tcp_probe(port, STARTUP_PERIOD_SECONDS, startup_failures),
            "livenessProbe": tcp_probe(port, LIVENESS_PERIOD_SECONDS, PROBE_FAILURES),
        }
    liveness = tcp_probe(spec.ports.rpc, LIVENESS_PERIOD_SECONDS, PROBE_FAILURES)
    if probes.job_check:
        # One liveness probe per container: the job check includes the RPC port check.
        failures = _failures(probes.job_check_grace_seconds, JOB_CHECK_PERIOD_SECONDS)
        liveness = {
            "exec": {"command": ["bash", "-c", job_check_script(spec)]},
            **probe_timing(JOB_CHECK_PERIOD_SECONDS, failures),
        }
    return {
        "startupProbe": http_probe(spec, REST_PROBE_PATH, STARTUP_PERIOD_SECONDS, startup_failures),
        "readinessProbe": http_probe(spec, REST_PROBE_PATH, READINESS_PERIOD_SECONDS, PROBE_FAILURES),
        "livenessProbe": liveness,
    }


def add_health_probes(pod: Obj, spec: FlinkClusterSpec, component: str) -> Obj:
    (container, *_) = pod["containers"]
    container.update(health_probes(spec, component))
    return pod


def spread_constraints(spec: FlinkClusterSpec, component: str) -> list[Obj]:
    """``topologySpreadConstraints`` for the pods of one component, counting only this
    cluster's pods of that component. ``matchLabelKeys: [pod-template-hash]`` spreads each
    Deployment revision on its own, so a rollout's old pods do not skew where new ones go
    (pods without the label, Flink's native TaskManagers and a Job's, ignore it)."""
    topology = spec.spread_topology
    if topology == "none" or component not in PROBED_COMPONENTS:
        return []

    def constraint(key: str, required: bool) -> Obj:
        return {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "DoNotSchedule" if required else "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector_labels(spec.name, component)},
            "matchLabelKeys": ["pod-template-hash"],
        }

    if topology == "node":
        return [constraint(HOSTNAME_TOPOLOGY, spec.spread.required)]
    return [constraint(ZONE_TOPOLOGY, spec.spread.required), constraint(HOSTNAME_TOPOLOGY, False)]


def add_spread(pod: Obj, spec: FlinkClusterSpec, component: str) -> Obj:
    """Next to ``pod.affinity``, which the user's hooks set: the scheduler applies both."""
    constraints = spread_constraints(spec, component)
    if constraints:
        pod["topologySpreadConstraints"] = constraints
    return pod


# --- security: not root, no privileges, writable only where Flink writes ------------------

WRITABLE_DIRS = ((TMP_DIR, TMP_VOLUME), (LOG_DIR, LOG_VOLUME))
"""(mount path, emptyDir volume) in every Flink container; what Flink keeps in each: see
``flink_config.TMP_DIR``. Plugin directories come on top (``writable_dirs``)."""


def pod_security_context(run_as_user: int, run_as_group: int, fs_group: int | None) -> Obj:
    """A pod whose processes never run as root, under the container runtime's default seccomp
    profile. ``fs_group`` owns its volumes (the kubelet changes a volume's ownership only when
    its root does not match already: a large claim is not walked at every start); None for a
    pod without volumes."""
    context: Obj = {"runAsNonRoot": True, "runAsUser": run_as_user, "runAsGroup": run_as_group}
    if fs_group is not None:
        context["fsGroup"] = fs_group
        context["fsGroupChangePolicy"] = "OnRootMismatch"
    context["seccompProfile"] = {"type": "RuntimeDefault"}
    return context


def container_security_context(read_only_root_filesystem: bool = True) -> Obj:
    """No capabilities, no privilege escalation (setuid binaries such as the 1.x image's gosu
    cannot raise privileges), not root, and a read-only root filesystem."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": read_only_root_filesystem,
        "runAsNonRoot": True,
    }


def enabled_plugins(container: Obj) -> list[str]:
    """The jars the official image's entrypoint links into plugins/: the literal values of
    ``ENABLE_BUILT_IN_PLUGINS`` in the container's env, separated by ';' (or whitespace)."""
    jars: list[str] = []
    for entry in container.get("env", []):
        if entry.get("name") == PLUGINS_ENV and isinstance(entry.get("value"), str):
            jars += entry["value"].replace(";", " ").split()
    return list(dict.fromkeys(jars))


def writable_dirs(container: Obj) -> list[tuple[str, str]]:
    """(mount path, emptyDir volume) of every directory a Flink container writes to: /tmp,
    the log dir, and per enabled plugin the directory the image's entrypoint makes and links
    the jar into (``mkdir -p plugins/<jar without .jar>``, ``ln -fs opt/<jar>`` into it):
    a volume per plugin directory, not over plugins/, where the image's other plugins stay."""
    plugin_dirs = [
        (f"{PLUGINS_DIR}/{jar.removesuffix('.jar')}", f"{PLUGIN_VOLUME_PREFIX}{index}")
        for index, jar in enumerate(enabled_plugins(container))
    ]
    return [*WRITABLE_DIRS, *plugin_dirs]


def add_writable_dirs(pod: Obj) -> Obj:
    """An emptyDir at each directory the Flink container writes to (``writable_dirs``), also
    when the root filesystem is writable: the layout, and what counts as the pod's scratch
    disk (ephemeral storage), stay the same."""
    (container, *_) = pod["containers"]
    dirs = writable_dirs(container)
    pod["volumes"] = [*pod.get("volumes", []), *({"name": name, "emptyDir": {}} for _, name in dirs)]
    container["volumeMounts"] = [
        *container.get("volumeMounts", []), *({"name": name, "mountPath": path} for path, name in dirs)
    ]
    return pod


def apply_security_context(pod: Obj, spec: FlinkClusterSpec) -> Obj:
    """The pod's user, groups and seccomp profile (``pod.runAsUser``, ``runAsGroup``,
    ``fsGroup``), and the restrictions of every container, init containers included."""
    options = spec.pod
    pod["securityContext"] = pod_security_context(options.run_as_user, options.run_as_group, options.fs_group)
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        container["securityContext"] = container_security_context(options.read_only_root_filesystem)
    return pod


# --- observability: the metrics port, and the log files' volume ----------------------------

METRICS_COMPONENTS = ("jobmanager", "taskmanager")


def add_metrics_port(pod: Obj, spec: FlinkClusterSpec, component: str) -> Obj:
    """``metrics.enabled``: the Prometheus reporter's port as the named container port
    ``metrics`` of a JobManager's or TaskManager's Flink container (native TaskManagers: in
    the pod template, whose ports Flink keeps, adding its own RPC port)."""
    if not spec.metrics.enabled or component not in METRICS_COMPONENTS:
        return pod
    (container, *_) = pod["containers"]
    port = {"name": METRICS_PORT_NAME, "containerPort": spec.metrics.port, "protocol": "TCP"}
    container["ports"] = [*container.get("ports", []), port]
    return pod


def log_volume_source(spec: FlinkClusterSpec) -> Obj:
    """``logging.toFile``: the claim, or an emptyDir limited to what the rolling appender keeps
    (the current file, ``maxFiles`` rolled ones, and one file's headroom: log4j rolls after
    the write that crosses the size). A pod whose logs outgrow it is evicted, never its node's
    disk filled."""
    logging = spec.logging
    if logging.volume_claim is not None:
        return {"persistentVolumeClaim": {"claimName": logging.volume_claim}}
    limit = math.ceil((logging.max_files + 2) * logging.max_file_mib)
    return {"emptyDir": {"sizeLimit": f"{limit}Mi"}}


def add_log_volume(pod: Obj, spec: FlinkClusterSpec, component: str) -> Obj:
    """``logging.toFile``: the volume at /opt/flink/log of a JobManager's or TaskManager's
    Flink container (the one already mounted there, re-sourced, or a new one). On a claim,
    each pod writes into its own directory, named after the pod (``subPathExpr``), as native
    TaskManagers all name their file taskmanager.log."""
    if not spec.logging.to_file or component not in METRICS_COMPONENTS:
        return pod
    (container, *_) = pod["containers"]
    mounts = list(container.get("volumeMounts", []))
    index = next((i for i, m in enumerate(mounts) if m["mountPath"] == LOG_DIR), None)
    name = mounts[index]["name"] if index is not None else LOG_VOLUME
    mount: Obj = {"name": name, "mountPath": LOG_DIR}
    if spec.logging.volume_claim is not None:
        mount["subPathExpr"] = f"$({LOG_POD_NAME_ENV})"
        pod_name = {"name": LOG_POD_NAME_ENV,
                    "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}
        container["env"] = [*container.get("env", []), pod_name]
    if index is None:
        mounts.append(mount)
    else:
        mounts[index] = mount
    container["volumeMounts"] = mounts
    volume = {"name": name, **log_volume_source(spec)}
    volumes = list(pod.get("volumes", []))
    position = next((i for i, v in enumerate(volumes) if v["name"] == name), None)
    if position is None:
        volumes.append(volume)
    else:
        volumes[position] = volume
    pod["volumes"] = volumes
    return pod


def flink_pod_template(
    spec: FlinkClusterSpec,
    role: ProcessRole,
    config: RenderedConfig,
    service_account_name: str,
    automount_token: bool,
    restart_policy: str | None = None,
) -> Obj:
    """``restart_policy``: for pods of a Kubernetes Job ('OnFailure'); a Deployment's is Always."""
    pod: Obj = {
        "serviceAccountName": service_account_name,
        "automountServiceAccountToken": automount_token,
        "containers": [flink_container(spec, role)],
        "volumes": [config_volume(spec, config), *spec.pod.volumes],
    }
    if spec.native and role.component == "jobmanager":
        pod = add_native_jobmanager_volumes(pod, spec)
    pod = add_job_artifacts(pod, role.job, spec.image_pull_policy)
    if role.component != SUBMITTER_COMPONENT:
        pod = add_ha_storage(pod, spec)
    pod = apply_pod_hooks(pod, spec)
    pod = add_spread(add_health_probes(pod, spec, role.component), spec, role.component)
    pod = apply_security_context(add_writable_dirs(pod), spec)
    pod = add_log_volume(add_metrics_port(pod, spec, role.component), spec, role.component)
    if restart_policy is not None:
        pod["restartPolicy"] = restart_policy
    annotations = dict(spec.annotations)
    annotations.update(role.annotations)
    annotations[CONFIG_CHECKSUM_ANNOTATION] = config.checksum
    return {
        "metadata": {"labels": object_labels(spec, role.component), "annotations": annotations},
        "spec": pod,
    }


def taskmanager_pod_template(spec: FlinkClusterSpec, automount_token: bool = False) -> Obj:
    """Native mode: the Pod Flink's JobManager starts every TaskManager pod from.

    Flink fills in the image, command, resources, configuration volume and its own labels;
    this carries the rest: our labels and annotations, the user's env, volumes and pod
    hooks. TaskManagers call the Kubernetes API only with Kubernetes HA; otherwise they get
    no API token.
    """
    container: Obj = {"name": NATIVE_MAIN_CONTAINER}
    if spec.pod.env:
        container["env"] = list(spec.pod.env)
    if spec.pod.volume_mounts:
        container["volumeMounts"] = list(spec.pod.volume_mounts)
    pod: Obj = {"automountServiceAccountToken": automount_token, "containers": [container]}
    if spec.pod.volumes:
        pod["volumes"] = list(spec.pod.volumes)
    metadata: Obj = {"labels": common_labels(spec.name, "taskmanager", str(spec.version), spec.labels)}
    if spec.annotations:
        metadata["annotations"] = dict(spec.annotations)
    pod = apply_pod_hooks(add_ha_storage(pod, spec), spec)
    pod = add_spread(add_health_probes(pod, spec, "taskmanager"), spec, "taskmanager")
    # Flink builds each TaskManager pod on this one: it keeps our security context, volumes
    # and the main container's mounts (checked in tests/flink/test_hardened_pods.py).
    pod = apply_security_context(add_writable_dirs(pod), spec)
    pod = add_log_volume(add_metrics_port(pod, spec, "taskmanager"), spec, "taskmanager")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod}


def add_ha_storage(pod: Obj, spec: FlinkClusterSpec) -> Obj:
    """What every Flink pod needs to reach the HA storage: the shared volume at /flink-ha,
    the credentials Secret as environment (never in the ConfigMap), and the filesystem
    plugin the object store's scheme needs (the image's entrypoint enables it)."""
    ha = spec.high_availability
    if not ha.enabled:
        return pod
    (container, *_) = pod["containers"]
    if ha.volume_claim is not None:
        pod["volumes"] = [
            *pod.get("volumes", []),
            {"name": HA_STORAGE_VOLUME, "persistentVolumeClaim": {"claimName": ha.volume_claim}},
        ]
        container["volumeMounts"] = [
            *container.get("volumeMounts", []), {"name": HA_STORAGE_VOLUME, "mountPath": HA_STORAGE_MOUNT}
        ]
    if ha.credentials_secret is not None:
        container["envFrom"] = [*container.get("envFrom", []), {"secretRef": {"name": ha.credentials_secret}}]
    plugin = filesystem_plugin(ha.storage_dir, spec.flink_version)
    if plugin is not None:
        container["env"] = [*container.get("env", []), {"name": PLUGINS_ENV, "value": plugin}]
    return pod


# --- what the library builds, for the checks that run before anything is registered --------


def planned_pod_templates(spec: FlinkClusterSpec) -> list[tuple[str, Obj]]:
    """(what, pod template) of every Flink pod the library builds for ``spec``: the
    JobManager's, the TaskManagers' (native: the pod template Flink starts them from) and, per
    job, the submitter's; in per-job mode those of every job's cluster. The HA cluster id is a
    placeholder of the real one's length (``placeholder_ha_cluster_id``)."""
    per_job = spec.mode == "per-job"
    clusters = [(spec.job_cluster(job), job) for job in spec.jobs] if per_job else [(spec, None)]
    templates: list[tuple[str, Obj]] = []
    for cluster, job in clusters:
        config = render_config(cluster, placeholder_ha_cluster_id(cluster))
        account = cluster.service_account_name

        def template(role: ProcessRole) -> Obj:
            return flink_pod_template(cluster, role, config, account, False)  # noqa: B023 - used at once

        templates.append((f"{cluster.name} JobManager", template(jobmanager_role(cluster, job))))
        if cluster.native:
            templates.append((f"{cluster.name} TaskManager pod template", taskmanager_pod_template(cluster)))
        else:
            templates.append((f"{cluster.name} TaskManager", template(taskmanager_role(cluster))))
        if job is not None:
            templates.append((f"{cluster.name} submitter", template(submitter_role(cluster, job))))
    return templates


@dataclass(frozen=True)
class LibraryLayout:
    """What the library itself puts into the Flink containers of one spec: the names and
    paths a user's pod hooks must leave alone."""

    volumes: frozenset[str]
    mount_paths: frozenset[str]
    env: frozenset[str]


def _flink_containers(templates: list[tuple[str, Obj]]) -> list[Obj]:
    return [container for _, template in templates for container in template["spec"]["containers"]]


def library_layout(spec: FlinkClusterSpec) -> LibraryLayout:
    """Built, not listed: the pods of ``spec`` without the user's volumes, mounts and env.
    Volumes and mounts are read from pods that keep the user's env, since the plugins it
    enables (``ENABLE_BUILT_IN_PLUGINS``) get a directory and a volume of the library's."""

    def built(**cleared: list[Obj]) -> list[tuple[str, Obj]]:
        pod = spec.pod.model_copy(update={"volumes": [], "volume_mounts": [], **cleared})
        return planned_pod_templates(spec.model_copy(update={"pod": pod}))

    with_env = built()
    without_env = built(env=[]) if spec.pod.env else with_env
    return LibraryLayout(
        volumes=frozenset(v["name"] for _, t in with_env for v in t["spec"].get("volumes", [])),
        mount_paths=frozenset(
            m["mountPath"] for c in _flink_containers(with_env) for m in c.get("volumeMounts", [])
        ),
        env=frozenset(e["name"] for c in _flink_containers(without_env) for e in c.get("env", [])),
    )


def pod_template_file(template: Obj) -> str:
    """The native TaskManager pod template as the file Flink reads."""
    return yaml.safe_dump(template, sort_keys=True, default_flow_style=False)

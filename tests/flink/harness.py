"""Flink clusters started from the rendered Kubernetes objects, on loopback.

Every pod of a Deployment, a batch/v1 Job or an apps/v1 StatefulSet becomes a local process
started the way its image starts it: the official ``flink`` image's entrypoint with the
ConfigMap's files as its configuration, or, for the official ``zookeeper`` image, the
rendered command with a real ZooKeeper server (see below). The pods of one cluster (one
``app.kubernetes.io/instance``) share a loopback block ``127.0.B.0/24``, in start order:
ZooKeeper servers, JobManagers, TaskManagers, then the client pods (without ZooKeeper: the
JobManager is ``127.0.B.2``, the TaskManagers ``.3``, ``.4``, ...); a render with several
clusters (per-job mode) gets one block per cluster. Pods are named ``<workload>-<n>``.

What Kubernetes itself does for a pod, the harness does too (these are not rewrites): the
downward API's ``status.podIP`` (the pod's loopback IP), ``metadata.name`` and
``metadata.namespace`` in env, ``$(VAR)`` in command, args and env values expanded from the
container's env (``$$`` escapes, unknown references stay), ``HOSTNAME`` the pod name, and
cluster DNS through each JVM's hosts file: every Service by its short and qualified names
(a Service selecting several pods resolves to the first: no kube-proxy), and each pod of a
StatefulSet governed by a headless Service by ``<pod>.<service>[.<ns>[.svc[.cluster.local]]]``.
Volumes: an ``emptyDir`` is a directory per pod; a ``persistentVolumeClaim`` one directory
per claim for the whole cluster, shared by every pod naming it (ReadWriteMany, e.g. the HA
storage at /flink-ha); a StatefulSet's ``volumeClaimTemplates`` one directory per pod and
template, kept across restarts. Flink configuration values naming a path on such a volume
(``file:///flink-ha/...``) are rewritten to the directory standing for it.

Failures on purpose: ``kill(pod)`` SIGKILLs a pod's process group; ``restart(pod)`` starts
the container again with the same name, IP and volumes (the kubelet restarting a crashed
container, or a StatefulSet bringing its pod back); ``replace(pod)`` starts a new pod of a
Deployment (new name and IP, fresh directories, init containers again, the same claims);
``stop_pods(pods)`` SIGTERMs pods at once, as a deletion does. Pods stopped on purpose are
not failures for ``check_alive``.

ZooKeeper pods run Debian's ``zookeeper`` package (``ZooKeeperInstall``; the same minor
release as the rendered image is required): the rendered ``bash -c`` command itself (it
writes ``myid`` from ``$HOSTNAME`` and execs ``zkServer.sh start-foreground``) with the
volume paths in it rewritten, ``zkServer.sh`` on the PATH, the ConfigMap's ``zoo.cfg`` as a
read-only copy with ``dataDir`` on the pod's volume and ``clientPortAddress`` set to the
pod's IP (ZooKeeper binds its client port on 0.0.0.0 otherwise), and ``SERVER_JVMFLAGS``
as the image's ``zkEnv.sh`` sets it (``-Xmx${ZK_SERVER_HEAP:-1000}m``). ``ZooKeeperClient``
and ``four_letter_word`` read what the ensemble and Flink keep in it; an emptyDir at /tmp is
the pod's tmp dir. A pod's resources and scheduling are not emulated (no cgroup limits), nor
its securityContext but in hardened mode for Flink's pods (below): otherwise the processes
run as the current user.

What the official image's entrypoint does (``docker-entrypoint.sh`` of apache/flink-docker,
the same steps for 1.20 and 2.x), and what this harness does with each step:

1. ``maybe_enable_jemalloc``: ``LD_PRELOAD`` jemalloc if installed. Allocator only;
   not emulated.
2. ``copy_plugins_if_required``: links ``$ENABLE_BUILT_IN_PLUGINS`` from ``opt/`` into
   ``plugins/``. A no-op without that variable; the harness refuses a render that sets it.
3. ``prepare_configuration``: writes ``jobmanager.rpc.address: $(hostname -f)``,
   ``blob.server.port: 6124``, ``query.server.port: 6125`` (and ``$FLINK_PROPERTIES``,
   ``$TASK_MANAGER_NUMBER_OF_TASK_SLOTS``) into ``$FLINK_HOME/conf/config.yaml`` with
   ``bin/config-parser-utils.sh``, for every command. On Kubernetes that directory is the
   ConfigMap volume, which the kubelet always mounts read-only: the write fails, the
   entrypoint carries on, and Flink reads the rendered file unchanged. So the harness
   skips this step, keeps the pod's conf dir read-only, and checks after the run that it
   is unchanged. It refuses a render that sets those variables (they would be silently lost).
4. ``jobmanager [args]`` -> ``exec $FLINK_HOME/bin/jobmanager.sh start-foreground [args]``;
   ``standalone-job [args]`` -> ``exec $FLINK_HOME/bin/standalone-job.sh start-foreground [args]``;
   ``taskmanager [args]`` -> ``exec $FLINK_HOME/bin/taskmanager.sh start-foreground [args]``;
   anything else is executed as given, found on the image's ``PATH`` (``$FLINK_HOME/bin``
   first): the harness runs ``flink ...`` (``bin/flink``, the CLI) that way and refuses other
   commands. 1.x images run these through ``gosu flink`` when started as root, 2.x images as
   the image's user; with the library's securityContext (runAsUser 9999) neither steps down.
   Here they run as the current user, or in hardened mode as the pod's user.

Each pod has its own ``$FLINK_HOME`` (``<pod>/flink``), laid out like ``/opt/flink`` in the
image: ``bin`` copied, ``lib``/``opt``/``plugins`` linked to the shared distribution, ``conf``
holding the ConfigMap's files, ``log`` empty, and every ``emptyDir`` volume as an empty
directory at its mount path (``/opt/flink/usrlib`` -> ``<pod>/flink/usrlib``; ``/tmp`` is the
pod's tmp dir, ``<pod>/tmp``, which stands for the container's /tmp in any case). Files of a
custom image (the job jar baked into it) are copied into that view. Init containers run to
completion before their pod's process starts; only ``curl`` (the jar fetch) is emulated, with
the host's curl against a local server (``FileServer``) that serves the rendered URL.

A Job's pod runs to completion: exit 0 is success (``wait_for_exit``), anything else a
failure. Clients start right after the cluster processes, as on Kubernetes, where Pulumi
creates the client Job once the JobManager Deployment is rolled out: its container runs,
but Flink's REST API does not answer for seconds yet. ``flink run`` retries its REST calls
while the connection is refused (``rest.retry.max-attempts`` x ``rest.retry.delay``: 20 x
3 s by default; measured: it gives up after about 60 s and exits non-zero). A pod that
fails by itself is not restarted: Kubernetes would (a Job's ``restartPolicy: OnFailure`` up
to its ``backoffLimit``, a Deployment's always); here the test fails.

Hardened pods (``LoopbackCluster(..., hardened=True)``; needs root): every Flink pod's
process and init containers run as its securityContext says, started by ``setpriv``: its
runAsUser and runAsGroup, fsGroup as the supplementary group, no capabilities (drop: [ALL],
bounding set cleared) and no_new_privs (allowPrivilegeEscalation: false). Its
readOnlyRootFilesystem (required) and read-only ConfigMap mount become ownership: the
directories standing for its volumes (emptyDirs, /tmp among them, and claims) are owned by
its user and fsGroup (setgid, mode 2770); everything else in its view (the pod's directory,
its FLINK_HOME with the copied scripts and links into the shared distribution, the conf copy)
belongs to root and is not writable for it (``writable_directories`` lists what is). The
cluster's root and its parents must be enterable by that user (pytest's tmp_path is not).
The seccomp profile is not applied. ZooKeeper pods are not hardened.

A Flink pod's sockets bound to the wildcard address listen on its IP only, as in its own
network namespace: a preloaded ``bind()`` does that (``pod_network``; e.g. the Prometheus
reporter, which has no address option).

Everything else that differs from a pod is listed in ``Pod.rewrites`` (and each init
container's ``InitRun.rewrites``), with its reason.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit

import requests
import yaml

from pulumi_flink.layout import CONF_DIR

from .pod_network import POD_IP_VARIABLE, POD_NETWORK_REASON, PRELOAD_VARIABLE, bind_library

T = TypeVar("T")

IMAGE_FLINK_HOME = "/opt/flink"
"""``FLINK_HOME`` and ``WORKDIR`` of the official image."""
CONTAINER_TMP = "/tmp"
"""A container's /tmp: the pod's ``tmp_dir`` (the JVMs' java.io.tmpdir, FLINK_PID_DIR)."""
OFFICIAL_IMAGE = "flink:"
# The official image's entrypoint: container command -> script and its first argument.
ENTRYPOINT_COMMANDS = {
    "jobmanager": ("jobmanager.sh", "start-foreground"),
    "standalone-job": ("standalone-job.sh", "start-foreground"),
    "taskmanager": ("taskmanager.sh", "start-foreground"),
}
# Commands the entrypoint passes through that the harness runs: Flink's own, from $FLINK_HOME/bin.
PASS_THROUGH_COMMANDS = ("flink",)
# Init container commands the harness runs with the host's binary.
INIT_COMMANDS = ("curl",)
# Variables the entrypoint acts on in the steps the harness does not run (see above).
UNEMULATED_ENV = (
    "ENABLE_BUILT_IN_PLUGINS", "FLINK_PROPERTIES", "TASK_MANAGER_NUMBER_OF_TASK_SLOTS",
    "JOB_MANAGER_RPC_ADDRESS",
)
# The keys with which each process binds its listening sockets.
BIND_KEYS = {
    "jobmanager": ("jobmanager.bind-host", "rest.bind-address"),
    "taskmanager": ("taskmanager.bind-host",),
}
WILDCARDS = ("0.0.0.0", "::", "[::]")
HOST_PATH = os.environ.get("PATH", "/usr/bin:/bin")
COMPONENT_ORDER = ("zookeeper", "jobmanager", "taskmanager")
"""Start order: ZooKeeper servers, JobManagers, TaskManagers, then everything else (clients)."""
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
ZOOKEEPER_IMAGE = "zookeeper:"
"""The official ZooKeeper image: its pods run a real ZooKeeper server (see ``ZooKeeperInstall``)."""
CLUSTER_DOMAIN = "cluster.local"
FIELD_PATHS = ("status.podIP", "metadata.name", "metadata.namespace")
"""The downward-API fields the harness resolves for ``env[].valueFrom.fieldRef``."""


class ClusterError(AssertionError):
    """The cluster did not do what the test waited for; carries the processes' log tails."""


class RestError(ClusterError):
    """The REST API answered with an error status (the fixture prints the processes' logs)."""


# --- what the rendered objects say -----------------------------------------------------------

@dataclass(frozen=True)
class InitPlan:
    """One init container: what it runs and which volumes it mounts where."""

    name: str
    image: str
    command: tuple[str, ...]
    """``command`` followed by ``args``."""
    mounts: Mapping[str, str]
    """mountPath -> volume name."""
    security: SecurityPlan = field(default_factory=lambda: SecurityPlan())
    """Its securityContext, merged with the pod's."""


@dataclass(frozen=True)
class SecurityPlan:
    """What a container's securityContext (merged with its pod's) says about its process."""

    run_as_user: int | None = None
    run_as_group: int | None = None
    fs_group: int | None = None
    """The pod's: the group of its volumes, and a supplementary group of every process."""
    run_as_non_root: bool = False
    read_only_root_filesystem: bool = False
    no_new_privileges: bool = False
    """``allowPrivilegeEscalation: false``: the kernel's no_new_privs flag."""
    dropped_capabilities: tuple[str, ...] = ()

    @classmethod
    def of(cls, pod: Mapping[str, Any], container: Mapping[str, Any]) -> SecurityPlan:
        pod_context = pod.get("securityContext", {})
        context = {**pod_context, **container.get("securityContext", {})}
        for key in ("seLinuxOptions", "windowsOptions", "appArmorProfile", "procMount"):
            assert key not in context, f"securityContext.{key} is not emulated"
        return cls(
            run_as_user=context.get("runAsUser"),
            run_as_group=context.get("runAsGroup"),
            fs_group=pod_context.get("fsGroup"),
            run_as_non_root=bool(context.get("runAsNonRoot", False)),
            read_only_root_filesystem=bool(context.get("readOnlyRootFilesystem", False)),
            no_new_privileges=context.get("allowPrivilegeEscalation") is False,
            dropped_capabilities=tuple(context.get("capabilities", {}).get("drop", ())),
        )


@dataclass(frozen=True)
class PodPlan:
    """One workload's pod template, reduced to what starting its processes needs."""

    kind: Literal["Deployment", "Job", "StatefulSet"]
    workload: str
    component: str
    instance: str
    replicas: int
    restart_policy: str
    labels: Mapping[str, str]
    image: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    """The container's literal env values, in order (``$(VAR)`` references unexpanded)."""
    ports: Mapping[str, int]
    conf_files: Mapping[str, str]
    """File name in the mount -> content: the ConfigMap items the volume lists (Flink: the
    volume at /opt/flink/conf; ZooKeeper: the ConfigMap volume at ``conf_mount``)."""
    mounts: Mapping[str, str] = field(default_factory=dict)
    """The container's emptyDir mounts: mountPath -> volume name."""
    init_containers: tuple[InitPlan, ...] = ()
    command: tuple[str, ...] = ()
    """The container's ``command`` (replaces the image's entrypoint); Flink pods have none."""
    field_env: Mapping[str, str] = field(default_factory=dict)
    """env entries from the downward API: name -> fieldRef.fieldPath."""
    env_order: tuple[str, ...] = ()
    """Every env name (literal and fieldRef) in the container's order."""
    claims: Mapping[str, str] = field(default_factory=dict)
    """persistentVolumeClaim mounts: mountPath -> claimName (one volume, shared by every pod
    that names the claim)."""
    claim_templates: Mapping[str, str] = field(default_factory=dict)
    """StatefulSet volumeClaimTemplate mounts: mountPath -> template name (a claim per pod)."""
    conf_mount: str = CONF_DIR
    """Where the ConfigMap with ``conf_files`` is mounted."""
    namespace: str = "default"
    service_name: str = ""
    """A StatefulSet's governing Service: its pods are ``<pod>.<service_name>.<namespace>.svc``."""
    security: SecurityPlan = field(default_factory=lambda: SecurityPlan())
    """The main container's securityContext, merged with the pod's."""

    @property
    def deployment(self) -> str:
        """The workload's name (kept for callers written when only Deployments existed)."""
        return self.workload

    @property
    def runs_to_completion(self) -> bool:
        """A Job's pod completes (exit 0); a Deployment's or StatefulSet's runs until stopped."""
        return self.kind == "Job"

    @property
    def runtime(self) -> Literal["flink", "zookeeper"]:
        return "zookeeper" if self.image.startswith(ZOOKEEPER_IMAGE) else "flink"


@dataclass(frozen=True)
class ServicePlan:
    name: str
    selector: Mapping[str, str]
    ports: tuple[tuple[int, int | str], ...]
    """(port, targetPort) pairs."""
    namespace: str = "default"
    headless: bool = False
    """clusterIP None: the name resolves to the pods themselves, and a StatefulSet governed
    by it gets a DNS name per pod."""


def _by_kind(objects: Iterable[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def _workloads(objects: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found = [*_by_kind(objects, "Deployment"), *_by_kind(objects, "Job"), *_by_kind(objects, "StatefulSet")]
    for workload in _by_kind(objects, "Job"):
        assert workload.get("apiVersion") == "batch/v1", workload.get("apiVersion")
    for workload in _by_kind(objects, "StatefulSet"):
        assert workload.get("apiVersion") == "apps/v1", workload.get("apiVersion")
    return found


def pod_plans(objects: Sequence[Mapping[str, Any]]) -> list[PodPlan]:
    """The pods of the Deployments, Jobs and StatefulSets: Flink pods with the ConfigMap volume
    mounted at /opt/flink/conf, ZooKeeper pods with theirs where their command reads it."""
    config_maps = {o["metadata"]["name"]: o for o in _by_kind(objects, "ConfigMap")}
    plans = []
    for workload in _workloads(objects):
        name = workload["metadata"]["name"]
        template = workload["spec"]["template"]
        pod = template["spec"]
        (container,) = pod["containers"]
        zookeeper = container["image"].startswith(ZOOKEEPER_IMAGE)
        if zookeeper:
            assert container.get("command"), f"{name}: a ZooKeeper container runs its rendered command"
        else:
            assert "command" not in container, f"{name}: a command would bypass the image's entrypoint"
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for volume in volumes.values():
            if not {"configMap", "emptyDir", "persistentVolumeClaim"} & set(volume):
                raise NotImplementedError(
                    f"{name}: volume {volume['name']}: only configMap, emptyDir and persistentVolumeClaim")
        templates = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        assert not templates & set(volumes), f"{name}: a claim template and a volume share a name"
        config_mounts = [
            m for m in container.get("volumeMounts", []) if "configMap" in volumes.get(m["name"], {})
        ]
        if zookeeper:
            assert len(config_mounts) == 1, f"{name}: no single ConfigMap volume"
            conf_mount = config_mounts[0]["mountPath"]
        else:
            conf_mount = CONF_DIR
            config_mounts = [m for m in config_mounts if m["mountPath"] == CONF_DIR]
            assert len(config_mounts) == 1, f"{name}: no single volume at {CONF_DIR}"
        assert config_mounts[0].get("readOnly", False), f"the {conf_mount} mount should be read-only"
        volume = volumes[config_mounts[0]["name"]]
        data = config_maps[volume["configMap"]["name"]]["data"]
        items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in data]
        env: dict[str, str] = {}
        field_env: dict[str, str] = {}
        for entry in container.get("env", []):
            if "value" in entry:
                env[entry["name"]] = str(entry["value"])
                continue
            field_path = entry.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
            assert field_path in FIELD_PATHS, (
                f"env {entry['name']}: only literal values and the fieldRefs {FIELD_PATHS} are emulated")
            field_env[entry["name"]] = field_path
        assert "envFrom" not in container, f"{name}: envFrom is not emulated"
        restart_policy = pod.get("restartPolicy", "Always")
        if workload["kind"] == "Job":
            assert restart_policy in ("OnFailure", "Never"), f"{name}: restartPolicy {restart_policy}"
            replicas = workload["spec"].get("parallelism", 1)
        else:
            replicas = workload["spec"].get("replicas", 1)
        mounts, claims, claim_templates = _volume_mounts(name, container, volumes, templates, conf_mount)
        plans.append(PodPlan(
            kind=workload["kind"],
            workload=name,
            component=template["metadata"]["labels"][COMPONENT_LABEL],
            instance=template["metadata"]["labels"].get(INSTANCE_LABEL, ""),
            replicas=replicas,
            restart_policy=restart_policy,
            labels=template["metadata"]["labels"],
            image=container["image"],
            args=tuple(container.get("args", ())),
            env=env,
            ports={p["name"]: p["containerPort"] for p in container.get("ports", [])},
            conf_files={item["path"]: data[item["key"]] for item in items},
            mounts=mounts,
            init_containers=tuple(
                InitPlan(
                    name=init["name"],
                    image=init["image"],
                    command=(*init.get("command", ()), *init.get("args", ())),
                    mounts=_empty_dir_mounts(f"{name}/{init['name']}", init, volumes),
                    security=SecurityPlan.of(pod, init),
                )
                for init in pod.get("initContainers", [])
            ),
            command=tuple(container.get("command", ())),
            field_env=field_env,
            env_order=tuple(e["name"] for e in container.get("env", [])),
            claims=claims,
            claim_templates=claim_templates,
            conf_mount=conf_mount,
            namespace=workload["metadata"].get("namespace", "default"),
            service_name=workload["spec"].get("serviceName", "") if workload["kind"] == "StatefulSet" else "",
            security=SecurityPlan.of(pod, container),
        ))
    return plans


def _volume_mounts(
    where: str,
    container: Mapping[str, Any],
    volumes: Mapping[str, Mapping[str, Any]],
    templates: set[str],
    conf_mount: str,
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(emptyDir mounts, persistentVolumeClaim mounts, claim template mounts) of a container."""
    empty_dirs, claims, claim_templates = {}, {}, {}
    for mount in container.get("volumeMounts", []):
        if mount.get("subPath") or mount.get("subPathExpr"):
            raise NotImplementedError(f"{where}: subPath mounts are not emulated")
        if mount["name"] in templates:
            claim_templates[mount["mountPath"]] = mount["name"]
            continue
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            assert mount["mountPath"] == conf_mount, f"{where}: a ConfigMap is only emulated at {conf_mount}"
        elif "persistentVolumeClaim" in volume:
            claims[mount["mountPath"]] = volume["persistentVolumeClaim"]["claimName"]
        else:
            empty_dirs[mount["mountPath"]] = mount["name"]
    return empty_dirs, claims, claim_templates


def _empty_dir_mounts(
    where: str, container: Mapping[str, Any], volumes: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    mounts = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            assert mount["mountPath"] == CONF_DIR, f"{where}: a ConfigMap is only emulated at {CONF_DIR}"
            continue
        if "persistentVolumeClaim" in volume:
            raise NotImplementedError(f"{where}: an init container's claim mounts are not emulated")
        if mount.get("subPath") or mount.get("subPathExpr"):
            raise NotImplementedError(f"{where}: subPath mounts are not emulated")
        mounts[mount["mountPath"]] = mount["name"]
    return mounts


def expand_references(text: str, variables: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion in command, args and env values: a defined variable's
    value; ``$$`` is a literal ``$``; an undefined reference stays as written."""
    out, index = [], 0
    while index < len(text):
        if text.startswith("$$", index):
            out.append("$")
            index += 2
        elif text.startswith("$(", index) and (close := text.find(")", index + 2)) != -1:
            name = text[index + 2:close]
            out.append(variables[name] if name in variables else text[index:close + 1])
            index = close + 1
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def flat_config(conf_files: Mapping[str, str]) -> dict[str, str]:
    """The flat configuration in a conf dir's files, as plain strings (for picking rewrites)."""
    if "config.yaml" in conf_files and "flink-conf.yaml" not in conf_files:
        def flatten(prefix: str, value: object) -> Iterable[tuple[str, str]]:
            if isinstance(value, dict):
                for key, item in value.items():
                    yield from flatten(f"{prefix}.{key}" if prefix else str(key), item)
            else:
                yield prefix, str(value).lower() if isinstance(value, bool) else str(value)

        return dict(flatten("", yaml.safe_load(conf_files["config.yaml"]) or {}))
    values = {}
    for line in conf_files["flink-conf.yaml"].splitlines():  # Flink's legacy line format
        key, sep, value = line.split("#", 1)[0].partition(": ")
        if sep and key.strip():
            values[key.strip()] = value.strip()
    return values


def service_plans(objects: Sequence[Mapping[str, Any]]) -> list[ServicePlan]:
    return [
        ServicePlan(
            name=s["metadata"]["name"],
            selector=s["spec"]["selector"],
            ports=tuple((p["port"], p.get("targetPort", p["port"])) for p in s["spec"]["ports"]),
            namespace=s["metadata"].get("namespace", "default"),
            headless=s["spec"].get("clusterIP") == "None",
        )
        for s in _by_kind(objects, "Service")
    ]


# --- everything that differs from a pod, with its reason ---------------------------------------

@dataclass(frozen=True)
class Rewrite:
    kind: Literal["config", "environment", "jvm", "process", "argument", "filesystem", "file"]
    """config: a ``-D key=value`` dynamic property added to the container args right after the
    entrypoint's script (the start scripts pass them to Flink); file: a line of a mounted
    ConfigMap file changed or added in the pod's read-only copy (``key`` is ``<file>: <key>``);
    environment: a process environment variable (the process gets the container's env entries
    and these, nothing inherited); jvm: a JVM option, in ``JVM_ARGS`` (Flink: flink-console.sh
    and bin/flink put it on the java command line) or ``SERVER_JVMFLAGS`` (ZooKeeper's
    zkServer.sh); process: how the process is started (program, working directory,
    FLINK_HOME); argument: a container argument (or command element) changed or added;
    filesystem: a path of the container and the directory or file that stands for it."""
    key: str
    value: str
    rendered: str | None
    """What the render (or the image) has instead; None if nothing."""
    reason: str


@dataclass
class InitRun:
    """One init container of one pod, as run here."""

    plan: InitPlan
    output: Path
    command: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    rewrites: list[Rewrite] = field(default_factory=list)
    returncode: int | None = None
    launcher: list[str] = field(default_factory=list)
    """Hardened pods: what starts ``command`` as the container's user (``setpriv ... --``)."""


@dataclass
class Pod:
    name: str
    plan: PodPlan
    ip: str
    root: Path
    rewrites: list[Rewrite] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    init: list[InitRun] = field(default_factory=list)
    volume_dirs: dict[str, Path] = field(default_factory=dict)
    """Container mount path -> the directory standing for a persistent volume (a shared
    claim's, or the pod's own claim from a StatefulSet's template)."""
    stopped: bool = False
    """Stopped or killed on purpose (``LoopbackCluster.kill``/``stop_pods``): not a failure."""
    starts: int = 0
    """How often the container was started (a restart keeps the pod: name, IP, volumes)."""
    launcher: list[str] = field(default_factory=list)
    """Hardened pods: what starts ``command`` as the container's user (``setpriv ... --``)."""
    writable: list[Path] = field(default_factory=list)
    """Hardened pods: the directories its processes may write to, owned by its user."""

    @property
    def home(self) -> Path:
        """The pod's ``$FLINK_HOME``: what ``/opt/flink`` is in the pod."""
        return self.root / "flink"

    @property
    def conf_dir(self) -> Path:
        """The pod's copy of its ConfigMap volume (read-only, as the kubelet mounts it)."""
        return self.root / "conf" if self.plan.runtime == "zookeeper" else self.home / "conf"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def variables(self) -> dict[str, str]:
        """The container's env as Kubernetes resolves it: fieldRefs from the downward API
        (the pod's IP is its loopback IP here), ``$(VAR)`` in values expanded from the
        entries before it."""
        fields = {
            "status.podIP": self.ip, "metadata.name": self.name, "metadata.namespace": self.plan.namespace,
        }
        resolved: dict[str, str] = {}
        for name in self.plan.env_order:
            if name in self.plan.field_env:
                resolved[name] = fields[self.plan.field_env[name]]
            else:
                resolved[name] = expand_references(self.plan.env[name], resolved)
        return resolved

    def expanded(self, values: Sequence[str]) -> tuple[str, ...]:
        """Container command or args with ``$(VAR)`` expanded from the env, as the kubelet does."""
        variables = self.variables()
        return tuple(expand_references(value, variables) for value in values)

    @property
    def usrlib(self) -> Path:
        return self.home / "usrlib"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def log_dir(self) -> Path:
        return self.home / "log"

    @property
    def hosts_file(self) -> Path:
        return self.root / "hosts"

    @property
    def output(self) -> Path:
        return self.root / "stdout.log"

    @property
    def working_dir(self) -> Path:
        return Path(next(r.value for r in self.rewrites if r.kind == "process" and r.key == "cwd"))

    def config_rewrites(self) -> dict[str, str]:
        return {r.key: r.value for r in self.rewrites if r.kind == "config"}

    def local_path(self, path: str) -> Path:
        """The file that stands for the container's ``path``: on a persistent volume, in the
        container's /tmp (the pod's tmp dir), or (Flink) under /opt/flink."""
        for mount_path, local in sorted(self.volume_dirs.items(), key=lambda item: -len(item[0])):
            if PurePosixPath(path).is_relative_to(mount_path):
                relative = PurePosixPath(path).relative_to(mount_path)
                assert ".." not in relative.parts, path
                return local / relative
        if PurePosixPath(path).is_relative_to(CONTAINER_TMP):
            relative = PurePosixPath(path).relative_to(CONTAINER_TMP)
            assert ".." not in relative.parts, path
            return self.tmp_dir / relative
        if not PurePosixPath(path).is_relative_to(IMAGE_FLINK_HOME):
            raise NotImplementedError(f"{self.name}: {path}: only paths in {IMAGE_FLINK_HOME} are emulated")
        relative = PurePosixPath(path).relative_to(IMAGE_FLINK_HOME)
        assert ".." not in relative.parts, path
        return self.home / relative


def pod_rewrites(pod: Pod, rendered: Mapping[str, str], java_home: Path) -> list[Rewrite]:
    """The differences between this process and the pod on Kubernetes, but for its arguments.

    ``rendered`` is the flat configuration the pod's conf dir holds (as Flink read it).
    """
    rewrites = [
        Rewrite("config", key, pod.ip, rendered[key],
                "0.0.0.0 in a pod means the pod's own network namespace: its IP. Here every pod "
                "shares the host's, where 0.0.0.0 would listen on all host interfaces and the "
                "JobManager and TaskManagers could not each own their ports; the pod's loopback "
                "IP is what 0.0.0.0 means inside the pod.")
        for key in BIND_KEYS.get(pod.plan.component, ())
        if rendered.get(key) in WILDCARDS
    ]
    rewrites += [
        Rewrite("jvm", "-Djdk.net.hosts.file", str(pod.hosts_file), None,
                "Cluster DNS and the pod's /etc/hosts: Service names resolve to the pod they "
                "select (no kube-proxy, so each Service port must equal its container port, "
                "checked), the pod's hostname to its IP, and localhost to the pod's own sockets "
                "(its IP here, since it shares the host's loopback). The JVM's hosts file does "
                "that per process without touching /etc/hosts; the rendered addresses stay."),
        Rewrite("jvm", "-Djava.io.tmpdir", str(pod.tmp_dir), "/tmp",
                "A container's /tmp (an emptyDir where the pod mounts one) is its own; io.tmp.dirs, "
                "web.tmpdir (uploaded jars) and the TaskManager's working dir and local state "
                "default to java.io.tmpdir."),
        Rewrite("process", "FLINK_HOME", str(pod.home), IMAGE_FLINK_HOME,
                "The image's Flink installation, into which the ConfigMap (conf) and the volumes "
                "(usrlib) are mounted, is per container; here each pod gets its own directory "
                "laid out the same way: bin copied (the scripts derive FLINK_HOME from their own "
                "path with symlinks resolved, so links would lead back to the shared "
                "distribution), lib/opt/plugins linked to the shared distribution, conf the "
                "ConfigMap's files read-only, log empty. Flink looks for usrlib next to "
                "FLINK_LIB_DIR (ClusterEntrypointUtils.tryFindUserLibDirectory) and names the "
                "usrlib jars relative to the working dir, so the layout must be the image's."),
        Rewrite("process", "cwd", str(pod.home), IMAGE_FLINK_HOME,
                "The image's WORKDIR is $FLINK_HOME: the pod's FLINK_HOME here. Application mode "
                "puts usrlib jars on pipeline.classpaths as paths relative to it."),
        Rewrite("environment", "FLINK_HOME", str(pod.home), IMAGE_FLINK_HOME,
                "The image's ENV FLINK_HOME; the pod's FLINK_HOME here."),
        Rewrite("environment", "FLINK_PID_DIR", str(pod.tmp_dir), "/tmp",
                "flink-console.sh records its pid in /tmp, per container in the image."),
        Rewrite("environment", "HOSTNAME", pod.name, None,
                "Kubernetes sets it to the pod name; the scripts name log files after it."),
        Rewrite("environment", "JAVA_HOME", str(java_home), "/opt/java/openjdk",
                "The image's JDK; here the host's JDK 17."),
        Rewrite("environment", "PATH", f"{pod.home / 'bin'}{os.pathsep}{HOST_PATH}", "$FLINK_HOME/bin:$PATH",
                "The image's PATH starts with $FLINK_HOME/bin (where a pass-through 'flink' is "
                "found); the rest is the host's (bash, coreutils, java)."),
        Rewrite("environment", "HOME", str(pod.root), IMAGE_FLINK_HOME,
                "The flink user's home in the image; here the pod's directory."),
        Rewrite("environment", "LANG", "C.UTF-8", "en_US.UTF-8",
                "The image's locale may not exist on the host; C.UTF-8 always does."),
    ]
    for path, volume in sorted(pod.plan.mounts.items()):
        rewrites.append(Rewrite(
            "filesystem", path, str(pod.local_path(path)), f"emptyDir volume {volume}",
            "An emptyDir is an empty directory made for the pod, shared by its containers that "
            "mount it; here a directory at the mount path in the pod's FLINK_HOME."))
    rewrites += claim_rewrites(pod)
    rewrites += claim_config_rewrites(pod, rendered)
    return rewrites


CLAIM_REASON = (
    "A PersistentVolumeClaim is one volume, mounted by every pod that names the claim "
    "(ReadWriteMany, e.g. NFS); here one directory of the cluster per claim, the same for "
    "every such pod (and kept when a pod restarts or is replaced). The processes share the "
    "host's filesystem, so that directory has its own path instead of the mount path.")
CLAIM_TEMPLATE_REASON = (
    "A StatefulSet's volumeClaimTemplate gives each pod its own PersistentVolumeClaim "
    "(<template>-<pod>), which outlives the pod and comes back with a pod of the same name; "
    "here one directory per pod and template, kept across restarts. The processes share the "
    "host's filesystem, so that directory has its own path instead of the mount path.")


def claim_rewrites(pod: Pod) -> list[Rewrite]:
    """The persistent volumes of a pod: each mount path and the directory standing for it."""
    rewrites = [
        Rewrite("filesystem", path, str(pod.volume_dirs[path]), f"persistentVolumeClaim {claim}",
                CLAIM_REASON)
        for path, claim in sorted(pod.plan.claims.items())
    ]
    rewrites += [
        Rewrite("filesystem", path, str(pod.volume_dirs[path]),
                f"volumeClaimTemplate {template} (claim {template}-{pod.name})", CLAIM_TEMPLATE_REASON)
        for path, template in sorted(pod.plan.claim_templates.items())
    ]
    return rewrites


def _volume_path_pattern(mount_path: str) -> re.Pattern[str]:
    """A path on the volume mounted at ``mount_path``, bare or as a ``file:`` URI."""
    return re.compile(rf"^(?P<scheme>file:(?://)?)?{re.escape(mount_path)}(?P<rest>/.*)?$")


def claim_config_rewrites(pod: Pod, rendered: Mapping[str, str]) -> list[Rewrite]:
    """Flink configuration values naming a path on a persistent volume (e.g. the HA storage
    ``file:///flink-ha/ha``): the same path under the directory standing for the volume."""
    rewrites = []
    mount_paths = sorted(pod.volume_dirs, key=len, reverse=True)
    for key, value in sorted(rendered.items()):
        for mount_path in mount_paths:
            match = _volume_path_pattern(mount_path).match(value)
            if match is None:
                if mount_path in value:
                    raise NotImplementedError(f"{pod.name}: {key}: {value!r} names {mount_path} in a way "
                                              "the harness does not rewrite")
                continue
            local = f"{pod.volume_dirs[mount_path]}{match['rest'] or ''}"
            scheme = match["scheme"]
            rewrites.append(Rewrite(
                "config", key, f"file://{local}" if scheme else local, value,
                f"A path on the volume mounted at {mount_path}: the same path under the directory "
                "that stands for the volume (see its filesystem rewrite)."))
            break
    return rewrites


# --- a local server for the URLs init containers fetch ---------------------------------------

class FileServer:
    """Serves local files at the URLs a render names (all http or all https), on 127.0.0.1.

    An https server presents a certificate for the URLs' host names from a CA made for the
    test (``ca_file``). Every request is recorded with the client's address, so a test can
    tell which pod fetched what.
    """

    def __init__(self, files: Mapping[str, Path], root: Path):
        schemes = {urlsplit(url).scheme for url in files}
        assert len(schemes) == 1 and schemes <= {"http", "https"}, f"all http or all https: {sorted(files)}"
        self.scheme = schemes.pop()
        self.files = {self._key(url): Path(path) for url, path in files.items()}
        self.root = root
        self.requests: list[tuple[str, str, int]] = []
        """(url, client ip, status) of every request, in order."""
        self.ca_file: Path | None = None
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def _key(url: str) -> tuple[str, int, str]:
        parts = urlsplit(url)
        assert parts.hostname, url
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return parts.hostname, port, parts.path

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    def serves(self, url: str) -> bool:
        host, port, _ = self._key(url)
        return urlsplit(url).scheme == self.scheme and any(k[:2] == (host, port) for k in self.files)

    def connect_to(self, url: str) -> str:
        """curl's ``--connect-to`` value that sends the URL's host:port here."""
        host, port, _ = self._key(url)
        return f"{host}:{port}:127.0.0.1:{self.port}"

    def fetched_by(self, ip: str) -> list[str]:
        return [url for url, client, status in self.requests if client == ip and status == 200]

    def start(self) -> FileServer:
        server = self
        files = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host, _, port = (self.headers.get("Host") or "").partition(":")
                key = (host, int(port or (443 if server.scheme == "https" else 80)), self.path)
                path = files.get(key)
                url = f"{server.scheme}://{self.headers.get('Host')}{self.path}"
                server.requests.append((url, self.client_address[0], 200 if path else 404))
                if path is None:
                    self.send_error(404)
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/java-archive")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.scheme == "https":
            self.root.mkdir(parents=True, exist_ok=True)
            hosts = sorted({host for host, _, _ in self.files})
            cert, key = self.root / "server.pem", self.root / "server.key"
            result = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={hosts[0]}",
                 "-addext", "subjectAltName=" + ",".join(f"DNS:{h}" for h in hosts)],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                raise ClusterError(f"openssl could not make the test certificate:\n{result.stderr}")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.ca_file = cert  # self-signed: the certificate is its own CA
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- ZooKeeper ---------------------------------------------------------------------------------

ZOOKEEPER_DEFAULT_HEAP_MB = "1000"
"""``ZK_SERVER_HEAP``'s default in ZooKeeper's ``bin/zkEnv.sh`` (the image's): ``-Xmx1000m``."""
DEBIAN_ZOOKEEPER_HINT = (
    "the ZooKeeper pods run Debian's ZooKeeper server: `apt-get install zookeeper` "
    "(scripts/setup-test.sh)")


@dataclass(frozen=True)
class ZooKeeperInstall:
    """The ZooKeeper server that runs a ``zookeeper:`` image's pods: Debian's ``zookeeper``
    package (``/usr/share/zookeeper/bin/zkServer.sh``, ``/usr/share/java/zookeeper.jar``,
    whose manifest names its libraries), with slf4j-simple from ``libslf4j-java`` for logs."""

    server_script: Path
    jar: Path
    logging_jar: Path
    version: str
    source: str = "Debian's zookeeper package"

    @property
    def classpath(self) -> str:
        return f"{self.jar}{os.pathsep}{self.logging_jar}"

    @classmethod
    def find(cls) -> ZooKeeperInstall:
        script = Path("/usr/share/zookeeper/bin/zkServer.sh")
        jar = Path("/usr/share/java/zookeeper.jar")
        logging_jar = Path("/usr/share/java/slf4j-simple.jar")
        versions = sorted(
            m[1] for j in jar.parent.glob("zookeeper-*.jar")
            if (m := re.fullmatch(r"zookeeper-(\d+\.\d+\.\d+)\.jar", j.name))
        )
        missing = [str(f) for f in (script, jar, logging_jar) if not f.is_file()]
        if missing or not versions:
            raise ClusterError(f"no ZooKeeper server ({', '.join(missing) or 'no versioned jar'}): "
                               f"{DEBIAN_ZOOKEEPER_HINT}")
        return cls(script, jar, logging_jar, versions[-1])


def zookeeper_config_rewrites(pod: Pod, name: str, text: str) -> tuple[str, list[Rewrite]]:
    """The pod's copy of a ZooKeeper config file: paths on volumes under the directories
    standing for them, and the client port bound to the pod's IP."""
    lines = text.splitlines()
    rewrites = []
    mounts = sorted(pod.volume_dirs, key=len, reverse=True)
    keys = {}
    for index, line in enumerate(lines):
        key, sep, value = line.partition("=")
        if not sep or line.lstrip().startswith("#"):
            continue
        key, value = key.strip(), value.strip()
        keys[key] = index
        for mount_path in mounts:
            if value == mount_path or value.startswith(mount_path + "/"):
                local = f"{pod.volume_dirs[mount_path]}{value[len(mount_path):]}"
                lines[index] = f"{key}={local}"
                rewrites.append(Rewrite(
                    "file", f"{name}: {key}", local, value,
                    f"A path on the volume mounted at {mount_path}: the same path under the "
                    "directory standing for it."))
                break
    client_address = None
    if "clientPortAddress" in keys:
        client_address = lines[keys["clientPortAddress"]].split("=", 1)[1].strip()
    if "clientPort" in keys and client_address in (None, *WILDCARDS):
        reason = (
            "Without clientPortAddress ZooKeeper binds its client port on 0.0.0.0, which in a "
            "pod means the pod's own network namespace: its IP. Here the pods share the host's, "
            "where every server would bind the same port; the pod's loopback IP is what "
            "0.0.0.0 means inside the pod. (The quorum and election ports already bind the "
            "address of the server's own server.N line.)")
        if client_address is None:
            lines.append(f"clientPortAddress={pod.ip}")
        else:
            lines[keys["clientPortAddress"]] = f"clientPortAddress={pod.ip}"
        rewrites.append(Rewrite("file", f"{name}: clientPortAddress", pod.ip, client_address, reason))
    return "\n".join(lines) + "\n", rewrites


def four_letter_word(ip: str, port: int, word: str, timeout: float = 3) -> str:
    """A ZooKeeper four-letter-word command's answer (``srvr``, ``ruok``, ``mntr``)."""
    with socket.create_connection((ip, port), timeout=timeout) as connection:
        connection.sendall(word.encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


class ZooKeeperError(Exception):
    """A ZooKeeper request failed; ``code`` is ZooKeeper's error code (-101: no node)."""

    def __init__(self, code: int, path: str = ""):
        super().__init__(f"ZooKeeper error {code} {path}".strip())
        self.code = code


class ZooKeeperClient:
    """Just enough of ZooKeeper's client protocol (jute over TCP) to read nodes: a session,
    ``get`` and ``children``. For looking at what Flink keeps in ZooKeeper, never for
    writing."""

    NO_NODE = -101

    def __init__(self, ip: str, port: int, timeout: float = 5, session_timeout_ms: int = 10000):
        self._socket = socket.create_connection((ip, port), timeout=timeout)
        self._xid = 0
        try:
            # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly
            self._send(struct.pack(">iqiqi", 0, 0, session_timeout_ms, 0, 16) + bytes(16) + b"\0")
            reply = self._receive()
            _, negotiated, session = struct.unpack(">iiq", reply[:16])
            if negotiated <= 0:
                raise ZooKeeperError(0, "session refused")
            self.session_id = session
        except BaseException:
            self._socket.close()
            raise

    def _send(self, payload: bytes) -> None:
        self._socket.sendall(struct.pack(">i", len(payload)) + payload)

    def _read(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self._socket.recv(count - len(data))
            if not chunk:
                raise ConnectionError("ZooKeeper closed the connection")
            data += chunk
        return data

    def _receive(self) -> bytes:
        (length,) = struct.unpack(">i", self._read(4))
        return self._read(length)

    def _call(self, op: int, body: bytes, path: str = "") -> bytes:
        self._xid += 1
        self._send(struct.pack(">ii", self._xid, op) + body)
        while True:
            reply = self._receive()
            xid, _, error = struct.unpack(">iqi", reply[:16])
            if xid != self._xid:  # a ping's or a watch's reply
                continue
            if error:
                raise ZooKeeperError(error, path)
            return reply[16:]

    @staticmethod
    def _path(path: str) -> bytes:
        encoded = path.encode()
        return struct.pack(">i", len(encoded)) + encoded + b"\0"  # path, watch=false

    def get(self, path: str) -> bytes:
        reply = self._call(4, self._path(path), path)
        (length,) = struct.unpack(">i", reply[:4])
        return b"" if length < 0 else reply[4:4 + length]

    def children(self, path: str) -> list[str]:
        reply = self._call(8, self._path(path), path)
        (count,) = struct.unpack(">i", reply[:4])
        names, offset = [], 4
        for _ in range(max(count, 0)):
            (length,) = struct.unpack(">i", reply[offset:offset + 4])
            names.append(reply[offset + 4:offset + 4 + length].decode())
            offset += 4 + length
        return sorted(names)

    def exists(self, path: str) -> bool:
        try:
            self.get(path)
        except ZooKeeperError as exc:
            if exc.code == self.NO_NODE:
                return False
            raise
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._call(-11, b"")
        self._socket.close()

    def __enter__(self) -> ZooKeeperClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def flink_leader_information(data: bytes) -> tuple[str, str]:
    """(address, leader session id) of a Flink leader node
    (``<root>/<cluster-id>/leader/<component>/connection_info``): Java serialization of
    ``writeUTF(address)``, then ``writeObject(sessionId)``, a UUID whose fields come last
    (leastSigBits, mostSigBits)."""
    assert data[:4] == b"\xac\xed\x00\x05" and data[4] == 0x77, f"not Flink leader information: {data[:16]!r}"
    (length,) = struct.unpack(">H", data[6:8])
    address = data[8:8 + length].decode()
    assert b"java.util.UUID" in data, f"no leader session id: {data!r}"
    digits = (data[-8:] + data[-16:-8]).hex()
    session = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return address, session


def flink_leader_address(data: bytes) -> str:
    return flink_leader_information(data)[0]


# --- processes ---------------------------------------------------------------------------------

def entrypoint(home: Path, args: tuple[str, ...], dynamic: Sequence[str] = ()) -> list[str]:
    """``docker-entrypoint.sh ARGS`` of the official image, for the commands the library uses.

    ``dynamic`` (``-D key=value`` pairs) goes right after the script's mode, ahead of the
    arguments, where every start script's parser reads it (standalone-job's parser stops at
    the job's own arguments); for ``jobmanager HOST [WEBUIPORT]`` after those positional
    arguments, since jobmanager.sh takes ``$2`` as the host only when it is not ``-D``.
    """
    if args and args[0] in ENTRYPOINT_COMMANDS:
        script, mode = ENTRYPOINT_COMMANDS[args[0]]
        rest = list(args[1:])
        positional: list[str] = []
        if args[0] == "jobmanager":
            while rest and len(positional) < 2 and not rest[0].startswith("-"):
                positional.append(rest.pop(0))
        return [str(home / "bin" / script), mode, *positional, *dynamic, *rest]
    if args and args[0] in PASS_THROUGH_COMMANDS:
        assert not dynamic, f"{args[0]} binds nothing: no dynamic properties"
        return [str(home / "bin" / args[0]), *args[1:]]
    known = sorted([*ENTRYPOINT_COMMANDS, *PASS_THROUGH_COMMANDS])
    raise NotImplementedError(f"the harness emulates only {known}, not {args}")


HARDENED_REASON = (
    "The container runtime starts the container's process as the securityContext's user and "
    "groups (fsGroup as a supplementary group), with no_new_privs for allowPrivilegeEscalation: "
    "false and no capabilities for drop: [ALL]; here setpriv does that (the harness runs as "
    "root) and execs the command. The process can write what it could in the pod: its volumes' "
    "directories, owned by its user; everything else in its view (the pod's FLINK_HOME, the "
    "conf copy, the shared distribution) belongs to root and is not writable for it, as the "
    "read-only root filesystem and ConfigMap mount are not in the pod. The seccomp profile is "
    "not applied.")


def setpriv_launcher(security: SecurityPlan) -> list[str]:
    """``setpriv`` (util-linux) options that start a process as ``security`` says, then ``--``."""
    uid = security.run_as_user
    assert uid is not None, "a hardened process needs runAsUser"
    group = security.run_as_group or 0
    launcher = [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={group}"]
    launcher.append(f"--groups={security.fs_group}" if security.fs_group is not None else "--clear-groups")
    launcher.append("--inh-caps=-all")
    if security.dropped_capabilities:
        if set(security.dropped_capabilities) != {"ALL"}:
            raise NotImplementedError(f"capabilities.drop {security.dropped_capabilities}: only [ALL]")
        launcher.append("--bounding-set=-all")
    if security.no_new_privileges:
        launcher.append("--no-new-privs")
    return [*launcher, "--"]


def security_summary(security: SecurityPlan) -> str:
    parts = [f"runAsUser {security.run_as_user}", f"runAsGroup {security.run_as_group}"]
    if security.fs_group is not None:
        parts.append(f"fsGroup {security.fs_group}")
    if security.dropped_capabilities:
        parts.append(f"capabilities.drop {list(security.dropped_capabilities)}")
    if security.no_new_privileges:
        parts.append("allowPrivilegeEscalation false")
    if security.read_only_root_filesystem:
        parts.append("readOnlyRootFilesystem")
    return "securityContext: " + ", ".join(parts)


def _may(path: Path, uid: int, groups: set[int], bits: int) -> bool:
    """Whether ``uid`` (with ``groups``) has the permission ``bits`` (rwx as 4/2/1) on ``path``
    by its mode, as the kernel checks a non-root user (no ACLs on these directories)."""
    stat = path.lstat()
    if stat.st_uid == uid:
        return (stat.st_mode >> 6) & bits == bits
    if stat.st_gid in groups:
        return (stat.st_mode >> 3) & bits == bits
    return stat.st_mode & bits == bits


def _may_enter(path: Path, uid: int, groups: set[int]) -> bool:
    return _may(path, uid, groups, 1)


def writable_directories(root: Path, uid: int, groups: set[int]) -> list[Path]:
    """Every directory under ``root`` (symlinks not followed) in which ``uid`` may create files."""
    found = []
    for directory, subdirs, _ in os.walk(root):
        path = Path(directory)
        if _may(path, uid, groups, 3):  # write and enter
            found.append(path)
        subdirs[:] = [d for d in subdirs if not (path / d).is_symlink()]
    return found


def process_status(pid: int) -> dict[str, str]:
    """``/proc/<pid>/status`` as fields: Uid, Gid, Groups, CapEff, CapBnd, NoNewPrivs, ..."""
    text = Path(f"/proc/{pid}/status").read_text()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}


BLOCK_CLAIM_PORT = 64999
"""Held on 127.0.B.1 (no pod's address) while a cluster uses block B: test sessions running
at the same time on one machine never pick the same block (a port probe alone races)."""


def _claim_block(block: int) -> socket.socket | None:
    claim = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        claim.bind((f"127.0.{block}.1", BLOCK_CLAIM_PORT))
        claim.listen(1)
    except OSError:
        claim.close()
        return None
    return claim


def _port_free(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of every TCP socket process ``pid`` listens on (Linux /proc)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    address, port = fields[1].split(":")
                    found.add((_proc_ip(address), int(port, 16)))
    return found


def _proc_ip(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    if words[:12] == b"\0" * 10 + b"\xff\xff":  # IPv4-mapped
        return socket.inet_ntop(socket.AF_INET, words[12:])
    return socket.inet_ntop(socket.AF_INET6, words)


def _dns_names(name: str, namespace: str) -> list[str]:
    """The names of a Service (or of a StatefulSet pod, ``<pod>.<service>``) that a pod of
    the namespace resolves through its DNS search path."""
    qualified = f"{name}.{namespace}.svc"
    return [name, f"{name}.{namespace}", qualified, f"{qualified}.{CLUSTER_DOMAIN}"]


def _rank(plan: PodPlan) -> int:
    known = plan.component in COMPONENT_ORDER
    return COMPONENT_ORDER.index(plan.component) if known else len(COMPONENT_ORDER)


class LoopbackCluster:
    """The pods of the rendered clusters as local processes; see the module docstring.

    ``images``: for each custom image a pod may name, the files it adds to the official
    image (container path under /opt/flink -> local file), e.g. the job jar in usrlib.
    ``servers``: the local servers standing in for the URLs init containers fetch.
    ``zookeeper``: the ZooKeeper server that runs the pods of a ``zookeeper:`` image (default:
    ``ZooKeeperInstall.find()``, when the render has such pods).
    ``hardened``: run each Flink pod's processes as its securityContext says, writable only
    where its volumes are (see the module docstring, "Hardened pods"). Needs root, and a
    ``root`` that the pods' users can reach.
    """

    _claimed_blocks: ClassVar[set[int]] = set()
    """Blocks of clusters in this process not yet stopped (a block is picked before its
    processes bind, so a port probe alone would hand it out twice)."""

    def __init__(
        self,
        objects: Sequence[Mapping[str, Any]],
        flink_home: Path,
        java_home: Path,
        root: Path,
        *,
        images: Mapping[str, Mapping[str, Path]] | None = None,
        servers: Sequence[FileServer] = (),
        zookeeper: ZooKeeperInstall | None = None,
        hardened: bool = False,
    ):
        self.hardened = hardened
        self.flink_home = flink_home
        self.java_home = java_home
        self.root = root
        self.images = dict(images or {})
        self.servers = list(servers)
        self.plans = sorted(pod_plans(objects), key=_rank)
        self.services = service_plans(objects)
        self.instances = list(dict.fromkeys(p.instance for p in pod_plans(objects)))
        self.blocks: dict[str, int] = {}
        self._block_claims: list[socket.socket] = []
        self.pods: list[Pod] = []
        self.retired: list[Pod] = []
        """Pods replaced by new ones (``replace``): stopped, kept for their logs."""
        self.zookeeper = zookeeper
        for instance in self.instances:
            self.blocks[instance] = self._free_block([p for p in self.plans if p.instance == instance])
        self._next_host = dict.fromkeys(self.instances, 2)
        self._next_index: dict[str, int] = {}
        for plan in self.plans:
            for _ in range(plan.replicas):
                self.pods.append(self._new_pod(plan))
        for plan in self.plans:
            if plan.kind == "StatefulSet":
                governing = [s for s in self.services if s.name == plan.service_name]
                assert governing and governing[0].headless, (
                    f"StatefulSet {plan.workload}: serviceName {plan.service_name!r} is not a headless "
                    "Service, so its pods get no DNS names")

    # placement
    def _new_pod(self, plan: PodPlan) -> Pod:
        """The next pod of a workload: ``<workload>-<n>`` (a StatefulSet's names; a Deployment's
        pods have random suffixes), on the next address of its cluster's block."""
        index = self._next_index.get(plan.workload, 0)
        self._next_index[plan.workload] = index + 1
        host = self._next_host[plan.instance]
        self._next_host[plan.instance] = host + 1
        if host > 254:
            raise ClusterError(f"no address left in 127.0.{self.blocks[plan.instance]}.0/24")
        name = f"{plan.workload}-{index}"
        return Pod(name, plan, f"127.0.{self.blocks[plan.instance]}.{host}", self.root / name)

    def _free_block(self, plans: Sequence[PodPlan]) -> int:
        """A 127.0.B.0/24 where every pod's rendered ports are free (the ports stay as rendered)."""
        for block in range(0, 200):
            if block in self._claimed_blocks:
                continue
            ips = (f"127.0.{block}.{host}" for host in range(2, 2 + sum(p.replicas for p in plans)))
            ports = (p.ports.values() for p in plans for _ in range(p.replicas))
            pairs = zip(ips, ports, strict=True)
            if all(_port_free(ip, port) for ip, pod_ports in pairs for port in pod_ports):
                claim = _claim_block(block)
                if claim is None:  # another test session's cluster has it
                    continue
                self._block_claims.append(claim)
                self._claimed_blocks.add(block)
                return block
        raise ClusterError("no loopback block with the rendered ports free")

    def pods_of(self, component: str, instance: str | None = None) -> list[Pod]:
        return [
            p for p in self.pods
            if p.plan.component == component and (instance is None or p.plan.instance == instance)
        ]

    def pod_at(self, ip: str) -> Pod:
        (pod,) = [p for p in self.pods if p.ip == ip]
        return pod

    def jobmanager_of(self, instance: str) -> Pod:
        (pod,) = self.pods_of("jobmanager", instance)
        return pod

    @property
    def jobmanager(self) -> Pod:
        (pod,) = self.pods_of("jobmanager")
        return pod

    def hosts_entries(self, pod: Pod) -> list[tuple[str, str]]:
        """(ip, name) lines of the pod's hosts file: its own names, then the Services, each
        by its short and qualified names; a headless Service's StatefulSet pods each by
        ``<pod>.<service>[.<namespace>[.svc[.cluster.local]]]``. A Service that selects
        several pods resolves to the first (no kube-proxy to spread connections); the pods
        of one cluster reach each other by address where it matters (HA leaders publish
        their IP)."""
        # In a pod, localhost is the pod's own loopback, where its 0.0.0.0 sockets listen:
        # here that is the pod's IP (the JobManager uploads jobs to its BlobServer via localhost).
        entries = [(pod.ip, "localhost"), (pod.ip, pod.name), (pod.ip, socket.gethostname())]
        if pod.plan.service_name:  # hostname -f of a StatefulSet's pod
            own = _dns_names(f"{pod.name}.{pod.plan.service_name}", pod.plan.namespace)
            entries += [(pod.ip, n) for n in own]
        for service in self.services:  # one namespace: every Service resolves in every pod
            targets = [
                p for p in self.pods
                if all(p.plan.labels.get(k) == v for k, v in service.selector.items())
            ]
            assert targets, f"Service {service.name} selects no pod"
            for port, target in service.ports:
                number = targets[0].plan.ports[target] if isinstance(target, str) else target
                assert number == port, (
                    f"Service {service.name} maps {port} to {number}: resolving it to the pod "
                    "directly (no kube-proxy) would be wrong"
                )
            entries.append((targets[0].ip, service.name))
            entries += [(targets[0].ip, n) for n in _dns_names(service.name, service.namespace)[1:]]
            if service.headless:
                for member in targets:
                    if member.plan.service_name == service.name:
                        names = _dns_names(f"{member.name}.{service.name}", service.namespace)
                        entries += [(member.ip, n) for n in names]
        return entries

    # the pod's files
    def _make_home(self, pod: Pod) -> None:
        """The pod's FLINK_HOME: the image's layout over the shared distribution (see Rewrite)."""
        pod.home.mkdir(parents=True)
        for entry in sorted(self.flink_home.iterdir()):
            target = pod.home / entry.name
            if entry.name == "bin":
                target.mkdir()
                for item in sorted(entry.iterdir()):
                    if item.suffix == ".jar" or item.is_dir():
                        (target / item.name).symlink_to(item)
                    else:
                        shutil.copy2(item, target / item.name)
            elif entry.name == "lib":  # a real directory: config.sh lists it with find, without -L
                target.mkdir()
                for item in sorted(entry.iterdir()):
                    (target / item.name).symlink_to(item)
            elif entry.name not in ("conf", "log", "usrlib"):
                target.symlink_to(entry)
        pod.conf_dir.mkdir()
        for name, text in pod.plan.conf_files.items():
            conf_file = pod.conf_dir / name
            conf_file.parent.mkdir(parents=True, exist_ok=True)
            conf_file.write_text(text)
            conf_file.chmod(0o444)
        pod.conf_dir.chmod(0o555)
        pod.log_dir.mkdir()
        for mount_path in pod.plan.mounts:
            local = pod.local_path(mount_path)
            if local != pod.tmp_dir:
                self._real_directory(pod, local).mkdir(parents=True, exist_ok=True)

    def _real_directory(self, pod: Pod, path: Path) -> Path:
        """``path`` if no part of it inside the pod's FLINK_HOME leads into the shared distribution."""
        for parent in [path, *path.parents]:
            if parent == pod.home:
                return path
            assert not parent.is_symlink(), f"{path} would write into the shared distribution"
        raise AssertionError(f"{path} is outside {pod.home}")

    def _image_files(self, pod: Pod) -> list[Rewrite]:
        """Copy the files the pod's custom image adds; a volume mounted over them hides them."""
        image = pod.plan.image
        if image not in self.images:
            assert image.startswith(OFFICIAL_IMAGE), (
                f"{pod.name}: image {image} is not the official flink image; pass its files in images="
            )
            return []
        rewrites = []
        for path, source in sorted(self.images[image].items()):
            hidden = any(PurePosixPath(path).is_relative_to(m) for m in pod.plan.mounts)
            if hidden:
                continue
            target = self._real_directory(pod, pod.local_path(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            rewrites.append(Rewrite(
                "filesystem", path, str(target), f"{image}: {path}",
                f"{image} is the official image plus this file (e.g. COPY job.jar {path}); here the "
                "pod's FLINK_HOME over the distribution, with the file copied in."))
        return rewrites

    def _argument_rewrites(self, pod: Pod) -> tuple[tuple[str, ...], list[Rewrite]]:
        """Container arguments naming a path under /opt/flink, as the pod's FLINK_HOME paths."""
        args, rewrites = list(pod.expanded(pod.plan.args)), []
        for index, arg in enumerate(args):
            if arg.startswith(IMAGE_FLINK_HOME + "/"):
                args[index] = str(pod.local_path(arg))
                rewrites.append(Rewrite(
                    "argument", f"args[{index}]", args[index], arg,
                    "A path in the container's /opt/flink: the same file in the pod's FLINK_HOME."))
        return tuple(args), rewrites

    def _init_run(self, pod: Pod, plan: InitPlan) -> InitRun:
        run = InitRun(plan, pod.root / f"init-{plan.name}.log")
        program = plan.command[0] if plan.command else ""
        if program not in INIT_COMMANDS:
            raise NotImplementedError(f"{pod.name}/{plan.name}: only {INIT_COMMANDS} are emulated")
        host_program = shutil.which(program)
        assert host_program, f"{program} is not installed on this machine"
        command = list(plan.command)
        run.rewrites.append(Rewrite(
            "process", "program", host_program, f"{plan.image}: {program}",
            f"The init container's image runs {program}; here the host's {program}."))
        local_dirs = {}
        for path, volume in plan.mounts.items():
            local = self._init_volume_dir(pod, volume)
            local.mkdir(parents=True, exist_ok=True)
            local_dirs[path] = local
        for index, arg in enumerate(plan.command):
            for path, local in local_dirs.items():
                if arg == path or arg.startswith(path + "/"):
                    command[index] = str(local / PurePosixPath(arg).relative_to(path))
                    run.rewrites.append(Rewrite(
                        "argument", f"command[{index}]", command[index], arg,
                        "A path in the init container's volume mount: the volume's directory."))
        urls = [arg for arg in plan.command if arg.startswith(("http://", "https://"))]
        inserted: list[str] = []
        environment = {"PATH": HOST_PATH, "HOME": str(pod.root), "LANG": "C.UTF-8"}
        run.rewrites += [
            Rewrite("environment", "PATH", environment["PATH"], None, "The image's PATH; here the host's."),
            Rewrite("environment", "HOME", environment["HOME"], None, "The image user's home; the pod's."),
            Rewrite("process", "cwd", str(pod.root), None, "The image's WORKDIR; the pod's directory."),
        ]
        if urls:
            inserted += ["--interface", pod.ip]
            run.rewrites.append(Rewrite(
                "argument", "--interface", pod.ip, None,
                "An init container shares its pod's network namespace, so its requests come "
                "from the pod's IP; here curl binds the pod's loopback IP (the server records it)."))
        for url in urls:
            server = next((s for s in self.servers if s.serves(url)), None)
            assert server is not None, f"{pod.name}/{plan.name}: no local server for {url}"
            inserted += ["--connect-to", server.connect_to(url)]
            run.rewrites.append(Rewrite(
                "argument", "--connect-to", server.connect_to(url), None,
                "DNS and the network outside the cluster: curl connects to the test's local "
                "server instead of the URL's host, and keeps the URL as rendered (path, Host "
                "header, TLS server name checked against the certificate)."))
            if server.ca_file is not None:
                environment["CURL_CA_BUNDLE"] = str(server.ca_file)
                run.rewrites.append(Rewrite(
                    "environment", "CURL_CA_BUNDLE", str(server.ca_file), None,
                    "The image trusts the public CAs that sign the real server's certificate; "
                    "the test's server has a certificate from its own CA."))
        run.command = [host_program, *inserted, *command[1:]]
        run.environment = environment
        return run

    # start and stop
    def prepare(self) -> None:
        """Write every pod's directory: its FLINK_HOME (or ZooKeeper's files), the hosts
        file, tmp, its volumes; plan its processes."""
        for pod in self.pods:
            self._prepare(pod)

    def _prepare(self, pod: Pod) -> None:
        for variable in UNEMULATED_ENV:
            assert variable not in pod.plan.env, f"{variable} is not emulated by the harness"
        pod.root.mkdir(parents=True)
        pod.tmp_dir.mkdir()
        self._attach_volumes(pod)
        self._write_hosts(pod)
        if pod.plan.runtime == "zookeeper":
            self._prepare_zookeeper(pod)
            return
        rendered = flat_config(pod.plan.conf_files)
        self._make_home(pod)
        pod.rewrites = pod_rewrites(pod, rendered, self.java_home)
        pod.rewrites += self._pod_network(pod)
        pod.rewrites += self._image_files(pod)
        args, argument_rewrites = self._argument_rewrites(pod)
        pod.rewrites += argument_rewrites
        dynamic = [
            arg for key, value in pod.config_rewrites().items() for arg in ("-D", f"{key}={value}")
        ]
        pod.command = entrypoint(pod.home, args, dynamic)
        env = pod.variables()
        env.update({r.key: r.value for r in pod.rewrites if r.kind == "environment"})
        env["JVM_ARGS"] = " ".join(f"{r.key}={r.value}" for r in pod.rewrites if r.kind == "jvm")
        pod.environment = env
        pod.init = [self._init_run(pod, plan) for plan in pod.plan.init_containers]
        if self.hardened:
            self._harden(pod)

    @staticmethod
    def _init_volume_dir(pod: Pod, volume: str) -> Path:
        """The directory of an emptyDir an init container mounts: the main container's, if it
        mounts it too, else one of the pod's own."""
        main_path = next((p for p, v in pod.plan.mounts.items() if v == volume), None)
        return pod.local_path(main_path) if main_path else pod.root / "volumes" / volume

    def _harden(self, pod: Pod) -> None:
        """A Flink pod as its securityContext says (see "Hardened pods" in the module
        docstring): its volumes' directories owned by its user (group: fsGroup), everything
        else in its view left to root and not writable, and its process and init containers
        started by ``setpriv`` with its user, groups, no capabilities and no_new_privs."""
        security = pod.plan.security
        if os.geteuid() != 0:
            raise ClusterError("hardened pods run as their securityContext's user: that takes root")
        if not security.read_only_root_filesystem:
            raise NotImplementedError(f"{pod.name}: hardened pods emulate a read-only root filesystem only")
        uid = security.run_as_user
        assert uid and security.run_as_non_root, f"{pod.name}: runAsNonRoot and a non-root runAsUser"
        group = security.fs_group if security.fs_group is not None else security.run_as_group or 0
        writable = [pod.local_path(path) for path in pod.plan.mounts]
        writable += [pod.volume_dirs[path] for path in (*pod.plan.claims, *pod.plan.claim_templates)]
        writable += [self._init_volume_dir(pod, v) for run in pod.init for v in run.plan.mounts.values()]
        pod.writable = list(dict.fromkeys(writable))
        for directory in pod.writable:
            # The kubelet makes an emptyDir (and, with fsGroup, a claim's root) group-owned by
            # fsGroup with the setgid bit, so the files created in it keep that group.
            os.chown(directory, uid, group)
            directory.chmod(0o2770)
        groups = {security.run_as_group or 0, *(g for g in (security.fs_group,) if g is not None)}
        unreachable = [p for p in (pod.root, *pod.root.parents) if not _may_enter(p, uid, groups)]
        if unreachable:
            raise ClusterError(
                f"{pod.name}: user {uid} cannot reach {unreachable[0]}: put the cluster's root where "
                "the pods' users can enter every parent directory")
        for run, plan_security in [(None, security), *((r, r.plan.security) for r in pod.init)]:
            launcher = setpriv_launcher(plan_security)
            rewrite = Rewrite(
                "process", "user", " ".join(launcher[1:-1]), security_summary(plan_security), HARDENED_REASON)
            if run is None:
                pod.launcher = launcher
                pod.rewrites.append(rewrite)
            else:
                run.launcher = launcher
                run.rewrites.append(rewrite)

    def _pod_network(self, pod: Pod) -> list[Rewrite]:
        """Wildcard binds on the pod's IP only, as in the pod's own network namespace (see
        ``pod_network``)."""
        library = bind_library(self.root)
        return [
            Rewrite("environment", PRELOAD_VARIABLE, str(library), None, POD_NETWORK_REASON),
            Rewrite("environment", POD_IP_VARIABLE, pod.ip, None, POD_NETWORK_REASON),
        ]

    def _write_hosts(self, pod: Pod) -> None:
        pod.hosts_file.write_text("".join(f"{ip} {name}\n" for ip, name in self.hosts_entries(pod)))

    def _attach_volumes(self, pod: Pod) -> None:
        """The directories standing for the pod's persistent volumes: one per claim for the
        whole cluster, one per StatefulSet pod and claim template (see ``CLAIM_REASON``)."""
        volumes = self.root / "volumes"
        for mount_path, claim in pod.plan.claims.items():
            pod.volume_dirs[mount_path] = volumes / f"pvc-{claim}"
        for mount_path, template in pod.plan.claim_templates.items():
            pod.volume_dirs[mount_path] = volumes / f"pvc-{template}-{pod.name}"
        for directory in pod.volume_dirs.values():
            directory.mkdir(parents=True, exist_ok=True)

    def claim_dir(self, claim: str) -> Path:
        """The directory standing for a PersistentVolumeClaim (shared by the pods naming it)."""
        return self.root / "volumes" / f"pvc-{claim}"

    def _zookeeper_install(self) -> ZooKeeperInstall:
        if self.zookeeper is None:
            self.zookeeper = ZooKeeperInstall.find()
        return self.zookeeper

    def _prepare_zookeeper(self, pod: Pod) -> None:
        """A ZooKeeper pod: the rendered command, run by bash as in the container, with the
        ConfigMap's files as a read-only copy (with the listed file rewrites), the claim
        template's volume at its mount, and ZooKeeper's own zkServer.sh on the PATH."""
        install = self._zookeeper_install()
        plan = pod.plan
        image_version = plan.image.split(":", 1)[1]
        assert image_version.split(".")[:2] == install.version.split(".")[:2], (
            f"{pod.name}: the render runs ZooKeeper {image_version}, this machine has {install.version}: "
            "a server of another minor release may read the configuration differently")
        if set(plan.mounts) - {CONTAINER_TMP}:
            raise NotImplementedError(f"{pod.name}: emptyDir volumes of a ZooKeeper pod are emulated at "
                                      f"{CONTAINER_TMP} only")
        rewrites = claim_rewrites(pod)
        rewrites += [
            Rewrite("filesystem", path, str(pod.local_path(path)), f"emptyDir volume {volume}",
                    "An emptyDir is a directory made for the pod: its /tmp here, the JVM's "
                    "java.io.tmpdir.")
            for path, volume in sorted(plan.mounts.items())
        ]
        pod.volume_dirs[plan.conf_mount] = pod.conf_dir
        rewrites.append(Rewrite(
            "filesystem", plan.conf_mount, str(pod.conf_dir), "configMap volume (read-only)",
            "The kubelet mounts the ConfigMap read-only; here a read-only copy of its files, "
            "with the listed file rewrites."))
        pod.conf_dir.mkdir()
        for name, text in plan.conf_files.items():
            if name.endswith(".cfg"):
                text, file_rewrites = zookeeper_config_rewrites(pod, name, text)
                rewrites += file_rewrites
            conf_file = pod.conf_dir / name
            conf_file.write_text(text)
            conf_file.chmod(0o444)
        pod.conf_dir.chmod(0o555)
        bin_dir = pod.root / "bin"
        bin_dir.mkdir()
        shutil.copy2(install.server_script, bin_dir / "zkServer.sh")
        (bin_dir / "zkEnv.sh").write_text(
            "# zkServer.sh sources this; the harness passes the image's settings as environment\n"
            "# (and sets SERVER_JVMFLAGS as the image's zkEnv.sh does, with -Xmx${ZK_SERVER_HEAP:-1000}m).\n")
        log_dir = pod.root / "logs"
        log_dir.mkdir()
        (program, flag, *rest) = pod.expanded(plan.command)
        if program not in ("bash", "/bin/bash", "sh", "/bin/sh") or flag != "-c":
            raise NotImplementedError(f"{pod.name}: only 'bash -c SCRIPT' is emulated, not {plan.command}")
        host_bash = shutil.which("bash") or "/bin/bash"
        rewrites.append(Rewrite(
            "process", "program", host_bash, f"{plan.image}: {program}",
            "The image's shell runs the command; here the host's bash."))
        command = [host_bash, "-c", *rest]
        mounts = sorted(pod.volume_dirs, key=len, reverse=True)
        for index, arg in enumerate(rest, start=2):
            changed = re.sub(
                rf"(?<![\w./-])({'|'.join(re.escape(m) for m in mounts)})(?=/|\s|$|[;&|'\"])",
                lambda match: str(pod.volume_dirs[match[1]]), arg)
            if changed != arg:
                command[index] = changed
                rewrites.append(Rewrite(
                    "argument", f"command[{index}]", changed, arg,
                    "Paths on the container's volume mounts: the directories standing for them."))
        java = self.java_home / "bin" / "java"
        jvm = {
            "-Djdk.net.hosts.file": str(pod.hosts_file),
            "-Djava.io.tmpdir": str(pod.tmp_dir),
        }
        rewrites += [
            Rewrite("process", "zkServer.sh", str(bin_dir / "zkServer.sh"), f"{plan.image}: zkServer.sh",
                    f"The image's ZooKeeper {image_version} on its PATH; here ZooKeeper {install.version} "
                    f"from {install.source} (its zkServer.sh, with the image's settings passed as "
                    "environment variables below instead of its zkEnv.sh)."),
            Rewrite("environment", "PATH", f"{bin_dir}{os.pathsep}{HOST_PATH}",
                    "the image's PATH with ZooKeeper's bin",
                    "zkServer.sh found on the PATH as in the image; the rest is the host's."),
            Rewrite("environment", "HOSTNAME", pod.name, None,
                    "Kubernetes sets it to the pod name; the rendered command derives the server "
                    "id (myid) from it."),
            Rewrite("environment", "ZOOCFGDIR", str(pod.conf_dir), plan.conf_mount,
                    "The image's ZOOCFGDIR, where the ConfigMap is mounted."),
            Rewrite("environment", "ZOO_LOG_DIR", str(log_dir), "/logs",
                    "The image's ZOO_LOG_DIR; the pod's."),
            Rewrite("environment", "JAVA", str(java), "the image's JRE",
                    "The image's JRE; here the host's JDK 17."),
            Rewrite("environment", "JAVA_HOME", str(self.java_home), "the image's JRE", "As JAVA."),
            Rewrite("environment", "CLASSPATH", f"{pod.conf_dir}{os.pathsep}{install.classpath}",
                    "$ZOOCFGDIR and the image's lib/*.jar",
                    "The conf dir, then ZooKeeper's jars, as the image's zkEnv.sh puts them; with "
                    "slf4j-simple, which logs INFO to the console, where the image logs through "
                    "logback (its logback.xml is in the image's /conf: a ConfigMap mounted there "
                    "hides it, and logback's fallback logs DEBUG to the console)."),
            Rewrite("environment", "HOME", str(pod.root), None,
                    "The image user's home; the pod's directory."),
            Rewrite("environment", "LANG", "C.UTF-8", None, "A locale that always exists."),
            Rewrite("process", "cwd", str(pod.root), "the image's WORKDIR", "The pod's directory."),
            Rewrite("jvm", "-Djdk.net.hosts.file", jvm["-Djdk.net.hosts.file"], None,
                    "Cluster DNS: the peers' StatefulSet pod names (server.N lines) resolve to their "
                    "loopback IPs; each server binds its quorum and election ports to the address "
                    "its own server.N line resolves to, its pod IP."),
            Rewrite("jvm", "-Djava.io.tmpdir", jvm["-Djava.io.tmpdir"], "/tmp",
                    "A container's /tmp is its own."),
        ]
        pod.rewrites = rewrites
        pod.command = command
        env = pod.variables()
        env.update({r.key: r.value for r in rewrites if r.kind == "environment"})
        # The image's zkEnv.sh: SERVER_JVMFLAGS="-Xmx${ZK_SERVER_HEAP:-1000}m $SERVER_JVMFLAGS"
        # (zkServer.sh then adds $JVMFLAGS from the container's env itself).
        heap = env.get("ZK_SERVER_HEAP", ZOOKEEPER_DEFAULT_HEAP_MB)
        env["SERVER_JVMFLAGS"] = " ".join(filter(None, [
            f"-Xmx{heap}m", env.get("SERVER_JVMFLAGS", ""),
            *(f"{r.key}={r.value}" for r in rewrites if r.kind == "jvm"),
        ]))
        pod.environment = env

    def all_rewrites(self, pod: Pod) -> list[Rewrite]:
        return [*pod.rewrites, *(r for run in pod.init for r in run.rewrites)]

    def start(self) -> None:
        """Per pod, in order (ZooKeeper, JobManagers, TaskManagers, clients): its init
        containers to completion, then its process. ZooKeeper servers wait for a quorum,
        Flink's processes retry until ZooKeeper or the JobManager answers, and ``flink run``
        retries until its REST API does."""
        for pod in self.pods:
            self._start(pod, init=True)

    def start_pod(self, pod: Pod) -> None:
        """Start one prepared pod (init containers, then its process): a pod scheduled late."""
        assert pod.process is None, f"{pod.name} was started before; use restart"
        self._start(pod, init=True)

    def _start(self, pod: Pod, *, init: bool) -> None:
        if init:
            for run in pod.init:
                with run.output.open("wb") as out:
                    result = subprocess.run(
                        [*run.launcher, *run.command], cwd=pod.root, env=run.environment, stdout=out,
                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120, check=False,
                    )
                run.returncode = result.returncode
                if result.returncode != 0:
                    raise ClusterError(
                        f"{pod.name}: init container {run.plan.name} exited with {result.returncode}: "
                        f"{run.output.read_text(errors='replace')[-4000:]}"
                    )
        with pod.output.open("ab") as out:
            if pod.starts:
                out.write(f"----- harness: container restarted ({pod.starts + 1}. start)\n".encode())
                out.flush()
            pod.process = subprocess.Popen(
                [*pod.launcher, *pod.command], cwd=pod.working_dir, env=pod.environment, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        pod.starts += 1
        pod.stopped = False

    def kill(self, pod: Pod) -> float:
        """SIGKILL the pod's processes (a crash, an OOM kill, a lost node); the time of the
        kill (``time.monotonic()``). The pod stays down until ``restart`` or ``replace``."""
        assert pod.process is not None and pod.alive, f"{pod.name} is not running"
        pod.stopped = True
        killed = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pod.process.pid, signal.SIGKILL)
        _stop(pod.process, 10)
        return killed

    def stop_pods(self, pods: Iterable[Pod], timeout: float = 30) -> dict[str, int | None]:
        """Stop pods as Kubernetes deletes them: SIGTERM to all at once, then SIGKILL to
        what still runs after ``timeout`` (the grace period)."""
        pods = list(pods)
        for pod in pods:
            pod.stopped = True
            if pod.alive:
                assert pod.process is not None
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pod.process.pid, signal.SIGTERM)
        return {pod.name: _stop(pod.process, timeout) if pod.process else None for pod in pods}

    def restart(self, pod: Pod) -> None:
        """Start a stopped pod's container again, as the kubelet restarts a container that
        died (restartPolicy Always) or a StatefulSet brings back its pod: the same name,
        address and volumes (an emptyDir at /tmp keeps its files: it lives as long as the pod);
        otherwise a fresh /tmp; no init containers. (A recreated StatefulSet pod would get a
        new IP under its stable DNS name; here it keeps its IP.)"""
        assert not pod.alive, f"{pod.name} is still running"
        if CONTAINER_TMP not in pod.plan.mounts:  # the container's own /tmp starts empty
            shutil.rmtree(pod.tmp_dir, ignore_errors=True)
            pod.tmp_dir.mkdir()
        self._write_hosts(pod)
        self._start(pod, init=False)

    def replace(self, pod: Pod) -> Pod:
        """A new pod for a stopped Deployment pod, as its ReplicaSet creates one: a new name
        and address, fresh directories, init containers run again; the same claims. The old
        pod is retired (kept for its logs)."""
        assert not pod.alive, f"{pod.name} is still running"
        assert pod.plan.kind == "Deployment", f"{pod.name}: only a Deployment's pods are replaced"
        new = self._new_pod(pod.plan)
        for port in new.plan.ports.values():
            if not _port_free(new.ip, port):
                raise ClusterError(f"{new.ip}:{port} is taken")
        self.pods[self.pods.index(pod)] = new
        self.retired.append(pod)
        self._prepare(new)
        self._start(new, init=True)
        return new

    def stop(self, timeout: float = 30) -> dict[str, int | None]:
        """SIGTERM every process we started (clients, TaskManagers, JobManagers, then
        ZooKeeper), wait, SIGKILL what is left."""
        codes: dict[str, int | None] = {}
        for pod in [*reversed(self.pods), *self.retired]:
            codes[pod.name] = _stop(pod.process, timeout) if pod.process else None
        self._claimed_blocks.difference_update(self.blocks.values())
        for claim in self._block_claims:
            claim.close()
        self._block_claims.clear()
        return codes

    def check_alive(self) -> None:
        """Fail if a pod's process ended, unless it is a Job's pod that completed (exit 0) or
        a pod stopped on purpose."""
        for pod in self.pods:
            if pod.process is None or pod.stopped or pod.process.poll() is None:
                continue
            if pod.plan.runs_to_completion and pod.process.returncode == 0:
                continue
            raise ClusterError(f"{pod.name} exited with {pod.process.returncode}\n{self.diagnostics()}")

    def wait_for_exit(self, pod: Pod, timeout: float) -> int:
        """Wait for a pod's process to end (a Job's pod completing); its exit code."""
        assert pod.process is not None, f"{pod.name} was not started"
        try:
            return pod.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{pod.name} runs after {timeout:.0f}s\n{self.diagnostics()}") from None

    # observation
    def rest_url_of(self, instance: str) -> str:
        jm = self.jobmanager_of(instance)
        return f"http://{jm.ip}:{jm.plan.ports['rest']}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.jobmanager.ip}:{self.jobmanager.plan.ports['rest']}"

    def rest(
        self, method: str, path: str, *, instance: str | None = None, pod: Pod | None = None, **kwargs: Any
    ) -> Any:
        """A REST call to the JobManager (of ``instance``, or the JobManager ``pod``)."""
        if pod is not None:
            base = f"http://{pod.ip}:{pod.plan.ports['rest']}"
        else:
            base = self.rest_url if instance is None else self.rest_url_of(instance)
        response = requests.request(method, base + path, timeout=10, **kwargs)
        if response.status_code >= 400:
            raise RestError(f"{method} {path}: HTTP {response.status_code}: {response.text[:20000]}")
        return response.json() if response.content else None

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float) -> T:
        """Poll ``probe`` until it returns a truthy value; fail on deadline or a dead process."""
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            self.check_alive()
            try:
                value = probe()
            except (requests.RequestException, RestError, KeyError, ValueError) as exc:
                value, last = None, exc
            if value:
                return value
            if time.monotonic() > deadline:
                raise ClusterError(f"no {what} after {timeout:.0f}s (last: {last!r})\n{self.diagnostics()}")
            time.sleep(0.25)

    def zookeeper_mode(self, pod: Pod) -> str | None:
        """A ZooKeeper server's role (``srvr``): 'leader', 'follower', or None if it serves none."""
        try:
            text = four_letter_word(pod.ip, pod.plan.ports.get("client", 2181), "srvr")
        except OSError:
            return None
        match = re.search(r"^Mode: (\w+)", text, re.M)
        return match[1] if match else None

    def zookeeper_quorum(self) -> dict[str, str] | None:
        """Every running ZooKeeper pod's mode, once they form a quorum with one leader."""
        modes = {p.name: self.zookeeper_mode(p) for p in self.pods_of("zookeeper") if not p.stopped}
        leaders = [n for n, m in modes.items() if m == "leader"]
        if len(leaders) == 1 and all(m in ("leader", "follower") for m in modes.values()):
            return {n: str(m) for n, m in modes.items()}
        return None

    def zookeeper_client(self) -> ZooKeeperClient:
        """A session with the first ZooKeeper pod that accepts one (close it after use)."""
        errors = []
        for pod in self.pods_of("zookeeper"):
            if pod.stopped:
                continue
            try:
                return ZooKeeperClient(pod.ip, pod.plan.ports.get("client", 2181))
            except (OSError, ZooKeeperError) as exc:
                errors.append(f"{pod.name}: {exc!r}")
        raise ClusterError(f"no ZooKeeper server accepts a session: {errors}")

    def diagnostics(self, lines: int = 60) -> str:
        parts = []
        for pod in [*self.pods, *self.retired]:
            for run in pod.init:
                text = run.output.read_text(errors="replace") if run.output.exists() else ""
                parts.append(
                    f"----- {pod.name} init {run.plan.name} (exit {run.returncode}):\n{text[-2000:]}")
            text = pod.output.read_text(errors="replace") if pod.output.exists() else ""
            tail = "\n".join(text.splitlines()[-lines:])
            state = "not started" if pod.process is None else f"exit {pod.process.poll()}"
            state += ", stopped on purpose" if pod.stopped else ""
            parts.append(f"----- {pod.name} ({pod.ip}, {state}): last {lines} lines of {pod.output}\n{tail}")
        return "\n".join(parts)

    def remove(self) -> None:
        """Make the read-only conf dirs writable again so tmp_path can be cleaned."""
        for pod in [*self.pods, *self.retired]:
            if pod.conf_dir.exists():
                pod.conf_dir.chmod(0o755)
        shutil.rmtree(self.root, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    group = process.pid  # start_new_session: the group of this process and its children
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            process.wait(10)
    # Children left in our group (e.g. a BashJavaUtils JVM if stopped during start-up).
    for leftover in _group_members(group):
        with contextlib.suppress(ProcessLookupError):
            os.kill(leftover, signal.SIGKILL)
    return process.returncode


def _group_members(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and int(stat.parent.name) != group:
                members.append(int(stat.parent.name))
    return members

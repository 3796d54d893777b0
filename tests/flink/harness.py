"""Flink clusters started from the rendered Kubernetes objects, on loopback.

Every pod of a Deployment or a batch/v1 Job becomes a local process started the way the
official ``flink`` image starts it, with the ConfigMap's files as its configuration. The
pods of one cluster (one ``app.kubernetes.io/instance``) share a loopback block
``127.0.B.0/24``: JobManager ``127.0.B.2``, TaskManagers ``.3``, ``.4``, ..., then the
client pods; a render with several clusters (per-job mode) gets one block per cluster.

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
   the image's user; here they run as the current user.

Each pod has its own ``$FLINK_HOME`` (``<pod>/flink``), laid out like ``/opt/flink`` in the
image: ``bin`` copied, ``lib``/``opt``/``plugins`` linked to the shared distribution, ``conf``
holding the ConfigMap's files, ``log`` empty, and every ``emptyDir`` volume as an empty
directory at its mount path (``/opt/flink/usrlib`` -> ``<pod>/flink/usrlib``). Files of a
custom image (the job jar baked into it) are copied into that view. Init containers run to
completion before their pod's process starts; only ``curl`` (the jar fetch) is emulated, with
the host's curl against a local server (``FileServer``) that serves the rendered URL.

A Job's pod runs to completion: exit 0 is success (``wait_for_exit``), anything else a
failure. Clients start right after the cluster processes, as on Kubernetes, where Pulumi
creates the client Job once the JobManager Deployment is rolled out: its container runs,
but Flink's REST API does not answer for seconds yet. ``flink run`` retries its REST calls
while the connection is refused (``rest.retry.max-attempts`` x ``rest.retry.delay``: 20 x
3 s by default; measured: it gives up after about 60 s and exits non-zero). A pod that
fails is not restarted: Kubernetes would (a Job's ``restartPolicy: OnFailure`` up to its
``backoffLimit``, a Deployment's always); here the test fails.

Everything else that differs from a pod is listed in ``Pod.rewrites`` (and each init
container's ``InitRun.rewrites``), with its reason.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import ssl
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

from pulumi_flink.flink_config import CONF_DIR

T = TypeVar("T")

IMAGE_FLINK_HOME = "/opt/flink"
"""``FLINK_HOME`` and ``WORKDIR`` of the official image."""
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
COMPONENT_ORDER = ("jobmanager", "taskmanager")
"""Start order: JobManagers, TaskManagers, then everything else (clients)."""
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"


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


@dataclass(frozen=True)
class PodPlan:
    """One workload's pod template, reduced to what starting its processes needs."""

    kind: Literal["Deployment", "Job"]
    workload: str
    component: str
    instance: str
    replicas: int
    restart_policy: str
    labels: Mapping[str, str]
    image: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    ports: Mapping[str, int]
    conf_files: Mapping[str, str]
    """File name in the mount -> content: the ConfigMap items the volume lists."""
    mounts: Mapping[str, str] = field(default_factory=dict)
    """The Flink container's emptyDir mounts: mountPath -> volume name."""
    init_containers: tuple[InitPlan, ...] = ()

    @property
    def deployment(self) -> str:
        """The workload's name (kept for callers written when only Deployments existed)."""
        return self.workload

    @property
    def runs_to_completion(self) -> bool:
        """A Job's pod completes (exit 0); a Deployment's pod runs until stopped."""
        return self.kind == "Job"


@dataclass(frozen=True)
class ServicePlan:
    name: str
    selector: Mapping[str, str]
    ports: tuple[tuple[int, int | str], ...]
    """(port, targetPort) pairs."""


def _by_kind(objects: Iterable[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def _workloads(objects: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found = [*_by_kind(objects, "Deployment"), *_by_kind(objects, "Job")]
    for workload in _by_kind(objects, "Job"):
        assert workload.get("apiVersion") == "batch/v1", workload.get("apiVersion")
    return found


def pod_plans(objects: Sequence[Mapping[str, Any]]) -> list[PodPlan]:
    """The Deployments' and Jobs' pods, each with the ConfigMap volume mounted at /opt/flink/conf."""
    config_maps = {o["metadata"]["name"]: o for o in _by_kind(objects, "ConfigMap")}
    plans = []
    for workload in _workloads(objects):
        name = workload["metadata"]["name"]
        template = workload["spec"]["template"]
        pod = template["spec"]
        (container,) = pod["containers"]
        assert "command" not in container, f"{name}: a command would bypass the image's entrypoint"
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for volume in volumes.values():
            if not {"configMap", "emptyDir"} & set(volume):
                raise NotImplementedError(f"{name}: volume {volume['name']}: only configMap and emptyDir")
        conf_mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"] == CONF_DIR]
        assert len(conf_mounts) == 1, f"{name}: no single volume at {CONF_DIR}"
        assert conf_mounts[0].get("readOnly", False), f"the {CONF_DIR} mount should be read-only"
        volume = volumes[conf_mounts[0]["name"]]
        data = config_maps[volume["configMap"]["name"]]["data"]
        items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in data]
        env = {}
        for entry in container.get("env", []):
            assert "value" in entry, f"env {entry['name']}: only literal values can be emulated"
            env[entry["name"]] = str(entry["value"])
        if workload["kind"] == "Job":
            restart_policy = pod.get("restartPolicy", "Always")
            assert restart_policy in ("OnFailure", "Never"), f"{name}: restartPolicy {restart_policy}"
            replicas = workload["spec"].get("parallelism", 1)
        else:
            restart_policy = pod.get("restartPolicy", "Always")
            replicas = workload["spec"].get("replicas", 1)
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
            mounts=_empty_dir_mounts(name, container, volumes),
            init_containers=tuple(
                InitPlan(
                    name=init["name"],
                    image=init["image"],
                    command=(*init.get("command", ()), *init.get("args", ())),
                    mounts=_empty_dir_mounts(f"{name}/{init['name']}", init, volumes),
                )
                for init in pod.get("initContainers", [])
            ),
        ))
    return plans


def _empty_dir_mounts(
    where: str, container: Mapping[str, Any], volumes: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    mounts = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            assert mount["mountPath"] == CONF_DIR, f"{where}: a ConfigMap is only emulated at {CONF_DIR}"
            continue
        if mount.get("subPath") or mount.get("subPathExpr"):
            raise NotImplementedError(f"{where}: subPath mounts are not emulated")
        mounts[mount["mountPath"]] = mount["name"]
    return mounts


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
        )
        for s in _by_kind(objects, "Service")
    ]


# --- everything that differs from a pod, with its reason ---------------------------------------

@dataclass(frozen=True)
class Rewrite:
    kind: Literal["config", "environment", "jvm", "process", "argument", "filesystem"]
    """config: a ``-D key=value`` dynamic property added to the container args right after the
    entrypoint's script (the start scripts pass them to Flink); environment: a process
    environment variable (the process gets the container's env entries and these, nothing
    inherited); jvm: a JVM option, in ``JVM_ARGS``, which flink-console.sh and bin/flink put
    on the java command line; process: how the process is started (program, working
    directory, FLINK_HOME); argument: a container argument changed or added; filesystem:
    a path of the container and the directory or file that stands for it."""
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

    @property
    def home(self) -> Path:
        """The pod's ``$FLINK_HOME``: what ``/opt/flink`` is in the pod."""
        return self.root / "flink"

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

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
        """The file that stands for the Flink container's ``path`` (under /opt/flink)."""
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
                "A container's /tmp is its own; io.tmp.dirs, web.tmpdir (uploaded jars) and the "
                "TaskManager's working dir and local state default to java.io.tmpdir."),
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


# --- processes ---------------------------------------------------------------------------------

def entrypoint(home: Path, args: tuple[str, ...], dynamic: Sequence[str] = ()) -> list[str]:
    """``docker-entrypoint.sh ARGS`` of the official image, for the commands the library uses.

    ``dynamic`` (``-D key=value`` pairs) goes right after the script's mode, ahead of the
    arguments, where every start script's parser reads it (standalone-job's parser stops at
    the job's own arguments).
    """
    if args and args[0] in ENTRYPOINT_COMMANDS:
        script, mode = ENTRYPOINT_COMMANDS[args[0]]
        return [str(home / "bin" / script), mode, *dynamic, *args[1:]]
    if args and args[0] in PASS_THROUGH_COMMANDS:
        assert not dynamic, f"{args[0]} binds nothing: no dynamic properties"
        return [str(home / "bin" / args[0]), *args[1:]]
    known = sorted([*ENTRYPOINT_COMMANDS, *PASS_THROUGH_COMMANDS])
    raise NotImplementedError(f"the harness emulates only {known}, not {args}")


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


def _rank(plan: PodPlan) -> int:
    known = plan.component in COMPONENT_ORDER
    return COMPONENT_ORDER.index(plan.component) if known else len(COMPONENT_ORDER)


class LoopbackCluster:
    """The pods of the rendered clusters as local processes; see the module docstring.

    ``images``: for each custom image a pod may name, the files it adds to the official
    image (container path under /opt/flink -> local file), e.g. the job jar in usrlib.
    ``servers``: the local servers standing in for the URLs init containers fetch.
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
    ):
        self.flink_home = flink_home
        self.java_home = java_home
        self.root = root
        self.images = dict(images or {})
        self.servers = list(servers)
        self.plans = sorted(pod_plans(objects), key=_rank)
        self.services = service_plans(objects)
        self.instances = list(dict.fromkeys(p.instance for p in pod_plans(objects)))
        self.blocks: dict[str, int] = {}
        self.pods: list[Pod] = []
        for instance in self.instances:
            self.blocks[instance] = self._free_block([p for p in self.plans if p.instance == instance])
        hosts = dict.fromkeys(self.instances, 2)
        for plan in self.plans:
            for index in range(plan.replicas):
                name = f"{plan.workload}-{index}"
                ip = f"127.0.{self.blocks[plan.instance]}.{hosts[plan.instance]}"
                self.pods.append(Pod(name, plan, ip, root / name))
                hosts[plan.instance] += 1

    # placement
    def _free_block(self, plans: Sequence[PodPlan]) -> int:
        """A 127.0.B.0/24 where every pod's rendered ports are free (the ports stay as rendered)."""
        for block in range(0, 200):
            if block in self._claimed_blocks:
                continue
            ips = (f"127.0.{block}.{host}" for host in range(2, 2 + sum(p.replicas for p in plans)))
            ports = (p.ports.values() for p in plans for _ in range(p.replicas))
            pairs = zip(ips, ports, strict=True)
            if all(_port_free(ip, port) for ip, pod_ports in pairs for port in pod_ports):
                self._claimed_blocks.add(block)
                return block
        raise ClusterError("no loopback block with the rendered ports free")

    def pods_of(self, component: str, instance: str | None = None) -> list[Pod]:
        return [
            p for p in self.pods
            if p.plan.component == component and (instance is None or p.plan.instance == instance)
        ]

    def jobmanager_of(self, instance: str) -> Pod:
        (pod,) = self.pods_of("jobmanager", instance)
        return pod

    @property
    def jobmanager(self) -> Pod:
        (pod,) = self.pods_of("jobmanager")
        return pod

    def hosts_entries(self, pod: Pod) -> list[tuple[str, str]]:
        """(ip, name) lines of the pod's hosts file: its own names, then the Services."""
        # In a pod, localhost is the pod's own loopback, where its 0.0.0.0 sockets listen:
        # here that is the pod's IP (the JobManager uploads jobs to its BlobServer via localhost).
        entries = [(pod.ip, "localhost"), (pod.ip, pod.name), (pod.ip, socket.gethostname())]
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
            self._real_directory(pod, pod.local_path(mount_path)).mkdir(parents=True, exist_ok=True)

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
        args, rewrites = list(pod.plan.args), []
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
            main_path = next((p for p, v in pod.plan.mounts.items() if v == volume), None)
            local = pod.local_path(main_path) if main_path else pod.root / "volumes" / volume
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
        """Write every pod's directory: its FLINK_HOME, the hosts file, tmp; plan its processes."""
        for pod in self.pods:
            rendered = flat_config(pod.plan.conf_files)
            for variable in UNEMULATED_ENV:
                assert variable not in pod.plan.env, f"{variable} is not emulated by the harness"
            pod.root.mkdir(parents=True)
            self._make_home(pod)
            pod.tmp_dir.mkdir()
            pod.hosts_file.write_text("".join(f"{ip} {name}\n" for ip, name in self.hosts_entries(pod)))
            pod.rewrites = pod_rewrites(pod, rendered, self.java_home)
            pod.rewrites += self._image_files(pod)
            args, argument_rewrites = self._argument_rewrites(pod)
            pod.rewrites += argument_rewrites
            dynamic = [
                arg for key, value in pod.config_rewrites().items() for arg in ("-D", f"{key}={value}")
            ]
            pod.command = entrypoint(pod.home, args, dynamic)
            env = dict(pod.plan.env)
            env.update({r.key: r.value for r in pod.rewrites if r.kind == "environment"})
            env["JVM_ARGS"] = " ".join(f"{r.key}={r.value}" for r in pod.rewrites if r.kind == "jvm")
            pod.environment = env
            pod.init = [self._init_run(pod, plan) for plan in pod.plan.init_containers]

    def all_rewrites(self, pod: Pod) -> list[Rewrite]:
        return [*pod.rewrites, *(r for run in pod.init for r in run.rewrites)]

    def start(self) -> None:
        """Per pod, in order (JobManagers, TaskManagers, clients): its init containers to
        completion, then its process. TaskManagers retry until the JobManager answers and
        ``flink run`` retries until its REST API does."""
        for pod in self.pods:
            for run in pod.init:
                with run.output.open("wb") as out:
                    result = subprocess.run(
                        run.command, cwd=pod.root, env=run.environment, stdout=out,
                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120, check=False,
                    )
                run.returncode = result.returncode
                if result.returncode != 0:
                    raise ClusterError(
                        f"{pod.name}: init container {run.plan.name} exited with {result.returncode}: "
                        f"{run.output.read_text(errors='replace')[-4000:]}"
                    )
            with pod.output.open("wb") as out:
                pod.process = subprocess.Popen(
                    pod.command, cwd=pod.working_dir, env=pod.environment, stdout=out,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                )

    def stop(self, timeout: float = 30) -> dict[str, int | None]:
        """SIGTERM every process we started (clients, TaskManagers, then JobManagers), wait,
        SIGKILL what is left."""
        codes: dict[str, int | None] = {}
        for pod in reversed(self.pods):
            codes[pod.name] = _stop(pod.process, timeout) if pod.process else None
        self._claimed_blocks.difference_update(self.blocks.values())
        return codes

    def check_alive(self) -> None:
        """Fail if a pod's process ended, unless it is a Job's pod that completed (exit 0)."""
        for pod in self.pods:
            if pod.process is None or pod.process.poll() is None:
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

    def rest(self, method: str, path: str, *, instance: str | None = None, **kwargs: Any) -> Any:
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

    def diagnostics(self, lines: int = 60) -> str:
        parts = []
        for pod in self.pods:
            for run in pod.init:
                text = run.output.read_text(errors="replace") if run.output.exists() else ""
                parts.append(
                    f"----- {pod.name} init {run.plan.name} (exit {run.returncode}):\n{text[-2000:]}")
            text = pod.output.read_text(errors="replace") if pod.output.exists() else ""
            tail = "\n".join(text.splitlines()[-lines:])
            state = "not started" if pod.process is None else f"exit {pod.process.poll()}"
            parts.append(f"----- {pod.name} ({pod.ip}, {state}): last {lines} lines of {pod.output}\n{tail}")
        return "\n".join(parts)

    def remove(self) -> None:
        """Make the read-only conf dirs writable again so tmp_path can be cleaned."""
        for pod in self.pods:
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

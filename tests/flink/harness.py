"""A Flink session cluster started from the rendered Kubernetes objects, on loopback.

Each Deployment's pod template becomes one or more "pods": a process started the
way the official ``flink`` image starts it, with the ConfigMap's files as its
configuration, given its own loopback IP (JobManager ``127.0.B.2``, TaskManagers
``127.0.B.3``, ``.4``, ...) and its own directory under pytest's ``tmp_path``.

What the official image's entrypoint does (``docker-entrypoint.sh`` of apache/flink-docker,
the same for 1.20 and 2.x), and what this harness does with each step:

1. ``maybe_enable_jemalloc``: ``LD_PRELOAD`` jemalloc if installed. Allocator only;
   not emulated.
2. ``copy_plugins_if_required``: links ``$ENABLE_BUILT_IN_PLUGINS`` from ``opt/`` into
   ``plugins/``. A no-op without that variable; the harness refuses a render that sets it.
3. ``prepare_configuration``: writes ``jobmanager.rpc.address: $(hostname -f)``,
   ``blob.server.port: 6124``, ``query.server.port: 6125`` (and ``$FLINK_PROPERTIES``,
   ``$TASK_MANAGER_NUMBER_OF_TASK_SLOTS``) into ``$FLINK_HOME/conf/config.yaml`` with
   ``bin/config-parser-utils.sh``. On Kubernetes that directory is the ConfigMap volume,
   which the kubelet always mounts read-only: the write fails, the entrypoint carries
   on, and Flink reads the rendered file unchanged. So the harness skips this step,
   keeps the pod's conf dir read-only, and checks after the run that it is unchanged.
   It refuses a render that sets those variables (they would be silently lost).
4. ``jobmanager [args]`` -> ``exec $FLINK_HOME/bin/jobmanager.sh start-foreground [args]``;
   ``taskmanager [args]`` -> ``exec $FLINK_HOME/bin/taskmanager.sh start-foreground [args]``
   (through ``gosu flink`` when run as root). Emulated exactly (as the current user).

Everything else that differs from a pod is listed in ``pod_rewrites``, with its reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import requests
import yaml

from pulumi_flink.flink_config import CONF_DIR

T = TypeVar("T")

# The official image's entrypoint: container command -> script and its first argument.
ENTRYPOINT_COMMANDS = {
    "jobmanager": ("jobmanager.sh", "start-foreground"),
    "taskmanager": ("taskmanager.sh", "start-foreground"),
}
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


class ClusterError(AssertionError):
    """The cluster did not do what the test waited for; carries the processes' log tails."""


class RestError(ClusterError):
    """The REST API answered with an error status (the fixture prints the processes' logs)."""


# --- what the rendered objects say -----------------------------------------------------------

@dataclass(frozen=True)
class PodPlan:
    """One Deployment's pod template, reduced to what starting its process needs."""

    deployment: str
    component: str
    replicas: int
    labels: Mapping[str, str]
    args: tuple[str, ...]
    env: Mapping[str, str]
    ports: Mapping[str, int]
    conf_files: Mapping[str, str]
    """File name in the mount -> content: the ConfigMap items the volume lists."""


@dataclass(frozen=True)
class ServicePlan:
    name: str
    selector: Mapping[str, str]
    ports: tuple[tuple[int, int | str], ...]
    """(port, targetPort) pairs."""


def _by_kind(objects: Iterable[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def pod_plans(objects: Sequence[Mapping[str, Any]]) -> list[PodPlan]:
    """The Deployments' pods, each with the ConfigMap volume mounted at /opt/flink/conf."""
    config_maps = {o["metadata"]["name"]: o for o in _by_kind(objects, "ConfigMap")}
    plans = []
    for deployment in _by_kind(objects, "Deployment"):
        template = deployment["spec"]["template"]
        pod = template["spec"]
        (container,) = pod["containers"]
        mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"] == CONF_DIR]
        assert len(mounts) == 1, f"{deployment['metadata']['name']}: no single volume at {CONF_DIR}"
        assert mounts[0].get("readOnly", False), f"the {CONF_DIR} mount should be read-only"
        (volume,) = [v for v in pod["volumes"] if v["name"] == mounts[0]["name"]]
        data = config_maps[volume["configMap"]["name"]]["data"]
        items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in data]
        env = {}
        for entry in container.get("env", []):
            assert "value" in entry, f"env {entry['name']}: only literal values can be emulated"
            env[entry["name"]] = str(entry["value"])
        plans.append(PodPlan(
            deployment=deployment["metadata"]["name"],
            component=template["metadata"]["labels"]["app.kubernetes.io/component"],
            replicas=deployment["spec"].get("replicas", 1),
            labels=template["metadata"]["labels"],
            args=tuple(container.get("args", ())),
            env=env,
            ports={p["name"]: p["containerPort"] for p in container.get("ports", [])},
            conf_files={item["path"]: data[item["key"]] for item in items},
        ))
    return plans


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
    kind: Literal["config", "environment", "jvm", "process"]
    """config: a ``-D key=value`` dynamic property appended to the container args (the
    start scripts pass them to Flink); environment: a process environment variable (the
    process gets the container's env entries and these, nothing inherited); jvm: a JVM
    option, in ``JVM_ARGS``, which flink-console.sh puts on Flink's command line;
    process: how the process is started (its working directory)."""
    key: str
    value: str
    rendered: str | None
    """What the render (or the image) has instead; None if nothing."""
    reason: str


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

    @property
    def conf_dir(self) -> Path:
        return self.root / "conf"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

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


def pod_rewrites(pod: Pod, rendered: Mapping[str, str], java_home: Path) -> list[Rewrite]:
    """The complete list of differences between this process and the pod on Kubernetes.

    ``rendered`` is the flat configuration the pod's conf dir holds (as Flink read it).
    """
    rewrites = [
        Rewrite("config", key, pod.ip, rendered[key],
                "0.0.0.0 in a pod means the pod's own network namespace: its IP. Here every pod "
                "shares the host's, where 0.0.0.0 would listen on all host interfaces and the "
                "JobManager and TaskManagers could not each own their ports; the pod's loopback "
                "IP is what 0.0.0.0 means inside the pod.")
        for key in BIND_KEYS[pod.plan.component]
        if rendered.get(key) in WILDCARDS
    ]
    rewrites += [
        Rewrite("jvm", "-Djdk.net.hosts.file", str(pod.hosts_file), None,
                "Cluster DNS and the pod's /etc/hosts: Service names resolve to the JobManager "
                "pod (no kube-proxy, so each Service port must equal its container port, "
                "checked), the pod's hostname to its IP, and localhost to the pod's own sockets "
                "(its IP here, since it shares the host's loopback). The JVM's hosts file does "
                "that per process without touching /etc/hosts; the rendered addresses stay."),
        Rewrite("jvm", "-Djava.io.tmpdir", str(pod.tmp_dir), "/tmp",
                "A container's /tmp is its own; io.tmp.dirs, web.tmpdir (uploaded jars) and the "
                "TaskManager's working dir and local state default to java.io.tmpdir."),
        Rewrite("environment", "FLINK_CONF_DIR", str(pod.conf_dir), None,
                f"The ConfigMap is mounted at {CONF_DIR} = $FLINK_HOME/conf in the image; here "
                "$FLINK_HOME is a distribution shared by all pods, so the pod's copy of the "
                "ConfigMap is named by FLINK_CONF_DIR, which config.sh uses instead."),
        Rewrite("environment", "FLINK_LOG_DIR", str(pod.log_dir), "$FLINK_HOME/log",
                "$FLINK_HOME/log is per container in the image, shared here."),
        Rewrite("environment", "FLINK_PID_DIR", str(pod.tmp_dir), "/tmp",
                "flink-console.sh records its pid in /tmp, per container in the image."),
        Rewrite("environment", "HOSTNAME", pod.name, None,
                "Kubernetes sets it to the pod name; the scripts name log files after it."),
        Rewrite("environment", "JAVA_HOME", str(java_home), "/opt/java/openjdk",
                "The image's JDK; here the host's JDK 17."),
        Rewrite("environment", "PATH", os.environ.get("PATH", "/usr/bin:/bin"), None,
                "The image's PATH; here the host's (bash, coreutils, java)."),
        Rewrite("environment", "HOME", str(pod.root), "/opt/flink",
                "The flink user's home in the image; here the pod's directory."),
        Rewrite("environment", "LANG", "C.UTF-8", "en_US.UTF-8",
                "The image's locale may not exist on the host; C.UTF-8 always does."),
        Rewrite("process", "cwd", str(pod.root), "/opt/flink",
                "The image's WORKDIR is $FLINK_HOME, shared here; the pod's directory instead."),
    ]
    return rewrites


# --- processes ---------------------------------------------------------------------------------

def entrypoint(flink_home: Path, args: tuple[str, ...]) -> list[str]:
    """``docker-entrypoint.sh ARGS`` of the official image, for the commands the library uses."""
    if not args or args[0] not in ENTRYPOINT_COMMANDS:
        raise NotImplementedError(f"the harness emulates only {sorted(ENTRYPOINT_COMMANDS)}, not {args}")
    script, mode = ENTRYPOINT_COMMANDS[args[0]]
    return [str(flink_home / "bin" / script), mode, *args[1:]]


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


class LoopbackCluster:
    """The pods of one rendered cluster as local processes; see the module docstring."""

    def __init__(self, objects: Sequence[Mapping[str, Any]], flink_home: Path, java_home: Path, root: Path):
        self.flink_home = flink_home
        self.java_home = java_home
        self.root = root
        self.plans = pod_plans(objects)
        self.services = service_plans(objects)
        self.block = self._free_block()
        self.pods: list[Pod] = []
        host = 2
        for plan in sorted(self.plans, key=lambda p: p.component != "jobmanager"):
            for index in range(plan.replicas):
                name = f"{plan.deployment}-{index}"
                self.pods.append(Pod(name, plan, f"127.0.{self.block}.{host}", root / name))
                host += 1

    # placement
    def _free_block(self) -> int:
        """A 127.0.B.0/24 where every pod's rendered ports are free (the ports stay as rendered)."""
        for block in range(0, 200):
            host = 2
            free = True
            for plan in sorted(self.plans, key=lambda p: p.component != "jobmanager"):
                for _ in range(plan.replicas):
                    free = free and all(_port_free(f"127.0.{block}.{host}", p) for p in plan.ports.values())
                    host += 1
            if free:
                return block
        raise ClusterError("no loopback block with the rendered ports free")

    def pods_of(self, component: str) -> list[Pod]:
        return [p for p in self.pods if p.plan.component == component]

    @property
    def jobmanager(self) -> Pod:
        (pod,) = self.pods_of("jobmanager")
        return pod

    def hosts_entries(self, pod: Pod) -> list[tuple[str, str]]:
        """(ip, name) lines of the pod's hosts file: its own names, then the Services."""
        # In a pod, localhost is the pod's own loopback, where its 0.0.0.0 sockets listen:
        # here that is the pod's IP (the JobManager uploads jobs to its BlobServer via localhost).
        entries = [(pod.ip, "localhost"), (pod.ip, pod.name), (pod.ip, socket.gethostname())]
        for service in self.services:
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

    # start and stop
    def prepare(self) -> None:
        """Write every pod's directory: the read-only conf dir, the hosts file, tmp and log."""
        for pod in self.pods:
            rendered = flat_config(pod.plan.conf_files)
            for variable in UNEMULATED_ENV:
                assert variable not in pod.plan.env, f"{variable} is not emulated by the harness"
            pod.conf_dir.mkdir(parents=True)
            for name, text in pod.plan.conf_files.items():
                path = pod.conf_dir / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                path.chmod(0o444)
            pod.conf_dir.chmod(0o555)
            pod.tmp_dir.mkdir()
            pod.log_dir.mkdir()
            pod.hosts_file.write_text("".join(f"{ip} {name}\n" for ip, name in self.hosts_entries(pod)))
            pod.rewrites = pod_rewrites(pod, rendered, self.java_home)
            dynamic = [
                arg for key, value in pod.config_rewrites().items() for arg in ("-D", f"{key}={value}")
            ]
            pod.command = [*entrypoint(self.flink_home, pod.plan.args), *dynamic]
            env = dict(pod.plan.env)
            env.update({r.key: r.value for r in pod.rewrites if r.kind == "environment"})
            env["JVM_ARGS"] = " ".join(f"{r.key}={r.value}" for r in pod.rewrites if r.kind == "jvm")
            pod.environment = env

    def start(self) -> None:
        """Start the JobManager, then the TaskManagers (they retry until it answers)."""
        for pod in self.pods:
            with pod.output.open("wb") as out:
                pod.process = subprocess.Popen(
                    pod.command, cwd=pod.working_dir, env=pod.environment, stdout=out,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                )

    def stop(self, timeout: float = 30) -> dict[str, int | None]:
        """SIGTERM every process we started (TaskManagers first), wait, SIGKILL what is left."""
        codes: dict[str, int | None] = {}
        for pod in reversed(self.pods):
            codes[pod.name] = _stop(pod.process, timeout) if pod.process else None
        return codes

    def check_alive(self) -> None:
        for pod in self.pods:
            if pod.process is not None and pod.process.poll() is not None:
                raise ClusterError(
                    f"{pod.name} exited with {pod.process.returncode}\n{self.diagnostics()}"
                )

    # observation
    @property
    def rest_url(self) -> str:
        return f"http://{self.jobmanager.ip}:{self.jobmanager.plan.ports['rest']}"

    def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, self.rest_url + path, timeout=10, **kwargs)
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

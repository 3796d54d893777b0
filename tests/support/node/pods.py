"""One pod bound to the agent's Node, run as the kubelet runs it.

A ``PodWorker`` thread takes the pod from the API and drives it: the pod's network
namespace and address (``NodeNetwork``), its ``/etc/hosts``, ``/etc/resolv.conf`` (the
cluster DNS) and hostname, its volumes, then the init containers one after another, each to
completion, then every container at once (``sandbox``), with their probes. It writes what
it sees back to the pod's status: ``phase``, ``podIP``/``podIPs``, ``hostIP``,
``startTime``, the conditions (PodScheduled, Initialized, ContainersReady, Ready), and per
container its state (waiting with the kubelet's reasons, running, terminated with exit code
and reason), ``ready``, ``started``, ``restartCount`` and ``lastState``.

Restarts follow ``restartPolicy``: ``Always`` restarts any exit, ``OnFailure`` a non-zero
one, ``Never`` none; the delay before a restart is the kubelet's back-off (none the first
time, then 10 s doubling up to 5 minutes, reported as CrashLoopBackOff). A failed liveness
or startup probe kills the container, which then restarts the same way. The phase is the
kubelet's: Pending until every init container has completed and the containers have
started, Succeeded once all have exited 0 for good, Failed once one has failed for good.

Deletion is graceful: once the API server marks the pod (``deletionTimestamp``), the agent
stops probing, sends SIGTERM to every container's main process, waits up to the pod's
``deletionGracePeriodSeconds``, SIGKILLs what is left of each container's process group,
removes the pod's network namespace, then removes the pod (grace 0, on its uid). A pod that
has reached Succeeded or Failed has its sandbox torn down at once and stays until deleted;
the agent then finishes its deletion.

Not emulated, and refused when a pod asks for it: lifecycle hooks, sidecar init containers
(``restartPolicy`` on an init container), ``hostNetwork``/``hostPID``/``hostIPC``, and the
image pull policy (every image is local).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import subprocess
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.node.environment import ConfigError, container_environment
from tests.support.node.images import ImageCatalog, ImageError
from tests.support.node.probes import ProbeCounter, attempt
from tests.support.node.sandbox import (
    Identity,
    PodFiles,
    container_argv,
    exec_argv,
    identity,
    launch_script,
    prepare_folder,
)
from tests.support.node.volumes import PendingVolume, container_mounts, make_volume
from tests.support.pods.plans import expand_references

if TYPE_CHECKING:
    from tests.support.cluster_dns import ClusterDns
    from tests.support.kubernetes_api import KubernetesApi
    from tests.support.node_network import NodeNetwork, PodAddress

TICK_SECONDS = 0.2
BACKOFF_FIRST_SECONDS = 10.0
BACKOFF_MAX_SECONDS = 300.0
CLUSTER_DOMAIN = "cluster.local"
REFUSED_POD_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def now_text() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Runtime:
    """What every pod of the agent shares: the network, DNS, images, a folder, and where the
    API server is for the pods (the ``kubernetes`` Service's endpoint)."""

    api: KubernetesApi
    network: NodeNetwork
    dns: ClusterDns
    images: ImageCatalog
    folder: Path
    api_endpoint: tuple[str, int]

    @property
    def skeleton(self) -> Path:
        """The empty root every container's overlay starts from (``runtime_folder`` makes it)."""
        return self.folder / "skeleton"


@dataclass
class Container:
    """One container of the pod, across its restarts."""

    spec: Mapping[str, Any]
    init: bool
    process: subprocess.Popen[bytes] | None = None
    who: Identity | None = None
    environment: dict[str, str] = field(default_factory=dict)
    restarts: int = 0
    started_at: str = ""
    state: dict[str, Any] = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None
    """Of the last run, once it has ended."""
    done: bool = False
    """Ended for good: exited and not to be restarted."""
    restart_at: float = 0.0
    crashes: int = 0
    killed_by_probe: str = ""
    startup: ProbeCounter | None = None
    liveness: ProbeCounter | None = None
    readiness: ProbeCounter | None = None
    ready: bool = False
    started: bool = False

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminated(self) -> dict[str, Any]:
        """The ``terminated`` state of its last run, which has ended (a signal's exit code is
        128 + the signal, as a runtime reports it)."""
        assert self.process is not None and self.process.returncode is not None
        code = self.process.returncode
        return {"exitCode": code if code >= 0 else 128 - code,
                "reason": "Completed" if code == 0 and not self.killed_by_probe else "Error",
                "startedAt": self.started_at, "finishedAt": now_text()}

    def status(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.name,
            "image": self.spec["image"],
            "imageID": "",
            "ready": self.ready,
            "restartCount": self.restarts,
            "state": self.state,
        }
        if not self.init:
            entry["started"] = self.started
        if self.process is not None:
            entry["containerID"] = f"process://{self.process.pid}"
        if self.last_state:
            entry["lastState"] = self.last_state
        return entry


class PodWorker:
    """Runs one pod (see the module docstring) on its own thread."""

    def __init__(self, runtime: Runtime, pod: Mapping[str, Any], node_index: int) -> None:
        self.runtime = runtime
        self.pod: dict[str, Any] = dict(pod)
        self.node_index = node_index
        metadata = pod["metadata"]
        self.name, self.namespace, self.uid = metadata["name"], metadata["namespace"], metadata["uid"]
        self.folder = runtime.folder / "pods" / f"{self.namespace}_{self.name}_{self.uid[:8]}"
        spec = pod["spec"]
        self.restart_policy: str = spec.get("restartPolicy", "Always")
        self.init_containers = [Container(c, init=True) for c in spec.get("initContainers", [])]
        self.containers = [Container(c, init=False) for c in spec["containers"]]
        self.address: PodAddress | None = None
        self.volumes: dict[str, Path] | None = None
        self.terminal_phase = ""
        self.started_at = ""
        self.last_status: dict[str, Any] = {}
        self.stopping = threading.Event()
        self.finished = threading.Event()
        self.errors: list[str] = []
        self.thread = threading.Thread(
            target=self._run, name=f"pod-{self.namespace}-{self.name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    # --- the loop ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._refuse_unemulated()
            self._sandbox()
            while not self.stopping.is_set():
                current = self._fetch()
                if current is None:
                    self._kill_all(grace=0)
                    break
                self.pod = current
                if current["metadata"].get("deletionTimestamp"):
                    self._terminate(int(current["metadata"].get("deletionGracePeriodSeconds", 30)))
                    self._remove_from_api()
                    break
                self._step()
                self._publish()
                if self.terminal_phase:  # its deletion, later, is the agent's (NodeAgent.sync)
                    break
                time.sleep(TICK_SECONDS)
        except Exception:  # a worker must never die silently: the test reads this
            self.errors.append(traceback.format_exc())
            with contextlib.suppress(Exception):
                self._kill_all(grace=0)
        finally:
            self._teardown()
            self.finished.set()

    def _refuse_unemulated(self) -> None:
        spec = self.pod["spec"]
        for key in REFUSED_POD_FIELDS:
            if spec.get(key):
                raise ConfigError(f"spec.{key} is not emulated")
        for container in [*self.init_containers, *self.containers]:
            if container.spec.get("lifecycle"):
                raise ConfigError(f"{container.name}: lifecycle hooks are not emulated")
            if container.init and container.spec.get("restartPolicy"):
                raise ConfigError(f"{container.name}: sidecar init containers are not emulated")

    def _fetch(self) -> dict[str, Any] | None:
        answer = self.runtime.api.get("v1", "Pod", self.name, self.namespace)
        if answer.status == 404 or (answer.ok and answer.body["metadata"]["uid"] != self.uid):
            return None
        return answer.body if answer.ok else self.pod

    def _sandbox(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.address = self.runtime.network.attach(f"{self.namespace}/{self.name}", self.node_index)
        self.started_at = now_text()
        spec = self.pod["spec"]
        hostname = spec.get("hostname", self.name)[:63]
        entries = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
                   "::1\tlocalhost ip6-localhost ip6-loopback"]
        if spec.get("subdomain"):
            fqdn = f"{hostname}.{spec['subdomain']}.{self.namespace}.svc.{CLUSTER_DOMAIN}"
            entries.append(f"{self.address.ip}\t{fqdn}\t{hostname}")
        else:
            entries.append(f"{self.address.ip}\t{hostname}")
        (self.folder / "hosts").write_text("\n".join(entries) + "\n")
        (self.folder / "resolv.conf").write_text(self.runtime.dns.resolv_conf(self.namespace))
        (self.folder / "hostname").write_text(hostname + "\n")
        for path in ("hosts", "resolv.conf", "hostname"):
            (self.folder / path).chmod(0o644)
        self.pod_files = PodFiles(
            self.folder / "hosts", self.folder / "resolv.conf", self.folder / "hostname", hostname)

    def _step(self) -> None:
        if self.volumes is None and not self._make_volumes():
            return
        if any(c.done and c.exit_code != 0 for c in self.init_containers):
            self.terminal_phase = "Failed"  # an init container failed for good
            return
        pending_init = [c for c in self.init_containers if not c.done]
        if pending_init:
            self._drive(pending_init[0])
            return
        for container in self.containers:
            self._drive(container)
        self._decide_phase()

    # --- volumes and containers ----------------------------------------------------------------

    def _lookup(self, kind: str, name: str) -> dict[str, Any] | None:
        answer = self.runtime.api.get("v1", kind, name, self.namespace)
        if answer.status == 404:
            return None
        if not answer.ok:
            raise ConfigError(f"{kind} {name}: {answer.message}")
        body: dict[str, Any] = answer.body
        return body

    def _issue_token(self, pod: Mapping[str, Any], source: Mapping[str, Any]) -> str:
        account = pod["spec"].get("serviceAccountName", "default")
        request: dict[str, Any] = {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": int(source.get("expirationSeconds", 3607)),
                     "boundObjectRef": {"apiVersion": "v1", "kind": "Pod",
                                        "name": self.name, "uid": self.uid}},
        }
        if source.get("audience"):
            request["spec"]["audiences"] = [source["audience"]]
        answer = self.runtime.api.request(
            "POST", f"/api/v1/namespaces/{self.namespace}/serviceaccounts/{account}/token", json=request)
        if not answer.ok:
            raise ConfigError(f"token for serviceaccount {account}: {answer.message}")
        return str(answer.body["status"]["token"])

    def _claim_directory(self, claim: str) -> Path:
        found = self._lookup("PersistentVolumeClaim", claim)
        if found is None or found.get("status", {}).get("phase") != "Bound":
            raise PendingVolume(f"persistentvolumeclaim {claim!r} is not bound")
        volume = self.runtime.api.get("v1", "PersistentVolume", found["spec"]["volumeName"]).body
        source = volume["spec"].get("hostPath") or volume["spec"].get("local")
        if not source:
            raise ConfigError(f"persistentvolume {volume['metadata']['name']}: only hostPath and local")
        return Path(source["path"])

    def _as_known(self) -> dict[str, Any]:
        """The pod with the status this agent knows and may not have published yet (its IP):
        what the downward API reads, as the kubelet reads its own view."""
        return {**self.pod, "status": {**self.pod.get("status", {}), **self.status()}}

    def _make_volumes(self) -> bool:
        made = {}
        try:
            for volume in self.pod["spec"].get("volumes", []):
                made[volume["name"]] = make_volume(
                    self.folder / "volumes" / volume["name"], volume, self._as_known(), self._lookup,
                    self._issue_token, self._claim_directory)
        except (PendingVolume, ConfigError) as problem:
            for container in [*self.init_containers, *self.containers]:
                container.state = {"waiting": {"reason": "ContainerCreating", "message": str(problem)}}
            return False
        self.volumes = made
        return True

    def _drive(self, container: Container) -> None:
        """One tick of one container: start it when due, notice its exit, run its probes."""
        now = time.monotonic()
        if container.done:
            return
        if container.process is None or (not container.alive and container.exit_code is not None):
            if now >= container.restart_at:
                self._start(container)
            return
        if not container.alive:
            self._exited(container)
            return
        if not container.init:
            self._probe(container, now)

    def _start(self, container: Container) -> None:
        assert self.address is not None and self.volumes is not None
        try:
            image = self.runtime.images.resolve(container.spec["image"])
        except ImageError as problem:
            container.state = {"waiting": {"reason": "ErrImagePull", "message": str(problem)}}
            container.restart_at = time.monotonic() + BACKOFF_FIRST_SECONDS
            return
        try:
            who = identity(self.pod, container.spec, image)
            environment = container_environment(
                self._as_known(), container.spec, image.env, self._lookup, self.runtime.api_endpoint)
            environment.setdefault("HOSTNAME", self.pod_files.hostname)
            environment.setdefault("HOME", "/")
            volumes = {v["name"]: v for v in self.pod["spec"].get("volumes", [])}
            mounts = container_mounts(container.spec, volumes, self.volumes)
            command = image.command(
                tuple(container.spec.get("command", ())), tuple(container.spec.get("args", ())))
            command = tuple(expand_references(part, environment) for part in command)
        except ConfigError as problem:
            container.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(problem)}}
            container.restart_at = time.monotonic() + 1.0
            return
        folder = self.folder / "containers" / container.name
        prepare_folder(folder, image)
        script = folder / "launch.sh"
        script.write_text(launch_script(folder, self.runtime.skeleton, image, mounts, self.pod_files,
                                        who.read_only_root))
        argv = container_argv(self.address.netns, script, who, environment,
                              container.spec.get("workingDir", image.working_dir), command)
        log = self.folder / f"{container.name}.log"
        with log.open("ab") as sink:
            sink.write(f"--- start {container.restarts} at {now_text()}\n".encode())
            sink.flush()
            container.process = subprocess.Popen(
                argv, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        container.who, container.environment = who, environment
        container.exit_code = None
        container.started_at = now_text()
        container.state = {"running": {"startedAt": container.started_at}}
        container.ready = container.started = False
        now = time.monotonic()
        spec = container.spec
        container.startup = ProbeCounter(spec["startupProbe"]) if "startupProbe" in spec else None
        container.liveness = ProbeCounter(spec["livenessProbe"]) if "livenessProbe" in spec else None
        container.readiness = ProbeCounter(spec["readinessProbe"]) if "readinessProbe" in spec else None
        for counter in (container.startup, container.liveness, container.readiness):
            if counter is not None:
                counter.start(now)
        if container.startup is None:
            container.started = True
            container.ready = container.readiness is None

    def _exited(self, container: Container) -> None:
        assert container.process is not None
        code = container.process.returncode
        container.exit_code = code
        terminated = container.terminated()
        container.ready = False
        container.started = False
        policy = "OnFailure" if container.init and self.restart_policy == "Always" else self.restart_policy
        restart = policy == "Always" or (policy == "OnFailure" and (code != 0 or container.killed_by_probe))
        container.killed_by_probe = ""
        if not restart:
            container.done = True
            container.state = {"terminated": terminated}
            return
        delay = 0.0 if container.crashes == 0 else min(
            BACKOFF_FIRST_SECONDS * 2 ** (container.crashes - 1), BACKOFF_MAX_SECONDS)
        container.crashes += 1
        container.restarts += 1
        container.last_state = {"terminated": terminated}
        container.restart_at = time.monotonic() + delay
        waiting = {"reason": "ContainerCreating"} if not delay else {
            "reason": "CrashLoopBackOff", "message": f"back-off {delay:.0f}s restarting"}
        container.state = {"waiting": waiting}

    def _probe(self, container: Container, now: float) -> None:
        assert self.address is not None
        ip = self.address.ip

        def run(command: Sequence[str], timeout: float) -> int:
            assert container.process is not None and container.who is not None
            argv = exec_argv(container.process.pid, container.who, container.environment, command)
            return subprocess.run(argv, capture_output=True, timeout=timeout, check=False).returncode

        def record(counter: ProbeCounter) -> None:
            counter.record(attempt(counter.probe, ip, container.spec, run), time.monotonic())

        if container.startup is not None and not container.startup.passed:
            if container.startup.due(now):
                record(container.startup)
                if container.startup.failed:
                    self._kill(container, "startup probe failed")
                elif container.startup.passed:
                    container.started = True
                    for counter in (container.liveness, container.readiness):
                        if counter is not None:
                            counter.start(time.monotonic())
                    container.ready = container.readiness is None
            return
        if container.liveness is not None and container.liveness.due(now):
            record(container.liveness)
            if container.liveness.failed:
                self._kill(container, "liveness probe failed")
                return
        if container.readiness is not None and container.readiness.due(now):
            record(container.readiness)
            container.ready = container.readiness.passed

    def _kill(self, container: Container, why: str) -> None:
        container.killed_by_probe = why
        self._signal_group(container, signal.SIGTERM)
        grace = float(self.pod["spec"].get("terminationGracePeriodSeconds", 30))
        self._wait_or_kill([container], grace)

    # --- phase and status ----------------------------------------------------------------------

    def _decide_phase(self) -> None:
        """Terminal once every container has ended for good: Succeeded if all exited 0."""
        if all(c.done for c in self.containers):
            self.terminal_phase = "Succeeded" if all(c.exit_code == 0 for c in self.containers) else "Failed"

    def _phase(self) -> str:
        if self.terminal_phase:
            return self.terminal_phase
        if any(c.done and c.exit_code != 0 for c in self.init_containers):
            return "Failed"
        if any(not c.done for c in self.init_containers):
            return "Pending"
        if all(c.process is not None for c in self.containers):
            return "Running"
        return "Pending"

    def status(self) -> dict[str, Any]:
        initialized = all(c.done for c in self.init_containers)
        containers_ready = initialized and all(c.ready for c in self.containers)
        conditions = [
            ("PodScheduled", True), ("Initialized", initialized),
            ("ContainersReady", containers_ready), ("Ready", containers_ready),
        ]
        previous = {c["type"]: c for c in self.last_status.get("conditions", [])}

        def since(kind: str, value: str) -> str:
            kept = kind in previous and previous[kind]["status"] == value
            return str(previous[kind]["lastTransitionTime"]) if kept else now_text()

        status: dict[str, Any] = {
            "phase": self._phase(),
            "hostIP": self.runtime.network.gateway,
            "hostIPs": [{"ip": self.runtime.network.gateway}],
            "startTime": self.started_at,
            "conditions": [
                {"type": kind, "status": str(value), "lastTransitionTime": since(kind, str(value))}
                for kind, value in conditions
            ],
            "containerStatuses": [c.status() for c in self.containers],
        }
        if self.init_containers:
            status["initContainerStatuses"] = [c.status() for c in self.init_containers]
        if self.address is not None:
            status["podIP"] = self.address.ip
            status["podIPs"] = [{"ip": self.address.ip}]
        return status

    def _publish(self) -> None:
        status = self.status()
        if _comparable(status) == _comparable(self.last_status):
            return
        answer = self.runtime.api.request(
            "PATCH", f"/api/v1/namespaces/{self.namespace}/pods/{self.name}/status",
            json={"metadata": {"uid": self.uid}, "status": status},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        if answer.ok:
            self.last_status = status

    # --- stopping ----------------------------------------------------------------------------------

    def _signal_group(self, container: Container, signum: int) -> None:
        """SIGTERM goes to the main process (the runtime signals the container's PID 1);
        SIGKILL to its whole process group."""
        if not container.alive:
            return
        assert container.process is not None
        with contextlib.suppress(ProcessLookupError):
            if signum == signal.SIGTERM:
                os.kill(container.process.pid, signum)
            else:
                os.killpg(container.process.pid, signum)

    def _wait_or_kill(self, containers: Sequence[Container], grace: float) -> None:
        deadline = time.monotonic() + grace
        for container in containers:
            if container.process is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                container.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(container.process.pid, signal.SIGKILL)
            container.process.wait()

    def _terminate(self, grace: int) -> None:
        running = [c for c in [*self.init_containers, *self.containers] if c.alive]
        for container in running:
            self._signal_group(container, signal.SIGTERM)
        self._wait_or_kill(running, float(grace))
        for container in running:
            container.state = {"terminated": container.terminated()}
            container.ready = False

    def _kill_all(self, grace: float) -> None:
        running = [c for c in [*self.init_containers, *self.containers] if c.process is not None]
        for container in running:
            self._signal_group(container, signal.SIGKILL)
        self._wait_or_kill(running, grace)

    def _teardown(self) -> None:
        if self.address is not None:
            self._kill_all(grace=0)
            self.runtime.network.detach(self.address)
            self.address = None

    def _remove_from_api(self) -> None:
        self.runtime.api.delete("v1", "Pod", self.name, self.namespace, gracePeriodSeconds=0,
                                preconditions={"uid": self.uid})

    def stop(self) -> None:
        """The agent is stopping: kill the pod's processes and tear its sandbox down."""
        self.stopping.set()
        self.thread.join(timeout=60)

    # --- for tests -----------------------------------------------------------------------------

    def container(self, name: str) -> Container:
        for container in [*self.init_containers, *self.containers]:
            if container.name == name:
                return container
        raise KeyError(name)

    def log(self, container: str) -> str:
        path = self.folder / f"{container}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _comparable(status: Mapping[str, Any]) -> Any:
    """The status without transition times (they change only with the condition)."""
    return {**status, "conditions": [(c["type"], c["status"]) for c in status.get("conditions", [])]}


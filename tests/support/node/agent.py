"""The test node agent: plays the kubelet for one or more Nodes of the test control plane.

It registers its Nodes (``registration``), renews their Leases and heartbeats from a
thread, and, given a ``Runtime`` (network, DNS, images), runs every pod the scheduler binds
to them as processes (``pods.PodWorker``, one thread per pod). Without a runtime it only
finishes the deletion of its pods, as a kubelet does once their containers are gone (none
ran): a bound pod, and its namespace, would never go otherwise.

Differences from a kubelet, beyond those of its parts (``pods``, ``sandbox``, ``volumes``,
``environment``, ``probes``, ``images``): it polls the API (every half second) instead of
watching; it has no eviction of its own (node pressure), no static pods, no ``kubectl
logs``/``exec`` server (tests read ``PodWorker.log``), and every Node is this one host.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tests.support.cluster_dns import ClusterDns
from tests.support.control_plane import HTTPS_PORT
from tests.support.kubernetes_api import KubernetesApi
from tests.support.node.images import FLINK_ENTRYPOINT, ImageCatalog, shell_image, zookeeper_layer
from tests.support.node.pods import PodWorker, Runtime
from tests.support.node.registration import LEASE_NAMESPACE, NodeSpec, conditions, lease, node_object
from tests.support.node.sandbox import skeleton
from tests.support.node_network import NodeNetwork
from tests.support.pods.errors import ClusterError
from tests.support.pods.zookeeper import ZooKeeperInstall
from tests.support.toolchain import find_java, flink_home, flink_versions

HEARTBEAT_SECONDS = 5.0
SYNC_SECONDS = 0.5
PLACEHOLDER_ADDRESS = "198.51.100.10"
"""A Node's InternalIP without a network: a documentation address (TEST-NET-2) that is on
no interface of this machine and that nothing ever sends traffic to."""
TERMINAL_PHASES = ("Succeeded", "Failed")


class NodeAgent:
    """Registers ``nodes``, keeps them fresh, runs their pods when given a ``runtime``, and
    on ``stop`` stops every pod and removes the Nodes."""

    def __init__(self, api: KubernetesApi, nodes: Sequence[NodeSpec], runtime: Runtime | None = None) -> None:
        self.api = api
        self.nodes = list(nodes)
        self.runtime = runtime
        self.workers: dict[str, PodWorker] = {}
        """Pod uid -> its worker (finished ones stay, for their logs)."""
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.heartbeats = 0
        self.errors: list[str] = []

    def start(self) -> None:
        for index, node in enumerate(self.nodes):
            if self.runtime is not None:
                body = node_object(node, self.runtime.network.gateway, self.runtime.network.pod_cidr(index))
            else:
                body = node_object(node, PLACEHOLDER_ADDRESS)
            answer = self.api.request("POST", "/api/v1/nodes", json=body)
            assert answer.ok, f"node {node.name}: {answer.message}"
            self._renew_lease(node)
        self._thread = threading.Thread(target=self._loop, name="node-agent", daemon=True)
        self._thread.start()

    def _renew_lease(self, node: NodeSpec) -> None:
        answer = self.api.apply(lease(node))
        assert answer.ok, f"lease {node.name}: {answer.message}"

    def _loop(self) -> None:
        last_beat = time.monotonic()
        while not self._stopping.wait(SYNC_SECONDS):
            try:
                self.sync()
            except (OSError, AssertionError) as problem:
                self.errors.append(f"sync: {problem}")
            if time.monotonic() - last_beat < HEARTBEAT_SECONDS:
                continue
            last_beat = time.monotonic()
            for node in self.nodes:
                with contextlib.suppress(OSError, AssertionError):
                    self._renew_lease(node)
                    self.api.request(
                        "PATCH", f"/api/v1/nodes/{node.name}/status",
                        json={"status": {"conditions": conditions()}},
                        headers={"Content-Type": "application/strategic-merge-patch+json"},
                    )
            self.heartbeats += 1

    def sync(self) -> None:
        """Start a worker for every new pod bound to these Nodes; finish deletions of pods
        no worker runs."""
        for index, node in enumerate(self.nodes):
            selector = {"fieldSelector": f"spec.nodeName={node.name}"}
            answer = self.api.request("GET", "/api/v1/pods", params=selector)
            for pod in answer.body.get("items", []):
                metadata = pod["metadata"]
                worker = self.workers.get(metadata["uid"])
                if worker is not None and not worker.finished.is_set():
                    continue
                if self.runtime is not None and worker is None and not metadata.get("deletionTimestamp") and (
                        pod.get("status", {}).get("phase") not in TERMINAL_PHASES):
                    worker = self.workers[metadata["uid"]] = PodWorker(self.runtime, pod, index)
                    worker.start()
                    continue
                if metadata.get("deletionTimestamp"):
                    self.api.delete("v1", "Pod", metadata["name"], metadata["namespace"],
                                    gracePeriodSeconds=0, preconditions={"uid": metadata["uid"]})

    def worker(self, namespace: str, name: str) -> PodWorker:
        """The newest worker of the pod ``namespace/name``."""
        found = [w for w in self.workers.values() if (w.namespace, w.name) == (namespace, name)]
        if not found:
            raise KeyError(f"{namespace}/{name}: no pod of that name ran here")
        return found[-1]

    def pod_errors(self) -> list[str]:
        return [f"{w.namespace}/{w.name}: {e}" for w in self.workers.values() for e in w.errors]

    def diagnostics(self, namespace: str, lines: int = 15) -> Callable[[], str]:
        """What went wrong in ``namespace``, for a failed wait: the agent's errors, then each
        container's state and last ``lines`` of output."""
        def explain() -> str:
            text = [*self.errors, *self.pod_errors()]
            for worker in list(self.workers.values()):
                if worker.namespace != namespace:
                    continue
                for container in [*worker.init_containers, *worker.containers]:
                    text.append(f"--- {worker.name}/{container.name}: {container.state}")
                    text.extend(worker.log(container.name).splitlines()[-lines:])
            return "\n".join(text)
        return explain

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_SECONDS * 2)
        for worker in self.workers.values():
            worker.stop()
        for node in self.nodes:
            self.api.delete("v1", "Node", node.name)
            self.api.delete("coordination.k8s.io/v1", "Lease", node.name, LEASE_NAMESPACE)


def catalog(folder: Path, flink_homes: dict[str, Path], java_home: Path) -> ImageCatalog:
    """The images of this machine, with the Flink entrypoint and the ZooKeeper layer (when
    Debian's ZooKeeper is installed) written into ``folder``."""
    entrypoint = folder / "docker-entrypoint.sh"
    entrypoint.write_text(FLINK_ENTRYPOINT)
    entrypoint.chmod(0o755)
    images = ImageCatalog(flink_homes=flink_homes, java_home=java_home, entrypoint=entrypoint)
    try:
        images.zookeeper = zookeeper_layer(folder / "zookeeper", ZooKeeperInstall.find())
    except ClusterError as missing:
        images.missing_zookeeper = str(missing)
    images.add(shell_image())
    return images


def runtime_folder() -> Path:
    """A folder for pods' files that every pod's user can enter (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="pulumi-flink-node-"))
    folder.chmod(0o755)
    skeleton(folder / "skeleton")
    return folder


@contextlib.contextmanager
def nodes_of(
    api: KubernetesApi, nodes: Sequence[NodeSpec], runtime: Runtime | None = None
) -> Iterator[NodeAgent]:
    agent = NodeAgent(api, nodes, runtime)
    try:
        agent.start()
        yield agent
    finally:
        agent.stop()


@contextlib.contextmanager
def running_agent(
    api: KubernetesApi, network: NodeNetwork, dns: ClusterDns, nodes: Sequence[NodeSpec]
) -> Iterator[NodeAgent]:
    """An agent whose pods run as processes on ``network``, with the Flink distributions the
    setup assembled and the JDK it found, its files in a folder of its own (removed
    afterwards). Raises, once the agent has stopped, if any pod's worker failed."""
    folder = runtime_folder()
    flink_homes = {".".join(v.split(".")[:2]): flink_home(v) for v in flink_versions()}
    runtime = Runtime(
        api=api, network=network, dns=dns, images=catalog(folder, flink_homes, find_java().home),
        folder=folder, api_endpoint=(network.gateway, HTTPS_PORT),
    )
    try:
        with nodes_of(api, nodes, runtime) as agent:
            yield agent
        errors = [*agent.errors, *agent.pod_errors()]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if errors:
        raise AssertionError("the node agent's pods failed:\n" + "\n".join(errors))

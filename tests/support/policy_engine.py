"""NetworkPolicies enforced on the test node network by a real engine: kube-network-policies.

kube-network-policies (sigs.k8s.io/kube-network-policies, pinned in tools/network-policies and
built by scripts/setup-network-policies.sh) is a node daemon: it watches NetworkPolicies, Pods
and Namespaces through the API, and decides in userspace, for the first packet of every
connection that the kernel queues to it (NFQUEUE), whether the policies admit it. Upstream runs
it as a DaemonSet with ``hostNetwork``; here it runs in the node network's node namespace
(tests/support/node_network.py), where every packet between pods, and between a pod and the
gateway, crosses the bridge: its rules and queue are that namespace's, never the host's.

How it runs, as a DaemonSet pod would:

- its identity is a ServiceAccount of its own (``kube-system/kube-network-policies``) bound
  to a ClusterRole with upstream's rules (list and watch pods, namespaces, networkpolicies);
  its token (a TokenRequest) and the cluster's CA are at the in-cluster paths, in a mount
  namespace of its own whose ``/run`` is an empty tmpfs (the host's files untouched, and no
  container runtime's NRI socket to find: pods' IPs come from the API only);
- ``KUBERNETES_SERVICE_HOST`` is the gateway, where the API server listens;
- it stops on SIGINT (its shutdown signal), within its 5 s grace, else SIGKILL, by PID.

What differs from a node, and why:

- The engine's own nftables rules do not load here. They send packets to its queue with the
  nftables ``queue`` expression, which this kernel lacks (``CONFIG_NFT_QUEUE`` is off and the
  kernel loads no modules): the engine's rule batch is refused whole (``netlink receive: no
  such file or directory``) and it retries, logging so. The kernel has the xtables NFQUEUE
  target, so the diversion to the queue is this module's, an iptables-legacy chain of the
  node namespace's ``FORWARD`` (which bridged IPv4 traffic crosses), in the engine's own
  order: packets of established connections pass; new connections from the gateway pass (the
  engine passes the node's own root-owned traffic, for the kubelet's probes: here the
  gateway is the node, where the agent's probes and the tests' clients run as root); every
  other packet is queued, without bypass (fail closed, the engine's default: with the engine
  gone and the chain still there, queued packets are dropped).
- One engine serves every Node of the agent (they share the bridge). Its node name picks the
  pods for its nftables set, which does not load; its verdicts look every pod up by IP.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.control_plane import HTTPS_PORT, built_by
from tests.support.kubernetes_api import KubernetesApi
from tests.support.node_network import NodeNetwork, node_command

ENGINE = "kube-network-policies"
"""The binary, and the name of its ServiceAccount, ClusterRole and ClusterRoleBinding."""
ENGINE_NAMESPACE = "kube-system"
QUEUE = 100
"""The NFQUEUE number the engine reads (its default)."""
CHAIN = "POLICY-ENGINE"
"""The node namespace's iptables chain that queues packets to the engine."""
SERVICE_ACCOUNT_FOLDER = "/run/secrets/kubernetes.io/serviceaccount"
"""Where client-go's in-cluster config reads the token and CA (/var/run is /run)."""
TOKEN_SECONDS = 7200
START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 15.0
RULES = [
    {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["list", "watch"]},
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["list", "watch"]},
]
"""What the engine reads, as its upstream ClusterRole grants it."""
LAUNCH = (
    'mount -t tmpfs -o mode=0755,size=1m policy-engine-run /run'
    f' && mkdir -p {SERVICE_ACCOUNT_FOLDER} && mount --bind "$0" {SERVICE_ACCOUNT_FOLDER}'
    ' && exec "$@"'
)
"""Run in the engine's own mount namespace: an empty /run with the token folder bound in."""


def identity_objects() -> list[dict[str, Any]]:
    """The engine's ServiceAccount, its ClusterRole and their binding."""
    metadata = {"name": ENGINE}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {**metadata, "namespace": ENGINE_NAMESPACE}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": metadata,
         "rules": RULES},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": metadata,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ENGINE},
         "subjects": [{"kind": "ServiceAccount", "name": ENGINE, "namespace": ENGINE_NAMESPACE}]},
    ]


def diversion(gateway: str, queue: int = QUEUE) -> list[list[str]]:
    """iptables commands that queue the node namespace's forwarded packets to the engine
    (see the module docstring for the order)."""
    return [
        ["-N", CHAIN],
        ["-A", CHAIN, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"],
        ["-A", CHAIN, "-s", f"{gateway}/32", "-j", "RETURN"],
        ["-A", CHAIN, "-j", "NFQUEUE", "--queue-num", str(queue)],
        ["-I", "FORWARD", "1", "-j", CHAIN],
    ]


def undo_diversion() -> list[list[str]]:
    return [["-D", "FORWARD", "-j", CHAIN], ["-F", CHAIN], ["-X", CHAIN]]


def engine_argv(binary: Path, node_name: str, queue: int = QUEUE) -> list[str]:
    return [
        str(binary),
        f"--hostname-override={node_name}",
        f"--nfqueue-id={queue}",
        "--metrics-bind-address=127.0.0.1:9080",  # the node namespace's loopback
        "--netfilter-bug-1766-fix=false",  # fixed in the kernels this runs on (6.12+)
        "--v=2",  # a line per verdict
    ]


def bound_queues(nfnetlink_queue: str) -> set[int]:
    """The queue numbers a process listens on, from /proc/net/netfilter/nfnetlink_queue."""
    return {int(line.split()[0]) for line in nfnetlink_queue.splitlines() if line.strip()}


@dataclass(frozen=True)
class Verdict:
    """The engine's decision on a connection's first packet."""

    source: str
    """``ip:port``"""
    destination: str
    protocol: str
    verdict: str
    """``accept`` or ``drop``."""
    source_pod: str
    destination_pod: str
    """``namespace/name``, or ``none`` for an address that is no pod's."""


EVALUATING = re.compile(
    r'"Evaluating packet" srcPod="(?P<source_pod>[^"]*)" dstPod="(?P<destination_pod>[^"]*)"'
    r' packet=<\s*\[(?P<id>\d+)\] (?P<source>\S+) (?P<destination>\S+) (?P<protocol>\S+)'
)
FINISHED = re.compile(r'"Finished syncing packet" id=(?P<id>\d+) .*?verdict="(?P<verdict>\w+)"')


def verdicts(log: str) -> list[Verdict]:
    """Every verdict in the engine's log, in order (its ``--v=2`` lines, joined by packet id)."""
    evaluated = {m["id"]: m for m in EVALUATING.finditer(log)}
    found = []
    for finished in FINISHED.finditer(log):
        packet = evaluated.get(finished["id"])
        if packet is not None:
            found.append(Verdict(packet["source"], packet["destination"], packet["protocol"],
                                 finished["verdict"], packet["source_pod"], packet["destination_pod"]))
    return found


class PolicyEngine:
    """kube-network-policies on ``network``'s node namespace; ``start``, ``stop`` (idempotent)."""

    def __init__(self, api: KubernetesApi, ca: Path, network: NodeNetwork, folder: Path,
                 binary: Path | None = None) -> None:
        self.api = api
        self.ca = ca
        self.network = network
        self.folder = folder
        self.binary = binary or built_by("setup-network-policies.sh") / ENGINE
        self.process: subprocess.Popen[bytes] | None = None
        self._diverted = False

    @property
    def log_path(self) -> Path:
        return self.folder / f"{ENGINE}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def verdicts(self) -> list[Verdict]:
        return verdicts(self.log())

    def _iptables(self, args: Sequence[str]) -> None:
        # The lock file of the test's own, not the host's /run/xtables.lock.
        env = {"PATH": os.environ["PATH"], "XTABLES_LOCKFILE": str(self.folder / "xtables.lock")}
        result = subprocess.run(node_command(self.network, ["iptables-legacy", "-w", *args]),
                                capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"iptables-legacy {' '.join(args)}: {result.stderr.strip()}")

    def _token(self) -> str:
        path = f"/api/v1/namespaces/{ENGINE_NAMESPACE}/serviceaccounts/{ENGINE}/token"
        answer = self.api.request("POST", path, json={
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": TOKEN_SECONDS}})
        assert answer.ok, f"token for {ENGINE}: {answer.message}"
        return str(answer.body["status"]["token"])

    def _secrets(self) -> Path:
        folder = self.folder / "serviceaccount"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "token").write_text(self._token())
        (folder / "ca.crt").write_bytes(self.ca.read_bytes())
        (folder / "namespace").write_text(ENGINE_NAMESPACE)
        return folder

    def queues(self) -> set[int]:
        """The queues some process of the node namespace listens on now."""
        result = subprocess.run(node_command(self.network, ["cat", "/proc/net/netfilter/nfnetlink_queue"]),
                                capture_output=True, text=True, check=True)
        return bound_queues(result.stdout)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for obj in identity_objects():
            answer = self.api.apply(obj)
            assert answer.ok, f"{obj['kind']} {ENGINE}: {answer.message}"
        secrets = self._secrets()
        argv = node_command(self.network, ["unshare", "--mount", "--propagation", "private",
                                           "sh", "-c", LAUNCH, str(secrets),
                                           *engine_argv(self.binary, self.network.netns)])
        env = {"PATH": os.environ["PATH"], "KUBERNETES_SERVICE_HOST": self.network.gateway,
               "KUBERNETES_SERVICE_PORT": str(HTTPS_PORT)}
        with self.log_path.open("wb") as sink:
            self.process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        # It opens its queue once its caches have synced: from then on its verdicts read them.
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while QUEUE not in self.queues():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{ENGINE} did not listen on queue {QUEUE}:\n{self.log()[-4000:]}")
            time.sleep(0.2)
        self._diverted = True
        for args in diversion(self.network.gateway):
            self._iptables(args)

    def stop(self) -> None:
        """The chain first (so nothing is queued to an engine that is leaving), then the engine
        by PID, then its identity."""
        if self._diverted:
            for args in undo_diversion():
                with contextlib.suppress(RuntimeError):  # a chain half made by a failed start
                    self._iptables(args)
            self._diverted = False
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        for obj in reversed(identity_objects()):
            self.api.delete(obj["apiVersion"], obj["kind"], obj["metadata"]["name"],
                            obj["metadata"].get("namespace"))


@contextlib.contextmanager
def enforcing(api: KubernetesApi, ca: Path, network: NodeNetwork, folder: Path) -> Iterator[PolicyEngine]:
    engine = PolicyEngine(api, ca, network, folder)
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()

"""A real Kubernetes control plane for the tests: etcd, kube-apiserver, kube-controller-manager
and kube-scheduler, built from source by scripts/setup-kubernetes.sh, started in a folder of
the test's own, and stopped by PID.

Where the API server listens: on loopback by default (a free port); given a ``NodeNetwork``
(tests/support/node_network.py), on the bridge's gateway address at port 443, as a cluster's
API server is reached from its pods. Then it advertises that address and its endpoint
reconciler keeps it in the ``kubernetes`` Service's Endpoints and EndpointSlice (on loopback
there is no reconciler: the API server refuses a loopback address in Endpoints), its serving
certificate names it, and every client of the host (the admin's, the kubeconfigs) uses it.
etcd stays on loopback.

The API server runs as a cluster's would where it matters here: ``Node,RBAC`` authorization,
client certificates from the test's CA, ServiceAccount tokens signed by a key of the test's,
the PodSecurity admission plugin (on by default), a service CIDR. The controller manager runs
the controllers a Flink cluster needs, each with its own ServiceAccount's credentials.
What it does not have: nodes that run pods (no kubelet, no container runtime, no images).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.certificates import CertificateAuthority, KeyPair, service_account_key
from tests.support.kubernetes_api import KubernetesApi
from tests.support.node_network import NodeNetwork
from tests.support.paths import ROOT

HOST = "127.0.0.1"
SERVICE_CIDR = "10.0.0.0/24"
KUBERNETES_SERVICE_IP = "10.0.0.1"
"""The first address of the service CIDR: the ``kubernetes`` Service's, which the API
server's serving certificate names."""
CONTROLLERS = (
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
    "job-controller",
    "endpoints-controller",
    "endpointslice-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "namespace-controller",
    "disruption-controller",
    "root-ca-certificate-publisher-controller",
    # A store's StatefulSet claims volumes; a claim's protection finalizer is lifted by these.
    "persistentvolumeclaim-protection-controller",
    "persistentvolume-protection-controller",
    # Binds a claim (a ZooKeeper StatefulSet's volumeClaimTemplates, the Flink HA storage) to
    # a matching PersistentVolume; without it a claim stays Pending and its pod unscheduled.
    "persistentvolume-binder-controller",
    "pod-garbage-collector-controller",
    # Lifts the not-ready taint a new Node gets once it reports Ready, and taints a Node whose
    # Lease goes stale: what makes the agent's heartbeats matter.
    "node-lifecycle-controller",
)
"""What a Flink cluster needs of the controller manager, and nothing else."""
START_TIMEOUT_SECONDS = 60.0
DEFAULT = "default"
"""The namespace, and its ServiceAccount, that exist once the controllers run."""
STOP_GRACE_SECONDS = 10.0
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted"],
    "rules": [
        {"level": "None", "userGroups": ["system:serviceaccounts:kube-system"]},  # the controllers
        {"level": "Metadata", "userGroups": ["system:serviceaccounts"]},
        {"level": "None"},
    ],
}
"""Every request a pod makes with its ServiceAccount token, once answered, and nothing else
(the controllers' own ServiceAccounts live in kube-system): what a test asks to prove a
workload needs no more than its Role."""
HTTPS_PORT = 443
"""The API server's port on a node network: the ``kubernetes`` Service's port and target port."""


def built_by(script: str) -> Path:
    """The folder of binaries that ``scripts/<script>`` builds (the first time on this machine)
    and prints."""
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / script)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/{script} failed:\n{result.stderr[-4000:]}")
    return Path(result.stdout.strip().splitlines()[-1])


def binaries() -> Path:
    """The folder of the control plane's binaries."""
    return built_by("setup-kubernetes.sh")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def api_address(network: NodeNetwork | None) -> tuple[str, int]:
    """Where the API server listens: the network's gateway at 443, or loopback at a free port."""
    return (network.gateway, HTTPS_PORT) if network is not None else (HOST, free_port())


def listening_flags(host: str, port: int, advertised: bool) -> list[str]:
    """The API server's address flags; ``advertised``, it also keeps that address in the
    ``kubernetes`` Service's endpoints (the default ``lease`` reconciler)."""
    flags = [f"--bind-address={host}", f"--secure-port={port}"]
    if advertised:
        return [*flags, f"--advertise-address={host}"]
    # The `kubernetes` Endpoints would name a loopback address, which the API server refuses
    # in Endpoints: no reconciler without a node network.
    return [*flags, "--endpoint-reconciler-type=none"]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class ControlPlane:
    """One control plane in ``folder``; ``start`` it, ``stop`` it (or use ``running``)."""

    folder: Path
    bin: Path
    processes: list[Process] = field(default_factory=list)
    api: KubernetesApi | None = None
    url: str = ""
    network: NodeNetwork | None = None
    """Given, the API server listens on its gateway (see the module docstring)."""

    def _spawn(self, name: str, args: Sequence[str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as sink:
            popen = subprocess.Popen(
                [str(self.bin / args[0]), *args[1:]],
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.folder,
                start_new_session=True,  # its own group: a stop reaches its children too
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def _kubeconfig(self, name: str, client: KeyPair) -> Path:
        path = self.folder / f"{name}.kubeconfig"
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "test", "cluster": {
                        "server": self.url, "certificate-authority": str(self.ca.certificate)}}],
                    "users": [{"name": name, "user": {
                        "client-certificate": str(client.certificate), "client-key": str(client.key)}}],
                    "contexts": [{"name": "test", "context": {"cluster": "test", "user": name}}],
                    "current-context": "test",
                }
            )
        )
        return path

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        api_host, api_port = api_address(self.network)
        pki = self.folder / "pki"
        self.ca = CertificateAuthority(pki)
        serving = self.ca.issue(
            "apiserver",
            "kube-apiserver",
            dns_names=("kubernetes", "kubernetes.default", "kubernetes.default.svc",
                       "kubernetes.default.svc.cluster.local", "localhost"),
            ip_addresses=tuple(dict.fromkeys((HOST, KUBERNETES_SERVICE_IP, api_host))),
        )
        admin = self.ca.issue("admin", "pulumi-flink-test-admin", organization="system:masters")
        controller_manager = self.ca.issue("controller-manager", "system:kube-controller-manager")
        scheduler = self.ca.issue("scheduler", "system:kube-scheduler")
        signing_key = service_account_key(pki)

        etcd_client, etcd_peer = free_port(), free_port()
        self._spawn("etcd", [
            "etcd", "--name", "test", "--data-dir", str(self.folder / "etcd"),
            "--listen-client-urls", f"http://{HOST}:{etcd_client}",
            "--advertise-client-urls", f"http://{HOST}:{etcd_client}",
            "--listen-peer-urls", f"http://{HOST}:{etcd_peer}",
            "--initial-advertise-peer-urls", f"http://{HOST}:{etcd_peer}",
            "--initial-cluster", f"test=http://{HOST}:{etcd_peer}",
            "--unsafe-no-fsync",  # a test's store: losing it on power loss is fine
        ])
        self.url = f"https://{api_host}:{api_port}"
        self._spawn("kube-apiserver", [
            "kube-apiserver",
            f"--etcd-servers=http://{HOST}:{etcd_client}",
            *listening_flags(api_host, api_port, advertised=self.network is not None),
            "--authorization-mode=Node,RBAC",
            f"--client-ca-file={self.ca.certificate}",
            f"--tls-cert-file={serving.certificate}",
            f"--tls-private-key-file={serving.key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={signing_key}",
            f"--service-account-signing-key-file={signing_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--enable-admission-plugins=NodeRestriction",
            "--allow-privileged=false",
            "--profiling=false",
            f"--audit-policy-file={self._audit_policy()}",
            f"--audit-log-path={self.audit_log}",
            "--audit-log-mode=blocking",  # written before the answer: a test reads it at once
        ])
        api = self.api = KubernetesApi(self.url, self.ca.certificate, admin)
        self._wait("kube-apiserver", api.ready)
        self._spawn("kube-controller-manager", [
            "kube-controller-manager",
            f"--kubeconfig={self._kubeconfig('controller-manager', controller_manager)}",
            f"--controllers={','.join(CONTROLLERS)}",
            "--use-service-account-credentials",
            f"--service-account-private-key-file={signing_key}",
            f"--root-ca-file={self.ca.certificate}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--leader-elect=false",
            "--secure-port=0",
        ])
        self._spawn("kube-scheduler", [
            "kube-scheduler",
            f"--kubeconfig={self._kubeconfig('scheduler', scheduler)}",
            "--leader-elect=false",
            "--secure-port=0",
        ])
        # Ready when the token controller has given the default namespace its ServiceAccount.
        self._wait("kube-controller-manager", lambda: api.exists("v1", "ServiceAccount", DEFAULT, DEFAULT))

    def _wait(self, what: str, check: Callable[[], bool]) -> None:
        """Until ``check()`` holds; any process of the plane exiting meanwhile is an error."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.popen.poll() is not None:
                    raise RuntimeError(
                        f"{process.name} exited {process.popen.returncode} while waiting for {what}:\n"
                        f"{process.tail()}"
                    )
            with contextlib.suppress(OSError):
                if check():
                    return
            time.sleep(0.2)
        logs = "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.processes)
        raise RuntimeError(f"{what} not ready within {START_TIMEOUT_SECONDS:.0f}s:\n{logs}")

    def stop(self) -> None:
        """Every process started, newest first: SIGTERM to its group, then SIGKILL after the grace."""
        for process in reversed(self.processes):
            popen = process.popen
            if popen.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGTERM)
            try:
                popen.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, signal.SIGKILL)
                popen.wait()
        self.processes.clear()

    @property
    def audit_log(self) -> Path:
        return self.folder / "audit.log"

    def _audit_policy(self) -> Path:
        path = self.folder / "audit-policy.yaml"
        path.write_text(yaml.safe_dump(AUDIT_POLICY))
        return path

    def audit_position(self) -> int:
        """Where the audit log ends now: ``audit_events`` from here lists what comes after."""
        return self.audit_log.stat().st_size if self.audit_log.exists() else 0

    def audit_events(self, since: int = 0) -> list[dict[str, Any]]:
        """The audit events (one per request of a ServiceAccount, at its end) logged after
        ``since``."""
        with self.audit_log.open("rb") as log:
            log.seek(since)
            return [json.loads(line) for line in log.read().splitlines() if line.strip()]

    def diagnostics(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.processes)


@contextlib.contextmanager
def running(folder: Path, network: NodeNetwork | None = None) -> Iterator[ControlPlane]:
    plane = ControlPlane(folder, binaries(), network=network)
    try:
        plane.start()
        yield plane
    finally:
        plane.stop()

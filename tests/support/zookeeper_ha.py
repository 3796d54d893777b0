"""ZooKeeper HA on the test control plane: what its ensemble says of itself, what Flink
publishes in it, the Eviction API, and a rendered ZooKeeper-HA cluster deployed and failed
over (tests/kubernetes/test_ha_zookeeper.py, scripts/control_plane_benchmark.py).

Storage is provisioned by hand (tests/support/persistent_volumes.py).

The ensemble and Flink are asked from the node, as the pods' IPs are reachable from it: the
four-letter words ``srvr`` and ``mntr``, and Flink's leader information in ZooKeeper
(``ZooKeeperClient``, read-only).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tests.support.flink_rest import FlinkRest, RestError
from tests.support.ha_cluster import completed_checkpoints_in, leader_ip, render_ha, zookeeper_root
from tests.support.kubernetes_api import Answer, KubernetesApi
from tests.support.kubernetes_cluster import apply_all, pods_of, rolled_out, the_one, wait_for
from tests.support.node.agent import NodeAgent
from tests.support.persistent_volumes import StaticVolume, claim, static_volumes
from tests.support.pods.plans import flat_config
from tests.support.pods.zookeeper import (
    ZooKeeperClient,
    ZooKeeperError,
    flink_leader_information,
    four_letter_word,
)

# --- the ensemble ---------------------------------------------------------------------------

def server_mode(ip: str, port: int) -> str | None:
    """A ZooKeeper server's role (``srvr``): 'leader', 'follower', or None while it serves none."""
    try:
        text = four_letter_word(ip, port, "srvr")
    except OSError:
        return None
    match = re.search(r"^Mode: (\w+)", text, re.M)
    return match[1] if match else None


def monitor(ip: str, port: int) -> dict[str, str]:
    """A server's ``mntr`` answer: ``zk_*`` key -> value."""
    lines = four_letter_word(ip, port, "mntr").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def quorum(servers: Mapping[str, str], port: int) -> dict[str, str] | None:
    """Every server's mode (name -> 'leader'/'follower') once they form one quorum with one
    leader; ``servers`` is name -> IP."""
    modes = {name: server_mode(ip, port) for name, ip in servers.items()}
    if list(modes.values()).count("leader") == 1 and all(m in ("leader", "follower") for m in modes.values()):
        return {name: str(mode) for name, mode in modes.items()}
    return None


# --- what Flink keeps in it ----------------------------------------------------------------------

@dataclass(frozen=True)
class Leader:
    """The JobManager leading a Flink cluster, as ZooKeeper names it."""

    ip: str
    session: str


def leader(servers: Sequence[str], port: int, root: str, component: str = "dispatcher") -> Leader | None:
    """The leader of ``component`` that Flink published under ``root``
    (``<root>/leader/<component>/connection_info``), asked of the first server that answers."""
    for ip in servers:
        try:
            with ZooKeeperClient(ip, port) as zookeeper:
                data = zookeeper.get(f"{root}/leader/{component}/connection_info")
        except (ZooKeeperError, OSError):
            continue
        if not data:
            return None
        address, session = flink_leader_information(data)
        found = leader_ip(address)
        return Leader(found, session) if found else None
    return None


def contenders(servers: Sequence[str], port: int, root: str) -> int | None:
    """JobManagers in the leader election (the latch's ephemeral nodes, one per live session)."""
    for ip in servers:
        try:
            with ZooKeeperClient(ip, port) as zookeeper:
                return len(zookeeper.children(f"{root}/leader/latch"))
        except (ZooKeeperError, OSError):
            continue
    return None


def running_at(rest: FlinkRest, job_id: str) -> dict[str, Any] | None:
    """The job once it runs at ``rest`` (``FlinkRest.running``); None while that JobManager's
    REST endpoint answers with an error (a new leader's, until it serves) or does not list the
    job yet (not recovered from the HA store)."""
    try:
        jobs = {job["jid"] for job in rest.call("GET", "/jobs/overview")["jobs"]}
    except RestError:
        return None
    return rest.running(job_id) if job_id in jobs else None


# --- the Eviction API ------------------------------------------------------------------------

def evict(api: KubernetesApi, namespace: str, pod: str) -> Answer:
    """Ask the API server to evict ``pod`` (policy/v1 Eviction): 201 when the pod's
    PodDisruptionBudgets allow it, 429 when one would be broken."""
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": namespace}}
    return api.request("POST", f"/api/v1/namespaces/{namespace}/pods/{pod}/eviction", json=body)


# --- the rendered cluster, running on the control plane ---------------------------------------

HA_STORAGE = "1Gi"
"""The size of the Flink HA storage claim the test makes (the stack names the claim)."""
SIGKILL_EXIT_CODE = 128 + signal.SIGKILL


def container_port(pod_spec: Mapping[str, Any], name: str) -> int:
    (port,) = [p["containerPort"] for c in pod_spec["containers"] for p in c.get("ports", [])
               if p["name"] == name]
    return int(port)


@dataclass
class HaDeployment:
    """A ZooKeeper-HA cluster's render (of the stack entry ``spec``), running, and the folders
    of the volumes provisioned for it."""

    spec: Mapping[str, Any]
    objects: list[dict[str, Any]]
    folders: dict[str, Path]
    """PersistentVolume name -> its hostPath folder."""

    @property
    def namespace(self) -> str:
        return str(self.spec["namespace"])

    @property
    def cluster(self) -> str:
        return str(self.spec["name"])

    @property
    def statefulset(self) -> dict[str, Any]:
        return the_one(self.objects, "StatefulSet")

    @property
    def config(self) -> dict[str, str]:
        return flat_config(the_one(self.objects, "ConfigMap", f"{self.cluster}-config")["data"])

    @property
    def zoo_cfg(self) -> dict[str, str]:
        text = the_one(self.objects, "ConfigMap", self.statefulset["metadata"]["name"])["data"]["zoo.cfg"]
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    @property
    def client_port(self) -> int:
        return container_port(self.statefulset["spec"]["template"]["spec"], "client")

    @property
    def root(self) -> str:
        return zookeeper_root(self.config)

    @property
    def checkpoint_dir(self) -> Path:
        """Where the rendered ``execution.checkpointing.dir`` lies on this machine: on the
        folder of the volume mounted there."""
        path = PurePosixPath(self.config["execution.checkpointing.dir"].removeprefix("file://"))
        jobmanager = the_one(self.objects, "Deployment", f"{self.cluster}-jobmanager")["spec"]["template"]
        (mount,) = [m["mountPath"] for m in jobmanager["spec"]["containers"][0]["volumeMounts"]
                    if path.is_relative_to(m["mountPath"])]
        return self.folders[ha_volume(self.spec)] / path.relative_to(mount)

    def servers(self, api: KubernetesApi) -> dict[str, str]:
        """ZooKeeper pod name -> its IP."""
        pods = sorted(pods_of(api, self.namespace, "zookeeper").items())
        return {name: pod["status"].get("podIP", "") for name, pod in pods}

    def leader(self, api: KubernetesApi) -> Leader | None:
        return leader(list(self.servers(api).values()), self.client_port, self.root)

    def contenders(self, api: KubernetesApi) -> int | None:
        return contenders(list(self.servers(api).values()), self.client_port, self.root)

    def jobmanager_at(self, api: KubernetesApi, ip: str) -> str:
        """The name of the JobManager pod with that IP."""
        (name,) = [n for n, p in pods_of(api, self.namespace, "jobmanager").items()
                   if p["status"].get("podIP") == ip]
        return name

    def rest_at(self, agent: NodeAgent, found: Leader) -> FlinkRest:
        return FlinkRest(f"http://{found.ip}:{self.config['rest.port']}", agent.diagnostics(self.namespace))


def ha_volume(spec: Mapping[str, Any]) -> str:
    """The PersistentVolume the test provisions for the stack's Flink HA claim."""
    return f"{spec['name']}-{spec['highAvailability']['volumeClaim']}"


def provisioned_volumes(spec: Mapping[str, Any], objects: list[dict[str, Any]]) -> list[StaticVolume]:
    """One volume per ZooKeeper server, as its claim template asks, owned by the servers' user;
    one shared volume for the Flink HA storage, owned by Flink's."""
    statefulset = the_one(objects, "StatefulSet")
    (template,) = statefulset["spec"]["volumeClaimTemplates"]
    (access_mode,) = template["spec"]["accessModes"]
    zookeeper = statefulset["spec"]["template"]["spec"]["securityContext"]
    jobmanager = the_one(objects, "Deployment", f"{spec['name']}-jobmanager")
    flink = jobmanager["spec"]["template"]["spec"]["securityContext"]
    capacity = template["spec"]["resources"]["requests"]["storage"]
    return [
        *(StaticVolume(f"{spec['name']}-zookeeper-{index}", access_mode, capacity, zookeeper["runAsUser"],
                       zookeeper["fsGroup"])
          for index in range(statefulset["spec"]["replicas"])),
        StaticVolume(ha_volume(spec), "ReadWriteMany", HA_STORAGE, flink["runAsUser"], flink["fsGroup"]),
    ]


@contextlib.contextmanager
def deployed(
    agent: NodeAgent, spec: Mapping[str, Any], folder: Path, timeout: float
) -> Iterator[HaDeployment]:
    """The render of ``spec`` applied with its volumes provisioned under ``folder``, once the
    StatefulSet and the Deployments have rolled out and Flink has a leader in ZooKeeper;
    deleted afterwards."""
    api, namespace = agent.api, str(spec["namespace"])
    folder.mkdir(parents=True, exist_ok=True)
    objects = render_ha(spec)
    explain = agent.diagnostics(namespace)
    ha_claim = claim(spec["highAvailability"]["volumeClaim"], namespace, "ReadWriteMany", HA_STORAGE)
    with (static_volumes(api, folder, provisioned_volumes(spec, objects)) as folders,
          apply_all(api, [*objects, ha_claim])):
        deployment = HaDeployment(spec, objects, folders)
        workloads = [("StatefulSet", deployment.statefulset["metadata"]["name"])] + [
            ("Deployment", o["metadata"]["name"]) for o in objects if o["kind"] == "Deployment"]
        for kind, name in workloads:
            wait_for(f"{kind} {name} rolled out", functools.partial(rolled_out, api, namespace, name, kind),
                     timeout, explain)
        wait_for("a Flink leader in ZooKeeper", lambda: deployment.leader(api), timeout, explain)
        yield deployment


@dataclass(frozen=True)
class Failover:
    """One leader loss: the pod killed, the pod leading after, the seconds from the kill to
    a new leader in ZooKeeper and to the job running again, and the checkpoints: the last
    completed before, the newest on the HA storage at the kill, the one restored."""

    old_leader: str
    new_leader: str
    elected_s: float
    running_s: float
    completed_before: int
    on_storage: int
    restored: int


def restarted(api: KubernetesApi, namespace: str, pod: str, restarts: int) -> dict[str, Any] | None:
    """The JobManager container's status once it has restarted after ``restarts`` and is Ready."""
    found = api.get("v1", "Pod", pod, namespace).body
    (status,) = [s for s in found.get("status", {}).get("containerStatuses", []) if s["name"] == "jobmanager"]
    return status if status["restartCount"] > restarts and status["ready"] else None


def kill_the_leader(ha: HaDeployment, agent: NodeAgent, job_id: str, timeout: float) -> Failover:
    """SIGKILL the leading JobManager's container main process (by its PID); wait for the
    standby to lead and run the job again, and for the killed one to stand by."""
    api, namespace = agent.api, ha.namespace
    explain = agent.diagnostics(namespace)
    before = ha.leader(api)
    assert before is not None
    rest = ha.rest_at(agent, before)
    completed_before = rest.latest_checkpoint(job_id)
    assert completed_before is not None, "no checkpoint before the kill"
    old_name = ha.jobmanager_at(api, before.ip)
    container = agent.worker(namespace, old_name).container("jobmanager")
    assert container.process is not None
    restarts = container.restarts
    os.kill(container.process.pid, signal.SIGKILL)
    killed = time.monotonic()
    on_storage = max(completed_checkpoints_in(ha.checkpoint_dir, job_id))

    def new_leader() -> Leader | None:
        found = ha.leader(api)
        return found if found is not None and found.session != before.session else None

    after = wait_for("a new leader", new_leader, timeout, explain)
    elected = time.monotonic()
    rest = ha.rest_at(agent, after)
    wait_for("the job running again", lambda: running_at(rest, job_id), timeout, rest.diagnostics)
    back = time.monotonic()
    restored = rest.wait("the restored checkpoint", lambda: rest.latest_checkpoint(job_id, "restored"), 30)
    # The killed container restarted, as the kubelet restarts it, and stands by.
    status = wait_for("the killed JobManager restarted",
                      lambda: restarted(api, namespace, old_name, restarts), timeout, explain)
    assert status["lastState"]["terminated"]["exitCode"] == SIGKILL_EXIT_CODE, status
    wait_for("two JobManagers in the election again", lambda: ha.contenders(api) == 2, timeout, explain)
    return Failover(old_name, ha.jobmanager_at(api, after.ip), elected - killed, back - killed,
                    completed_before, on_storage, restored)

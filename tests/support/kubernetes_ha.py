"""A Flink cluster with Kubernetes HA on the test control plane, as the HA tests and the
benchmark drive it: its leader as Flink records it in the API server (the cluster's
ConfigMap with the leader annotation and each component's address), the pod that leads,
and one leader loss measured from the SIGKILL to the job running again from a checkpoint.

Flink's Kubernetes HA keeps, in ``<kubernetes.cluster-id>-cluster-config-map``, a lease in
the ``control-plane.alpha.kubernetes.io/leader`` annotation (holder, lease duration, renew
time) and the leader per component in ``org.apache.flink.k8s.leader.<component>`` data keys
as ``<session id>,<address>`` (the dispatcher's address is
``pekko.tcp://flink@<pod IP>:<port>/user/rpc/dispatcher_<n>``), beside the job graphs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.clusters import FAST_START_JVM_OPTIONS
from tests.support.flink_rest import FlinkRest, RestError
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import stack_objects, the_one
from tests.support.node.agent import NodeAgent
from tests.support.persistent_volumes import StaticVolume, claim, static_volumes
from tests.support.toolchain import JOB_CLASS

LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
DISPATCHER_LEADER_KEY = "org.apache.flink.k8s.leader.dispatcher"
LEADER_IP = re.compile(r"@(?P<ip>[0-9.]+):")
NAMESPACE = "flink-prod"
IMAGE = "registry.example.com/data/orders-enricher:1.4.0-flink1.20.3-java17"
JAR = "/opt/flink/usrlib/orders-enricher.jar"
CLAIM = "flink-ha"
LEASE_KEYS = (
    "high-availability.kubernetes.leader-election.lease-duration",
    "high-availability.kubernetes.leader-election.renew-deadline",
    "high-availability.kubernetes.leader-election.retry-period",
)


@contextlib.contextmanager
def static_claim(
    api: KubernetesApi, namespace: str, name: str, folder: Path, owner: Mapping[str, Any], size: str = "1Gi"
) -> Iterator[None]:
    """A ReadWriteMany claim on a hostPath volume in ``folder`` owned as the pods that mount
    it run (``owner``: their pod securityContext), as an NFS export for the cluster would be."""
    volume = StaticVolume(f"{namespace}-{name}", "ReadWriteMany", size, owner["runAsUser"], owner["fsGroup"])
    folder.mkdir(parents=True, exist_ok=True)
    with static_volumes(api, folder, [volume]):
        answer = api.apply(claim(name, namespace, "ReadWriteMany", size))
        assert answer.ok, answer.message
        yield


@dataclass
class KubernetesHaCluster:
    """One standalone cluster with Kubernetes HA (``cluster_id`` is its kubernetes.cluster-id)."""

    agent: NodeAgent
    namespace: str
    cluster_id: str
    job_id: str
    pod_security: Mapping[str, Any]
    """The Flink pods' securityContext: who owns the HA storage."""
    rest_port: int = 8081

    @property
    def api(self) -> KubernetesApi:
        return self.agent.api

    def leader_record(self) -> dict[str, Any] | None:
        answer = self.api.get("v1", "ConfigMap", f"{self.cluster_id}-cluster-config-map", self.namespace)
        return answer.body if answer.ok else None

    def lease(self) -> dict[str, Any] | None:
        record = self.leader_record()
        annotation = (record or {}).get("metadata", {}).get("annotations", {}).get(LEADER_ANNOTATION)
        return json.loads(annotation) if annotation else None

    def leader_ip(self) -> str | None:
        """The pod IP in the dispatcher's leader record."""
        record = self.leader_record()
        value = (record or {}).get("data", {}).get(DISPATCHER_LEADER_KEY)
        match = LEADER_IP.search(str(value).partition(",")[2]) if value else None
        return match["ip"] if match else None

    def leader_pod(self) -> str | None:
        """The name of the JobManager pod whose IP the dispatcher's leader record names."""
        ip = self.leader_ip()
        if ip is None:
            return None
        answer = self.api.request("GET", f"/api/v1/namespaces/{self.namespace}/pods",
                                  params={"labelSelector": "app.kubernetes.io/component=jobmanager"})
        for pod in answer.body["items"]:
            if pod.get("status", {}).get("podIP") == ip and not pod["metadata"].get("deletionTimestamp"):
                return str(pod["metadata"]["name"])
        return None

    def describe(self) -> str:
        """The namespace's ConfigMaps as Flink left them (names, annotations, data keys)."""
        lines = []
        for config_map in self.api.list("v1", "ConfigMap", self.namespace):
            metadata = config_map["metadata"]
            lines.append(f"ConfigMap {metadata['name']}: annotations {metadata.get('annotations', {})}, "
                         f"data {dict(config_map.get('data', {}))}"[:1500])
        return "\n".join(lines)

    def rest(self) -> FlinkRest:
        """The leading JobManager's REST API."""
        ip = self.leader_ip()
        assert ip is not None, "no leader recorded"
        return FlinkRest(f"http://{ip}:{self.rest_port}", self.agent.diagnostics(self.namespace))

    def latest_completed(self) -> int | None:
        return self.rest().latest_checkpoint(self.job_id)

    def restored(self) -> int | None:
        return self.rest().latest_checkpoint(self.job_id, "restored")

    def holder(self) -> str | None:
        """The lease's holder: a JobManager process (a restarted container is a new one)."""
        lease = self.lease()
        return str(lease["holderIdentity"]) if lease and lease.get("holderIdentity") else None

    def running_again(self, after: str | None) -> Callable[[], dict[str, Any] | None]:
        """A probe: the job RUNNING under a lease holder other than ``after``, from a
        checkpoint it restored."""
        def probe() -> dict[str, Any] | None:
            holder = self.holder()
            if holder is None or holder == after or self.leader_pod() is None:
                return None
            try:
                job = self.rest().running(self.job_id)
            except (OSError, RestError):
                # Refused, electing (503), or answering for a leader that no longer is (a
                # 500 with FencingTokenException): the failover is not over.
                return None
            return job if job and self.restored() is not None else None
        return probe


@dataclass(frozen=True)
class Failover:
    """One leader loss: the pod killed and its lease holder (a JobManager process), the pod
    that leads after (the same pod if its restarted container won the election) and its
    holder, the seconds from the kill to the job running again, and the checkpoints: the
    last completed before, the one restored after."""

    killed: str
    killed_holder: str
    new_leader: str
    holder: str
    seconds: float
    checkpoint_before: int
    restored: int


def kill_leader(ha: KubernetesHaCluster, timeout: float) -> Failover:
    """SIGKILL the leading JobManager's process (by its PID), and wait for the job to run
    again under another leader, from a checkpoint at least as new as the last one before."""
    leader = ha.leader_pod()
    assert leader is not None, "no leader to kill"
    before = ha.latest_completed()
    assert before is not None, "no completed checkpoint before the kill"
    container = ha.agent.worker(ha.namespace, leader).containers[0]
    assert container.process is not None and container.alive
    holder = ha.holder()
    assert holder is not None, "nobody holds the lease"
    started = time.monotonic()
    os.kill(container.process.pid, signal.SIGKILL)
    deadline = started + timeout
    probe = ha.running_again(after=holder)
    while (job := probe()) is None:
        assert time.monotonic() < deadline, (
            f"the job did not run again within {timeout:.0f}s of killing {leader}\n"
            f"{ha.agent.diagnostics(ha.namespace, lines=400)()}\n{ha.describe()}")
        time.sleep(0.2)
    seconds = time.monotonic() - started
    assert job is not None
    new_leader, new_holder, restored = ha.leader_pod(), ha.holder(), ha.restored()
    assert new_leader is not None and new_holder is not None and restored is not None
    return Failover(leader, holder, new_leader, new_holder, seconds, before, restored)


def prod_orders(agent: NodeAgent, job_jar: Path) -> tuple[list[dict[str, Any]], KubernetesHaCluster]:
    """The prod stack's ``orders`` cluster as the HA test and the benchmark run it: its image
    with the test's job jar baked in (registered with the agent), its HA storage on the
    ReadWriteMany claim ``CLAIM`` instead of S3, memory for a 2-core machine; and the
    cluster's HA id and fixed job id, read from the render."""
    assert agent.runtime is not None
    agent.runtime.images.add_job_image(IMAGE, "flink:1.20-java17", {JAR: job_jar})
    objects = stack_objects("prod", only=["orders"], keep_credentials=False, changes={"orders": {
        "jobManager": {"replicas": 2, "workload": "Deployment", "cpu": "1", "memory": "1024Mi"},
        "taskManager": {"replicas": 1, "slots": 2, "cpu": "1", "memory": "1280Mi"},
        "job": {"jar": JAR, "entryClass": JOB_CLASS, "parallelism": 2,
                "args": ["--checkpoint-interval-ms", "1000"]},
        "highAvailability": {"type": "kubernetes", "storageDir": "file:///flink-ha", "volumeClaim": CLAIM},
        "jvmOptions": FAST_START_JVM_OPTIONS,
    }})
    conf = the_one(objects, "ConfigMap")["data"]["flink-conf.yaml"].splitlines()
    cluster_id = next(line.split(": ", 1)[1] for line in conf if line.startswith("kubernetes.cluster-id: "))
    pod = the_one(objects, "Deployment", "jobmanager")["spec"]["template"]["spec"]
    args = pod["containers"][0]["args"]
    job_id = args[args.index("--job-id") + 1]
    return objects, KubernetesHaCluster(agent, NAMESPACE, cluster_id, job_id, pod["securityContext"])

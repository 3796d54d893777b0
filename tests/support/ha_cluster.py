"""A rendered ZooKeeper-HA Flink cluster on loopback, and what the HA tests
(tests/flink/test_ha_zookeeper.py) and scripts/failover_benchmark.py ask of it: the spec they
render, its leaders as ZooKeeper publishes them, the job submitted over REST, its checkpoints,
and one leader loss measured from the kill to the job running again."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.clusters import FAST_START_JVM_OPTIONS
from tests.support.loopback import LoopbackCluster
from tests.support.pods.errors import ClusterError, RestError
from tests.support.pods.plans import flat_config
from tests.support.pods.process import Pod
from tests.support.pods.zookeeper import ZooKeeperError, flink_leader_information
from tests.support.toolchain import JOB_CLASS, JavaBuild

CHECKPOINT_INTERVAL = "1 s"


def ha_spec(version: str, *, fast_failover: bool = True, **overrides: Any) -> dict[str, Any]:
    """A stack config entry (camelCase) for a ZooKeeper-HA session cluster: two
    JobManagers, one TaskManager with 2 slots, modest memory for a 2-core machine."""
    data: dict[str, Any] = {
        "name": "orders",
        "flinkVersion": version,
        "namespace": "streaming",
        "jobManager": {"cpu": "1", "memory": "1024Mi", "replicas": 2},
        "taskManager": {"cpu": "1", "memory": "1280Mi", "replicas": 1, "slots": 2},
        "parallelism": 2,
        "highAvailability": {
            "type": "zookeeper",
            "storageDir": "file:///flink-ha",
            "volumeClaim": "flink-ha",
            "zookeeper": {"replicas": 3},
            "fastFailover": fast_failover,
        },
        "flinkConfiguration": {
            "execution.checkpointing.interval": CHECKPOINT_INTERVAL,
            "state.backend.type": "hashmap",
        },
        "jvmOptions": FAST_START_JVM_OPTIONS,
    }
    data.update(overrides)
    return data


def render_ha(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Kubernetes objects the library renders for one stack config entry."""
    return render_stack(StackConfig((FlinkClusterSpec.parse(dict(data)),))).kubernetes_objects()


def _number_ms(value: str) -> int:
    """A Flink duration (plain milliseconds or '8 s', '8000 ms', '1 min') in milliseconds."""
    units = "ms|milli|millis|s|sec|secs|second|seconds|min|minute|minutes"
    match = re.fullmatch(rf"\s*(\d+)\s*({units})?\s*", value)
    assert match, f"not a duration: {value!r}"
    factor = {"s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
              "min": 60000, "minute": 60000, "minutes": 60000}.get(match[2] or "ms", 1)
    return int(match[1]) * factor


LEADER_COMPONENTS = ("dispatcher", "resource_manager", "rest_server")
FLINK_DEFAULT_SESSION_TIMEOUT_MS = 60000
"""``high-availability.zookeeper.client.session-timeout`` when the render sets none."""


def zookeeper_root(config: Mapping[str, str]) -> str:
    """Where Flink keeps one cluster's HA data in ZooKeeper: ``<path.root>/<cluster-id>``."""
    root = config["high-availability.zookeeper.path.root"].rstrip("/")
    return f"{root}/{config['high-availability.cluster-id']}"


def session_timeout_ms(config: Mapping[str, str], zoo_cfg: Mapping[str, str]) -> int:
    """The ZooKeeper session timeout Flink gets: what it asks for (``config``, or Flink's
    default), bounded by the servers to 2 to 20 ticks (ZooKeeper's min/maxSessionTimeout
    defaults; the rendered ``zoo_cfg`` sets neither)."""
    asked = config.get("high-availability.zookeeper.client.session-timeout")
    requested = _number_ms(asked) if asked else FLINK_DEFAULT_SESSION_TIMEOUT_MS
    tick = int(zoo_cfg["tickTime"])
    return min(max(requested, 2 * tick), 20 * tick)


def completed_checkpoints_in(checkpoint_dir: Path, job_id: str) -> list[int]:
    """Ids of the job's checkpoints complete in ``checkpoint_dir`` (``<job>/chk-N`` with its
    ``_metadata``, which Flink writes last)."""
    directory = checkpoint_dir / job_id
    return sorted(int(d.name[4:]) for d in directory.glob("chk-*") if (d / "_metadata").exists())


def leader_ip(address: str) -> str | None:
    """The IP in a Flink leader's address (``pekko.tcp://flink@<ip>:<port>/...``, ``http://<ip>:<port>``)."""
    match = re.search(r"(?:@|//)([\d.]+):", address)
    return match[1] if match else None


@dataclass
class HaCluster:
    """A rendered ZooKeeper-HA Flink cluster running on loopback, and what it publishes."""

    cluster: LoopbackCluster
    objects: Sequence[Mapping[str, Any]]

    @property
    def config(self) -> dict[str, str]:
        """The rendered Flink configuration (flat)."""
        return flat_config(self.cluster.pods_of("jobmanager")[0].plan.conf_files)

    @property
    def zoo_cfg(self) -> dict[str, str]:
        text = self.cluster.pods_of("zookeeper")[0].plan.conf_files["zoo.cfg"]
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    @property
    def zookeeper_root(self) -> str:
        return zookeeper_root(self.config)

    @property
    def session_timeout_ms(self) -> int:
        """The ZooKeeper session timeout Flink gets (``session_timeout_ms``)."""
        return session_timeout_ms(self.config, self.zoo_cfg)

    @property
    def tick_ms(self) -> int:
        return int(self.zoo_cfg["tickTime"])

    @property
    def storage(self) -> Path:
        """The directory standing for the HA volume (what the pods see at /flink-ha)."""
        (claim,) = set(self.cluster.pods_of("jobmanager")[0].plan.claims.values())
        return self.cluster.claim_dir(claim)

    def leader_information(self, component: str = "dispatcher") -> tuple[str, str] | None:
        """(address, leader session id) that the leader of ``component`` published."""
        try:
            with self.cluster.zookeeper_client() as zookeeper:
                data = zookeeper.get(f"{self.zookeeper_root}/leader/{component}/connection_info")
        except (ZooKeeperError, OSError, ClusterError):
            return None
        return flink_leader_information(data) if data else None

    def leader_address(self, component: str = "dispatcher") -> str | None:
        information = self.leader_information(component)
        return information[0] if information else None

    def leader_session(self) -> str | None:
        """The leader session id shared by the dispatcher, resource manager and REST endpoint
        (one leader election per JobManager process), or None while they disagree."""
        informations = [self.leader_information(c) for c in LEADER_COMPONENTS]
        sessions = {i[1] if i else None for i in informations}
        return sessions.pop() if len(sessions) == 1 else None

    def leader(self) -> Pod | None:
        """The running JobManager that ZooKeeper names as the leader of the dispatcher, the
        resource manager and the REST endpoint alike (one session, one address)."""
        informations = [self.leader_information(c) for c in LEADER_COMPONENTS]
        if None in informations or len({i[1] for i in informations if i}) != 1:
            return None
        ips = {ip for i in informations if i and (ip := leader_ip(i[0]))}
        if len(ips) != 1:
            return None
        (ip,) = ips
        leaders = [p for p in self.cluster.pods_of("jobmanager") if p.ip == ip and p.alive and not p.stopped]
        return leaders[0] if leaders else None

    def contenders(self) -> int:
        """JobManagers in the leader election (ZooKeeper's latch nodes, one per live session)."""
        try:
            with self.cluster.zookeeper_client() as zookeeper:
                return len(zookeeper.children(f"{self.zookeeper_root}/leader/latch"))
        except (ZooKeeperError, OSError, ClusterError):
            return 0

    def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        leader = self.leader()
        if leader is None:
            raise RestError("no leader")
        return self.cluster.rest(method, path, pod=leader, **kwargs)

    def checkpoints_on_storage(self, job_id: str) -> list[int]:
        """Ids of the checkpoints complete on the HA volume."""
        return completed_checkpoints_in(self.storage / "checkpoints", job_id)

    def wait_until_ready(self, timeout: float = 120) -> Pod:
        """ZooKeeper has a quorum, every JobManager takes part in the election, a leader is
        published and the TaskManagers registered their slots with it; the leader."""
        cluster = self.cluster
        cluster.wait_for("a ZooKeeper quorum", cluster.zookeeper_quorum, timeout)
        jobmanagers = len(cluster.pods_of("jobmanager"))
        cluster.wait_for(f"{jobmanagers} JobManagers in the election",
                         lambda: self.contenders() == jobmanagers, timeout)
        leader = cluster.wait_for("a leader JobManager", self.leader, timeout)
        slots = int(self.config["taskmanager.numberOfTaskSlots"]) * len(cluster.pods_of("taskmanager"))
        cluster.wait_for(f"{slots} slots at the leader",
                         lambda: self.rest("GET", "/overview")["slots-total"] == slots, timeout)
        return leader


def submit(ha: HaCluster, build: JavaBuild, parallelism: int) -> str:
    """Upload the job jar to the leader's REST API and run CheckpointedJob: the job id."""
    with build.job_jar.open("rb") as jar:
        upload = ha.rest("POST", "/jars/upload",
                         files={"jarfile": (build.job_jar.name, jar, "application/x-java-archive")})
    jar_id = Path(upload["filename"]).name
    run = {"entryClass": JOB_CLASS, "parallelism": parallelism}
    job_id: str = ha.rest("POST", f"/jars/{jar_id}/run", json=run)["jobid"]
    return job_id


def running(ha: HaCluster, job_id: str) -> dict[str, Any] | None:
    """The job's details once it and every task run (at the current leader)."""
    job = ha.rest("GET", f"/jobs/{job_id}")
    if job["state"] in ("FAILED", "CANCELED", "FINISHED"):
        raise ClusterError(f"job {job_id} is {job['state']}\n{ha.cluster.diagnostics()}")
    if job["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in job["vertices"]):
        return dict(job)
    return None


def checkpoints(ha: HaCluster, job_id: str) -> dict[str, Any]:
    return dict(ha.rest("GET", f"/jobs/{job_id}/checkpoints"))


def latest_completed(ha: HaCluster, job_id: str) -> int | None:
    latest = checkpoints(ha, job_id)["latest"]["completed"]
    return int(latest["id"]) if latest else None


def wait_for_checkpoint_after(ha: HaCluster, job_id: str, after: int, timeout: float = 60) -> int:
    """Wait for a checkpoint with an id above ``after`` to complete; its id."""
    return ha.cluster.wait_for(
        f"a checkpoint after {after}",
        lambda: (latest := latest_completed(ha, job_id)) is not None and latest > after and latest,
        timeout,
    )


@dataclass(frozen=True)
class Failover:
    """One leader loss and what followed, in seconds after the kill."""

    old_leader: str
    new_leader: str
    leader_elected_s: float
    running_s: float
    completed_before: int
    """The latest checkpoint the REST API reported complete before the kill."""
    on_storage: int
    """The latest checkpoint complete on the HA volume right after the kill."""
    restored: int


def kill_leader_and_recover(ha: HaCluster, job_id: str, timeout: float = 120) -> Failover:
    """SIGKILL the leader JobManager and restart its container at once, as the kubelet does
    after a first crash (later crashes back off 10 s, 20 s, ...: not modelled); wait for the
    standby to lead (a new leader session in ZooKeeper) and run the job again, restored from
    a checkpoint, and for the restarted JobManager to stand by."""
    cluster = ha.cluster
    leader, session = ha.leader(), ha.leader_session()
    assert leader is not None and session is not None, "no leader"
    completed_before = latest_completed(ha, job_id)
    assert completed_before is not None, "no checkpoint before the kill"
    killed = cluster.kill(leader)
    on_storage = max(ha.checkpoints_on_storage(job_id))
    cluster.restart(leader)

    def new_leader_elected() -> Pod | None:
        return ha.leader() if ha.leader_session() not in (None, session) else None

    new_leader = cluster.wait_for("a new leader", new_leader_elected, timeout)
    elected = time.monotonic()
    cluster.wait_for("the job running again", lambda: running(ha, job_id), timeout)
    back = time.monotonic()
    restored = cluster.wait_for(
        "the restored checkpoint", lambda: checkpoints(ha, job_id)["latest"]["restored"], 30)
    jobmanagers = len(cluster.pods_of("jobmanager"))
    cluster.wait_for(f"{leader.name} back as the standby", lambda: ha.contenders() == jobmanagers, timeout)
    return Failover(
        old_leader=leader.name, new_leader=new_leader.name, leader_elected_s=elected - killed,
        running_s=back - killed, completed_before=completed_before, on_storage=on_storage,
        restored=int(restored["id"]),
    )

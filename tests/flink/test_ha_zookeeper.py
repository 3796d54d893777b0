"""ZooKeeper high availability, proven with real processes from the render.

A session cluster rendered with ``highAvailability.type: zookeeper`` runs as local processes
(see ``harness``): a 3-server ZooKeeper ensemble from the rendered StatefulSet (real
ZooKeeper servers, each with its own data volume and the rendered ``zoo.cfg``), two
JobManagers from the rendered Deployment (a leader and a standby, each on its own address,
advertising ``$(POD_IP)``), one TaskManager, every Flink pod with the shared HA volume. A
checkpointing job is submitted over REST; then, on Flink 2.3:

a. the leader JobManager is SIGKILLed three times: each time the standby takes leadership
   (read from ZooKeeper, where Flink publishes its leaders) and the job runs again, restored
   from the latest checkpoint (``latest.restored`` of the REST API against the checkpoints
   on the shared volume); the killed JobManager's container restarts as the new standby;
b. the ZooKeeper leader is SIGKILLed: the ensemble elects another, and the job keeps running
   without a restart (no restore, no exception, the same JobManager) while checkpoints go on;
c. every JobManager and TaskManager is stopped and new pods start: the job is recovered
   from ZooKeeper and the HA storage, from its latest checkpoint;
d. an application cluster (standalone-job with the rendered fixed job id, two JobManagers)
   survives the loss of its leader under the same job id, restored from a checkpoint, on
   Flink 1.20 and 2.3.

Also checked: each ZooKeeper pod's myid is the one the rendered command derives from its
name, its config copy differs from the ConfigMap only in the listed rewrites, and its heap
(the image's ``-Xmx${ZK_SERVER_HEAP:-1000}m``) fits its memory limit; the JobManagers expand
``$(POD_IP)``, and the leader serves RPC on the rendered port (under ZooKeeper HA Flink takes
it from ``high-availability.jobmanager.port``, a random port by default).

Failover times are measured from the kill to the job RUNNING again and printed; the
bounds asserted come from the rendered ZooKeeper session timeout (and ZooKeeper's tickTime,
which caps it), not from assumed values. ``scripts/failover_benchmark.py`` compares them
with Flink's defaults.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.loopback import LoopbackCluster, listening_sockets
from tests.support.pods.errors import ClusterError, RestError
from tests.support.pods.plans import flat_config
from tests.support.pods.process import Pod
from tests.support.pods.zookeeper import ZooKeeperError, flink_leader_information

from .toolchain import JOB_CLASS, JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
FAST_START_JVM_OPTIONS = ["-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
"""As in the other real-process tests: C1 and the serial GC boot Flink's JVMs faster on 2 cores."""
CHECKPOINT_INTERVAL = "1 s"
JOB_IMAGE = "registry.example.com/streaming/orders-job:1.0"
USRLIB_JAR = "/opt/flink/usrlib/orders-job-1.0.jar"
APPLICATION_JOB_ID = "00000000000000000000000000a11ce5"
RECOVERY_BUDGET_S = 40
"""What a failover may take beyond the ZooKeeper session expiry: the new leader recovers the
job, and the TaskManager gets its slots back and deploys the tasks (2 cores, many JVMs)."""

Build = Callable[..., LoopbackCluster]


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


def application_ha_spec(version: str) -> dict[str, Any]:
    return ha_spec(
        version,
        mode="application",
        image=JOB_IMAGE,
        jobManager={"cpu": "1", "memory": "1024Mi", "replicas": 2, "workload": "Deployment"},
        job={"jar": USRLIB_JAR, "parallelism": 2, "jobId": APPLICATION_JOB_ID,
             "args": ["--name", "orders-application"]},
    )


def render_ha(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Kubernetes objects the library renders for one stack config entry."""
    return render_stack(StackConfig((FlinkClusterSpec.parse(dict(data)),))).kubernetes_objects()


# --- what the tests (and scripts/failover_benchmark.py) ask of an HA cluster ---------------------

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
        config = self.config
        root = config["high-availability.zookeeper.path.root"].rstrip("/")
        return f"{root}/{config['high-availability.cluster-id']}"

    @property
    def session_timeout_ms(self) -> int:
        """The ZooKeeper session timeout Flink gets: what it asks for (rendered, or Flink's
        default), bounded by the servers to 2 to 20 ticks (ZooKeeper's min/maxSessionTimeout
        defaults, the rendered zoo.cfg sets neither)."""
        asked = self.config.get("high-availability.zookeeper.client.session-timeout")
        requested = _number_ms(asked) if asked else FLINK_DEFAULT_SESSION_TIMEOUT_MS
        tick = int(self.zoo_cfg["tickTime"])
        return min(max(requested, 2 * tick), 20 * tick)

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
        ips = {m[1] for i in informations if i and (m := re.search(r"(?:@|//)([\d.]+):", i[0]))}
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
        """Ids of the checkpoints complete on the HA volume (chk-N with its _metadata)."""
        directory = self.storage / "checkpoints" / job_id
        return sorted(int(d.name[4:]) for d in directory.glob("chk-*") if (d / "_metadata").exists())

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


def start(loopback_cluster: Build, objects: Sequence[Mapping[str, Any]], build: JavaBuild,
          **options: Any) -> HaCluster:
    cluster = loopback_cluster(objects, build.flink_home, **options)
    cluster.prepare()
    cluster.start()
    return HaCluster(cluster, objects)


# --- the tests ----------------------------------------------------------------------------------

def zookeeper_container(objects: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    (statefulset,) = [o for o in objects if o["kind"] == "StatefulSet"]
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    return dict(container)


def mebibytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


def check_render(ha: HaCluster) -> None:
    """What the harness made of the render: the ensemble's pods with their ids and volumes,
    the JobManagers each advertising its own address, every Flink pod on the shared volume."""
    cluster = ha.cluster
    zookeepers = cluster.pods_of("zookeeper")
    assert [p.name for p in zookeepers] == [f"orders-zookeeper-{i}" for i in range(len(zookeepers))]
    for index, pod in enumerate(zookeepers):
        (data_dir,) = pod.plan.claim_templates
        assert (pod.local_path(data_dir) / "myid").read_text().strip() == str(index + 1)
        (address,) = [r for r in pod.rewrites if r.key == "zoo.cfg: clientPortAddress"]
        assert address.value == pod.ip and address.rendered is None
    for pod in cluster.pods_of("jobmanager"):
        assert pod.plan.field_env == {"POD_IP": "status.podIP"}
        # $(POD_IP) in the args, expanded as the kubelet does, and passed on in order.
        expanded = pod.expanded(pod.plan.args)
        assert any("$(POD_IP)" in arg for arg in pod.plan.args)
        assert [arg.replace(pod.ip, "$(POD_IP)") for arg in expanded] == list(pod.plan.args)
        remaining = iter(pod.command)
        assert all(arg in remaining for arg in expanded[1:]), (expanded, pod.command)
        assert pod.plan.claims == {"/flink-ha": "flink-ha"}
    for pod in cluster.pods_of("taskmanager"):
        assert pod.plan.claims == {"/flink-ha": "flink-ha"}


def test_zookeeper_pods_differ_from_the_render_only_in_listed_rewrites(
    java_build: Callable[[str], JavaBuild], loopback_cluster: Build,
) -> None:
    """Preparing the pods only (no process): a ZooKeeper pod's config copy differs from the
    ConfigMap exactly in its listed file rewrites, its command from the rendered one only in
    the volume paths, and its heap fits the container."""
    build = java_build(V23)
    cluster_objects = render_ha(ha_spec(V23))
    cluster = loopback_cluster(cluster_objects, build.flink_home)
    cluster.prepare()
    for pod in cluster.pods_of("zookeeper"):
        copy_lines = (pod.conf_dir / "zoo.cfg").read_text().splitlines()
        rendered_lines = pod.plan.conf_files["zoo.cfg"].splitlines()
        file_rewrites = {r.key.split(": ", 1)[1]: r for r in pod.rewrites if r.kind == "file"}
        assert set(file_rewrites) == {"dataDir", "clientPortAddress"}
        assert [line for line in copy_lines if line.split("=")[0] not in file_rewrites] == [
            line for line in rendered_lines if line.split("=")[0] not in file_rewrites]
        assert f"dataDir={file_rewrites['dataDir'].value}" in copy_lines
        assert file_rewrites["dataDir"].rendered == "/data"
        assert pod.conf_dir.stat().st_mode & 0o777 == 0o555
        # The rendered command, with only its volume paths rewritten.
        (script_rewrite,) = [r for r in pod.rewrites if r.kind == "argument"]
        assert script_rewrite.rendered == pod.plan.command[2]
        assert script_rewrite.value.replace(str(pod.volume_dirs["/data"]), "/data").replace(
            str(pod.conf_dir), "/conf") == pod.plan.command[2]
        # The image's zkEnv.sh gives the server -Xmx${ZK_SERVER_HEAP:-1000}m: that heap must
        # leave the JVM's own memory (metaspace, code cache, threads, buffers) room within
        # the container's memory limit, or the kernel kills the server under load.
        (heap,) = re.findall(r"-Xmx(\d+)m", pod.environment["SERVER_JVMFLAGS"])
        limit_mib = mebibytes(zookeeper_container(cluster_objects)["resources"]["limits"]["memory"])
        assert int(heap) <= limit_mib * 3 / 4, (
            f"ZooKeeper heap {heap} MiB in a {limit_mib} MiB container: set ZK_SERVER_HEAP in the "
            "container's env (e.g. half the limit) or raise the limit")


@pytest.mark.parametrize("version", [V23], ids=["flink-2.3"])
def test_session_cluster_survives_jobmanager_zookeeper_and_cluster_loss(
    version: str, java_build: Callable[[str], JavaBuild], loopback_cluster: Build,
) -> None:
    started = time.monotonic()
    build = java_build(version)
    objects = render_ha(ha_spec(version))
    ha = start(loopback_cluster, objects, build)
    cluster = ha.cluster
    check_render(ha)
    leader = ha.wait_until_ready()
    booted = time.monotonic() - started
    session_s = ha.session_timeout_ms / 1000
    rpc_port = leader.plan.ports["rpc"]
    # The leader advertises its own pod IP (from $(POD_IP)) with the rendered RPC port.
    advertised = str(ha.leader_address("dispatcher"))
    assert advertised.startswith(f"pekko.tcp://flink@{leader.ip}:"), advertised
    assert advertised.startswith(f"pekko.tcp://flink@{leader.ip}:{rpc_port}/"), (
        f"the leader's RPC endpoint is {advertised}, not on the rendered rpc port {rpc_port}: under "
        "ZooKeeper HA a JobManager binds high-availability.jobmanager.port (default 0, a random "
        "port: ClusterEntrypoint.getRPCPortRange), not jobmanager.rpc.port")
    assert leader.process is not None
    assert (leader.ip, rpc_port) in listening_sockets(leader.process.pid)
    for name in ("orders-zookeeper-0", "orders-zookeeper-1", "orders-zookeeper-2"):
        assert any(p.name == name for p in cluster.pods_of("zookeeper"))

    job_id = submit(ha, build, parallelism=2)
    cluster.wait_for("the job running", lambda: running(ha, job_id), 60)
    wait_for_checkpoint_after(ha, job_id, 1)

    # (a) The leader JobManager is killed, three times.
    failovers = []
    for _ in range(3):
        failover = kill_leader_and_recover(ha, job_id)
        failovers.append(failover)
        assert failover.new_leader != failover.old_leader
        assert failover.completed_before <= failover.restored <= failover.on_storage, failover
        # Nobody can lead before the dead leader's ZooKeeper session expires (the client pings
        # every third of the timeout; the server expires sessions on tick boundaries).
        assert failover.leader_elected_s >= session_s * 2 / 3 - 0.5, failover
        assert failover.running_s <= session_s + ha.tick_ms / 1000 + RECOVERY_BUDGET_S, failover
        # Checkpoints go on after the restore, with new ids.
        wait_for_checkpoint_after(ha, job_id, failover.restored)
    restored = [f.restored for f in failovers]
    assert restored == sorted(set(restored)), restored  # each time a newer checkpoint

    # (b) The ZooKeeper leader is killed: the job goes on, untouched.
    modes = cluster.zookeeper_quorum()
    assert modes is not None
    (zk_leader,) = [p for p in cluster.pods_of("zookeeper") if modes[p.name] == "leader"]
    jm_leader = ha.leader()
    assert jm_leader is not None
    before = checkpoints(ha, job_id)
    exceptions_before = len(ha.rest("GET", f"/jobs/{job_id}/exceptions")["exceptionHistory"]["entries"])
    log_offset = jm_leader.output.stat().st_size
    killed = cluster.kill(zk_leader)
    quorum = cluster.wait_for("a quorum of the other two", cluster.zookeeper_quorum, 60)
    quorum_s = time.monotonic() - killed
    job_states = set()
    latest_before = int(before["latest"]["completed"]["id"])
    target = latest_before + 3
    while (latest := latest_completed(ha, job_id) or 0) < target:
        job_states.add(ha.rest("GET", f"/jobs/{job_id}")["state"])
        cluster.check_alive()
        assert time.monotonic() - killed < 60, f"checkpoints stalled at {latest}\n{cluster.diagnostics()}"
        time.sleep(0.25)
    after = checkpoints(ha, job_id)
    assert job_states == {"RUNNING"}, job_states
    assert ha.leader() is jm_leader
    assert after["latest"]["restored"]["id"] == before["latest"]["restored"]["id"]  # no restore
    exceptions_after = len(ha.rest("GET", f"/jobs/{job_id}/exceptions")["exceptionHistory"]["entries"])
    assert exceptions_after == exceptions_before
    # The ensemble's leader took every client connection with it (its followers drop theirs
    # while they elect): the JobManager's ZooKeeper client was suspended and reconnected
    # within its session, and Flink kept its leadership throughout.
    with jm_leader.output.open("rb") as log:
        log.seek(log_offset)
        text = log.read().decode(errors="replace")
    connection = re.findall(r"ConnectionStateManager .* State change: (\w+)", text)
    assert connection[:1] == ["SUSPENDED"] and connection[-1:] == ["RECONNECTED"], connection
    assert "LOST" not in connection, connection
    zk_loss_s = time.monotonic() - killed
    cluster.restart(zk_leader)  # the StatefulSet brings the pod back, with its data volume
    cluster.wait_for("the ZooKeeper server back in the ensemble",
                     lambda: (q := cluster.zookeeper_quorum()) is not None and len(q) == 3, 60)

    # (c) Every JobManager and TaskManager goes, new pods come: the job is recovered.
    completed_before = latest_completed(ha, job_id)
    assert completed_before is not None
    flink_pods = [*cluster.pods_of("jobmanager"), *cluster.pods_of("taskmanager")]
    stopped = time.monotonic()
    cluster.stop_pods(flink_pods)
    on_storage = max(ha.checkpoints_on_storage(job_id))
    new_pods = [cluster.replace(pod) for pod in flink_pods]
    assert {p.ip for p in new_pods}.isdisjoint({p.ip for p in flink_pods})
    cluster.wait_for("the job running in the new cluster", lambda: running(ha, job_id), 180)
    recovered_s = time.monotonic() - stopped
    restored_c = cluster.wait_for("the restored checkpoint",
                                  lambda: checkpoints(ha, job_id)["latest"]["restored"], 30)
    assert completed_before <= int(restored_c["id"]) <= on_storage, (completed_before, restored_c, on_storage)
    wait_for_checkpoint_after(ha, job_id, int(restored_c["id"]))
    (job,) = ha.rest("GET", "/jobs/overview")["jobs"]
    assert job["jid"] == job_id

    times = ", ".join(f"{f.running_s:.1f}s (leader after {f.leader_elected_s:.1f}s)" for f in failovers)
    print(f"\nFlink {version}, ZooKeeper session timeout {session_s:.0f}s: cluster up in {booted:.1f}s; "
          f"leader JobManager killed 3x: job RUNNING again after {times}, restored checkpoints "
          f"{restored}; ZooKeeper leader killed: new quorum {sorted(quorum.values())} after "
          f"{quorum_s:.1f}s, job untouched for {zk_loss_s:.1f}s; whole Flink cluster replaced: "
          f"job RUNNING after {recovered_s:.1f}s from checkpoint {restored_c['id']}; "
          f"total {time.monotonic() - started:.1f}s")


@pytest.mark.parametrize("version", [V120, V23], ids=["flink-1.20", "flink-2.3"])
def test_application_cluster_keeps_its_job_id_across_a_leader_loss(
    version: str, java_build: Callable[[str], JavaBuild], loopback_cluster: Build,
) -> None:
    started = time.monotonic()
    build = java_build(version)
    objects = render_ha(application_ha_spec(version))
    ha = start(loopback_cluster, objects, build, images={JOB_IMAGE: {USRLIB_JAR: build.job_jar}})
    check_render(ha)
    for pod in ha.cluster.pods_of("jobmanager"):  # standalone-job, its pod IP, the fixed job id
        assert pod.plan.args[0] == "standalone-job"
        if int(version.split(".")[0]) >= 2:
            assert "--host" not in pod.plan.args, (
                "Flink 2.x's standalone-job parser has no --host (nor --webui-port): it stops "
                "there and passes --host and every later argument, --job-id too, to the job's "
                "main() (measured: the job fails with 'unknown argument --host' and the "
                "JobManager exits). -Djobmanager.rpc.address=$(POD_IP) works on 1.x and 2.x.")
        assert pod.command[pod.command.index("--job-id") + 1] == APPLICATION_JOB_ID
    ha.wait_until_ready()
    ha.cluster.wait_for("the job running", lambda: running(ha, APPLICATION_JOB_ID), 120)
    wait_for_checkpoint_after(ha, APPLICATION_JOB_ID, 1)

    failover = kill_leader_and_recover(ha, APPLICATION_JOB_ID)
    assert failover.completed_before <= failover.restored <= failover.on_storage, failover
    (job,) = ha.rest("GET", "/jobs/overview")["jobs"]
    assert job["jid"] == APPLICATION_JOB_ID and job["name"] == "orders-application"
    # The killed JobManager came back as the standby and runs no second copy of the job.
    wait_for_checkpoint_after(ha, APPLICATION_JOB_ID, failover.restored)
    assert [j["jid"] for j in ha.rest("GET", "/jobs/overview")["jobs"]] == [APPLICATION_JOB_ID]
    print(f"\nFlink {version} application: leader {failover.old_leader} killed, job {APPLICATION_JOB_ID} "
          f"RUNNING again on {failover.new_leader} after {failover.running_s:.1f}s (leader after "
          f"{failover.leader_elected_s:.1f}s) from checkpoint {failover.restored}; "
          f"total {time.monotonic() - started:.1f}s")

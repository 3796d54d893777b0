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
from typing import Any

import pytest

from tests.support.ha_cluster import (
    HaCluster,
    checkpoints,
    ha_spec,
    kill_leader_and_recover,
    latest_completed,
    render_ha,
    running,
    submit,
    wait_for_checkpoint_after,
)
from tests.support.loopback import LoopbackCluster, listening_sockets
from tests.support.toolchain import JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
JOB_IMAGE = "registry.example.com/streaming/orders-job:1.0"
USRLIB_JAR = "/opt/flink/usrlib/orders-job-1.0.jar"
APPLICATION_JOB_ID = "00000000000000000000000000a11ce5"
RECOVERY_BUDGET_S = 40
"""What a failover may take beyond the ZooKeeper session expiry: the new leader recovers the
job, and the TaskManager gets its slots back and deploys the tasks (2 cores, many JVMs)."""

Build = Callable[..., LoopbackCluster]


def application_ha_spec(version: str) -> dict[str, Any]:
    return ha_spec(
        version,
        mode="application",
        image=JOB_IMAGE,
        jobManager={"cpu": "1", "memory": "1024Mi", "replicas": 2, "workload": "Deployment"},
        job={"jar": USRLIB_JAR, "parallelism": 2, "jobId": APPLICATION_JOB_ID,
             "args": ["--name", "orders-application"]},
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

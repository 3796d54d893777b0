"""ZooKeeper high availability on the real control plane, from the render of
``tests.support.ha_cluster.ha_spec`` (a session cluster on Flink 2.3: two JobManagers, one
TaskManager with 2 slots, a 3-server ZooKeeper ensemble, the HA storage on a claim, small
memory), its pods run by the node agent:

1. the ensemble's StatefulSet starts on its volumes: the claims of its volumeClaimTemplates,
   and the Flink HA storage claim the stack names, are bound by the controller manager to
   hostPath volumes the test provisions, and each server writes its id and its data there;
   the servers form one quorum (``srvr``/``mntr``, asked from the node); the ensemble's
   Service, and each pod's name under its governing headless Service, resolve in the
   cluster DNS; Flink elects its leader through it;
2. failover: a checkpointing job submitted over REST to the leader; its container's main
   process is SIGKILLed, three times: each time the standby leads (ZooKeeper names it, once
   the dead leader's session has expired) and runs the job again from its latest checkpoint
   (``latest.restored`` no older than the last completed before the kill, and a checkpoint
   on the HA volume), the killed container restarts (exit 137) as the new standby, and
   checkpoints go on; each failover (kill to the job RUNNING again) is measured and printed;
3. the Eviction API honours the rendered PodDisruptionBudget (``maxUnavailable: 1``): with
   all three servers healthy one may go (201), a second is refused (429) while the first is
   not back, and once it is back (the StatefulSet recreates it on its claim, it rejoins the
   quorum) the second may go.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.cluster_dns import ClusterDns
from tests.support.ha_cluster import completed_checkpoints_in, ha_spec, session_timeout_ms
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import is_ready, pods_of, the_one, wait_for
from tests.support.node.agent import NodeAgent
from tests.support.toolchain import JavaBuild, flink_versions
from tests.support.zookeeper_ha import (
    HaDeployment,
    deployed,
    evict,
    ha_volume,
    kill_the_leader,
    monitor,
    quorum,
)

pytestmark = pytest.mark.kubernetes

V23 = flink_versions()[1]
SPEC = ha_spec(V23)
NAMESPACE = SPEC["namespace"]
HA_CLAIM = SPEC["highAvailability"]["volumeClaim"]
HA_VOLUME = ha_volume(SPEC)
STARTUP_SECONDS = 300.0
FAILOVER_SECONDS = 180.0
CHECKPOINT_ARGS = ["--checkpoint-interval-ms", "1000"]
KILLS = 3


@pytest.fixture(scope="module")
def ha(node_agent: NodeAgent, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HaDeployment]:
    started = time.monotonic()
    with deployed(node_agent, SPEC, tmp_path_factory.mktemp("volumes"), STARTUP_SECONDS) as deployment:
        print(f"\nZooKeeper-HA cluster ready {time.monotonic() - started:.1f}s after apply")
        yield deployment


def test_the_ensemble_starts_on_its_claims_forms_a_quorum_and_resolves(
    ha: HaDeployment, node_agent: NodeAgent, cluster_dns: ClusterDns,
) -> None:
    api = node_agent.api
    statefulset = ha.statefulset
    name, governing = statefulset["metadata"]["name"], statefulset["spec"]["serviceName"]
    (template,) = statefulset["spec"]["volumeClaimTemplates"]
    user = statefulset["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    pods = pods_of(api, NAMESPACE, "zookeeper")
    assert sorted(pods) == [f"{name}-{index}" for index in range(statefulset["spec"]["replicas"])]

    # Every claim is bound, by the controller manager, to a volume the test provisioned.
    claims = {c["metadata"]["name"]: c for c in api.list("v1", "PersistentVolumeClaim", NAMESPACE)}
    for ordinal, pod_name in enumerate(sorted(pods)):
        data_claim = claims[f"{template['metadata']['name']}-{pod_name}"]
        assert data_claim["status"]["phase"] == "Bound", data_claim["status"]
        (volume,) = [v for v in pods[pod_name]["spec"]["volumes"]
                     if v["name"] == template["metadata"]["name"]]
        assert volume["persistentVolumeClaim"]["claimName"] == data_claim["metadata"]["name"]
        # The server wrote its id (from its pod's ordinal) and its data on that volume.
        folder = ha.folders[data_claim["spec"]["volumeName"]]
        assert (folder / "myid").read_text().strip() == str(ordinal + 1)
        assert (folder / "version-2").is_dir() and (folder / "version-2").stat().st_uid == user
    ha_claim = claims[HA_CLAIM]
    assert ha_claim["status"]["phase"] == "Bound"
    assert ha_claim["spec"]["volumeName"] == HA_VOLUME
    for volume_name in ha.folders:
        volume = api.get("v1", "PersistentVolume", volume_name).body
        assert volume["status"]["phase"] == "Bound", volume["status"]
        assert volume["spec"]["claimRef"]["namespace"] == NAMESPACE

    # One quorum: a leader and two followers, the leader in sync with both.
    servers = ha.servers(api)
    modes = wait_for("a quorum", lambda: quorum(servers, ha.client_port), 60)
    assert sorted(modes.values()) == ["follower", "follower", "leader"]
    (zookeeper_leader,) = [n for n, m in modes.items() if m == "leader"]
    assert monitor(servers[zookeeper_leader], ha.client_port)["zk_synced_followers"] == "2"

    # The Service resolves to the servers; each pod's name under the governing Service to it.
    (client_service,) = [
        s for s in ha.objects if s["kind"] == "Service" and s["metadata"]["name"] != governing
        and s["spec"]["selector"] == statefulset["spec"]["selector"]["matchLabels"]]
    service_name = f"{client_service['metadata']['name']}.{NAMESPACE}.svc.cluster.local"
    assert set(cluster_dns.lookup(service_name, "A").addresses) == set(servers.values())
    for pod_name, ip in servers.items():
        pod_dns_name = f"{pod_name}.{governing}.{NAMESPACE}.svc.cluster.local"
        assert cluster_dns.lookup(pod_dns_name, "A").addresses == (ip,)
    # Those are the names Flink's quorum lists (its pods complete them with the search list).
    quorum_entries = ha.config["high-availability.zookeeper.quorum"].split(",")
    quorum_hosts = [entry.rsplit(":", 1)[0] for entry in quorum_entries]
    assert [cluster_dns.lookup(f"{host}.cluster.local", "A").addresses for host in quorum_hosts] == [
        (ip,) for ip in servers.values()]

    # Flink elected its leader through the ensemble: one of its two JobManagers.
    jobmanagers = {p["status"]["podIP"] for p in pods_of(api, NAMESPACE, "jobmanager").values()}
    assert len(jobmanagers) == 2
    found = ha.leader(api)
    assert found is not None and found.ip in jobmanagers


def test_the_standby_jobmanager_takes_over_three_times(
    ha: HaDeployment, node_agent: NodeAgent, java_build: Callable[[str], JavaBuild],
) -> None:
    api = node_agent.api
    config = ha.config
    current = ha.leader(api)
    assert current is not None
    rest = ha.rest_at(node_agent, current)
    slots = int(config["taskmanager.numberOfTaskSlots"]) * SPEC["taskManager"]["replicas"]
    rest.wait(f"{slots} slots at the leader", lambda: rest.call("GET", "/overview")["slots-total"] == slots,
              STARTUP_SECONDS)
    job_id = rest.run_jar(java_build(V23).job_jar, SPEC["parallelism"], CHECKPOINT_ARGS)
    rest.wait("the job running", lambda: rest.running(job_id), STARTUP_SECONDS)
    rest.wait("a completed checkpoint", lambda: rest.latest_checkpoint(job_id), 120)

    # The checkpoints go to the HA volume: the rendered directory, on the claim's folder.
    checkpoint_dir = ha.checkpoint_dir
    assert completed_checkpoints_in(checkpoint_dir, job_id), sorted(checkpoint_dir.rglob("*"))[:20]

    session_s = session_timeout_ms(config, ha.zoo_cfg) / 1000
    failovers = []
    for _ in range(KILLS):
        failover = kill_the_leader(ha, node_agent, job_id, FAILOVER_SECONDS)
        failovers.append(failover)
        assert failover.new_leader != failover.old_leader, failover
        assert failover.completed_before <= failover.restored <= failover.on_storage, failover
        # Nobody leads before the dead leader's ZooKeeper session expires (its client pings
        # every third of the timeout, so the session ends at least 2/3 of it after the kill).
        assert failover.elected_s >= session_s * 2 / 3 - 0.5, failover
        leader_now = ha.leader(api)
        assert leader_now is not None
        rest = ha.rest_at(node_agent, leader_now)
        rest.wait(f"a checkpoint after {failover.restored}",
                  lambda r=rest, f=failover: (r.latest_checkpoint(job_id) or 0) > f.restored, 120)
    restored = [f.restored for f in failovers]
    assert restored == sorted(set(restored)), restored

    times = ", ".join(f"{f.running_s:.1f}s (leader after {f.elected_s:.1f}s)" for f in failovers)
    print(f"\nFlink {V23} on the control plane, ZooKeeper session timeout {session_s:.0f}s: leader "
          f"JobManager SIGKILLed {KILLS}x, job RUNNING again after {times}; restored checkpoints {restored}")


def pdb_status(api: KubernetesApi, name: str) -> dict[str, Any]:
    budget = api.get("policy/v1", "PodDisruptionBudget", name, NAMESPACE).body
    status: dict[str, Any] = budget.get("status", {})
    return status if status.get("observedGeneration") == budget["metadata"]["generation"] else {}


def test_evictions_honour_the_zookeeper_disruption_budget(ha: HaDeployment, node_agent: NodeAgent) -> None:
    api = node_agent.api
    explain = node_agent.diagnostics(NAMESPACE)
    name = ha.statefulset["metadata"]["name"]
    budget = the_one(ha.objects, "PodDisruptionBudget", name)
    replicas = ha.statefulset["spec"]["replicas"]
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == ha.statefulset["spec"]["selector"]

    def all_healthy() -> bool:
        status = pdb_status(api, name)
        return status.get("currentHealthy") == replicas and status.get("disruptionsAllowed") == 1

    def back(pod: str, uid: str) -> bool:
        """The StatefulSet's new pod of that name is Ready, and the ensemble has its quorum."""
        found = pods_of(api, NAMESPACE, "zookeeper").get(pod)
        return bool(found and found["metadata"]["uid"] != uid and is_ready(found)
                    and quorum(ha.servers(api), ha.client_port) is not None)

    wait_for("the budget allowing one disruption", all_healthy, STARTUP_SECONDS, explain)
    first, second = f"{name}-0", f"{name}-1"
    uids = {n: p["metadata"]["uid"] for n, p in pods_of(api, NAMESPACE, "zookeeper").items()}
    accepted = evict(api, NAMESPACE, first)
    assert accepted.status == 201, accepted.body
    refused = evict(api, NAMESPACE, second)
    assert refused.status == 429, refused.body
    assert "disruption budget" in refused.message, refused.message
    remaining = pods_of(api, NAMESPACE, "zookeeper")
    replaced = remaining.get(first)
    assert replaced is None or not is_ready(replaced), "refused while the first pod was not back"
    assert remaining[second]["metadata"]["uid"] == uids[second], "the refused eviction left its pod alone"
    assert pdb_status(api, name).get("disruptionsAllowed", 0) == 0

    evicted = time.monotonic()
    wait_for(f"{first} back in the quorum", lambda: back(first, uids[first]), STARTUP_SECONDS, explain)
    returned_s = time.monotonic() - evicted
    wait_for("the budget allowing one disruption again", all_healthy, STARTUP_SECONDS, explain)
    accepted = evict(api, NAMESPACE, second)
    assert accepted.status == 201, accepted.body
    wait_for(f"{second} back in the quorum", lambda: back(second, uids[second]), STARTUP_SECONDS, explain)
    print(f"\nevicted {first}: back in the quorum after {returned_s:.1f}s; {second} refused meanwhile (429)")

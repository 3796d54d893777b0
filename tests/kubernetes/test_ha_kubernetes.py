"""Kubernetes HA, the prod stack's store, on the real control plane: the prod stack's
``orders`` cluster (application mode, two JobManager Deployments' pods, RocksDB with
incremental checkpoints), with the test's job baked into its image, its HA storage on a
ReadWriteMany claim instead of S3, and memory for a 2-core machine.

Leader election and HA metadata live in ConfigMaps of the real API server, under the
rendered Role. The leader is SIGKILLed three times: each time a standby takes the lease and
the job runs again from its latest checkpoint; each failover is measured and printed next to
the lease timings Flink ran with (its defaults: the library sets none). The standby that wins
is either the other pod's JobManager or the killed pod's restarted container, which joins the
election before the dead leader's lease expires: Flink prefers neither, so the test asserts a
new lease holder (a JobManager process that was not leading), not which pod it runs in.
Then every Flink pod is deleted at once: the Deployments bring new ones, and the job is
recovered from HA.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.control_plane import ControlPlane
from tests.support.kubernetes_cluster import apply_all, make_namespace, rolled_out, the_one, wait_for
from tests.support.kubernetes_ha import CLAIM, LEASE_KEYS, NAMESPACE, kill_leader, prod_orders, static_claim
from tests.support.node.agent import NodeAgent
from tests.support.rbac_audit import account_events, denied, outside, used
from tests.support.toolchain import JavaBuild, flink_versions

pytestmark = pytest.mark.kubernetes

STARTUP_SECONDS = 240.0
FAILOVER_SECONDS = 120.0
KILLS = 3


def test_the_standby_takes_over_three_times_and_the_job_survives_losing_every_pod(
    node_agent: NodeAgent, control_plane: ControlPlane, java_build: Callable[[str], JavaBuild],
    tmp_path: Path,
) -> None:
    api = node_agent.api
    assert node_agent.runtime is not None
    objects, ha = prod_orders(node_agent, java_build(flink_versions()[0]).job_jar)
    deployment = the_one(objects, "Deployment", "jobmanager")["metadata"]["name"]
    make_namespace(api, NAMESPACE)
    explain = node_agent.diagnostics(NAMESPACE)
    since = control_plane.audit_position()

    both_ready = functools.partial(rolled_out, api, NAMESPACE, deployment)  # replicas: 2
    storage = static_claim(api, NAMESPACE, CLAIM, tmp_path / "ha-storage", ha.pod_security)
    with storage, apply_all(api, objects):
        wait_for("a leader", ha.leader_pod, STARTUP_SECONDS, lambda: f"{ha.describe()}\n{explain()}")
        rest = ha.rest()
        rest.wait("the job running", lambda: rest.running(ha.job_id), STARTUP_SECONDS)
        rest.wait("a completed checkpoint", lambda: ha.latest_completed(), STARTUP_SECONDS)
        effective = {e["key"]: e["value"] for e in rest.call("GET", "/jobmanager/config")}
        leases = {key.rsplit(".", 1)[1]: effective.get(key, "Flink's default") for key in LEASE_KEYS}
        # Both JobManagers contend: the standby is up and Ready before the first kill.
        wait_for("both JobManagers ready", both_ready, STARTUP_SECONDS, explain)

        failovers = []
        for attempt in range(KILLS):
            failover = kill_leader(ha, FAILOVER_SECONDS)
            failovers.append(failover)
            assert failover.restored >= failover.checkpoint_before, failover
            print(f"failover {attempt + 1}: {failover.killed} -> {failover.new_leader} "
                  f"in {failover.seconds:.1f}s, restored checkpoint {failover.restored} "
                  f"(last before: {failover.checkpoint_before}); lease timings: {leases}")
            rest = ha.rest()
            rest.wait("a checkpoint after the failover",
                      lambda f=failover: (ha.latest_completed() or 0) > f.restored, FAILOVER_SECONDS)
            wait_for("the killed JobManager back as standby", both_ready, STARTUP_SECONDS, explain)
        # Three leaders after the first: each a JobManager process that was not leading.
        assert len({failovers[0].killed_holder} | {f.holder for f in failovers}) == KILLS + 1, failovers

        # Every Flink pod at once: new pods, a new leader, the job recovered from HA.
        before = ha.latest_completed()
        assert before is not None
        pods = api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods",
                           params={"labelSelector": "app.kubernetes.io/instance=orders"}).body["items"]
        old = {p["metadata"]["name"] for p in pods}
        started = time.monotonic()
        for pod in pods:
            api.delete("v1", "Pod", pod["metadata"]["name"], NAMESPACE)
        holder = ha.holder()
        job = wait_for("the job recovered on new pods", ha.running_again(after=holder), STARTUP_SECONDS,
                       explain)
        assert job["jid"] == ha.job_id
        assert ha.leader_pod() not in old
        restored = ha.restored()
        assert restored is not None and restored >= before
        print(f"every pod deleted: the job RUNNING again in {time.monotonic() - started:.1f}s, "
              f"restored checkpoint {restored} (last before: {before})")
    # The Flink pods' token did nothing the rendered Role does not allow, and nothing was
    # refused; the standbys took the lease over with patch.
    account = the_one(objects, "ServiceAccount")["metadata"]["name"]
    events = account_events(control_plane.audit_events(since), NAMESPACE, account)
    assert not outside(the_one(objects, "Role"), events)
    assert not denied(events)
    assert ("configmaps", "patch") in used(events)

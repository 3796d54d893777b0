#!/usr/bin/env python3
"""Figures from the test control plane, with real processes: how long the dev stack takes
from ``apply`` to its job RUNNING, and how long Kubernetes HA and ZooKeeper HA take to fail
over.

    .venv/bin/python scripts/control_plane_benchmark.py [--rounds 2] [--kills 3] [--json]

It starts what tests/kubernetes starts (the node network, the control plane on its gateway,
cluster DNS and the node agent with three Nodes; needs ``bash scripts/setup-test.sh`` and
root, as the suite does), then:

- **dev**, ``--rounds`` times: stacks/Pulumi.dev.yaml's render applied server-side to a new
  namespace, timed from the apply to both Deployments rolled out (pods Ready), to the REST
  Service answering, and to a checkpointing job submitted through it RUNNING (every task),
  then the namespace deleted;
- **Kubernetes HA**: the prod stack's ``orders`` cluster as tests/kubernetes/test_ha_kubernetes.py
  runs it (two JobManagers, HA storage on a claim), its leader SIGKILLed ``--kills`` times,
  each failover timed from the kill to the job RUNNING again from a checkpoint under another
  lease holder, beside the lease timings Flink ran with;
- **ZooKeeper HA**: the cluster tests/kubernetes/test_ha_zookeeper.py runs (Flink 2.3, a
  session cluster with two JobManagers, a 3-server ensemble on its claims, ``fastFailover``
  on), a checkpointing job submitted to it, its leader SIGKILLed ``--kills`` times,
  each failover timed from the kill to a new leader in ZooKeeper and to the job RUNNING again,
  beside the ZooKeeper session timeout Flink ran with.

scripts/failover_benchmark.py has the loopback figures (no control plane) for both stores'
timings side by side. On a 2-core machine this takes about 7 minutes. It prints figures; it
asserts only what a figure needs to mean something (the job ran; a failover restored a
checkpoint).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "components"), str(ROOT)]

from tests.support.cluster_dns import ClusterDns  # noqa: E402
from tests.support.control_plane import running  # noqa: E402
from tests.support.flink_rest import FlinkRest  # noqa: E402
from tests.support.ha_cluster import ha_spec, session_timeout_ms  # noqa: E402
from tests.support.kubernetes_cluster import (  # noqa: E402
    apply_all,
    make_namespace,
    rolled_out,
    stack_objects,
    the_one,
    wait_for,
)
from tests.support.kubernetes_ha import (  # noqa: E402
    CLAIM,
    LEASE_KEYS,
    NAMESPACE,
    kill_leader,
    prod_orders,
    static_claim,
)
from tests.support.node.agent import NodeAgent, running_agent  # noqa: E402
from tests.support.node.registration import NodeSpec  # noqa: E402
from tests.support.node_network import node_network, session_tag  # noqa: E402
from tests.support.toolchain import compile_sources, find_java, flink_versions  # noqa: E402
from tests.support.zookeeper_ha import deployed, kill_the_leader  # noqa: E402

NODES = (NodeSpec("bench-a1", zone="zone-a"), NodeSpec("bench-a2", zone="zone-a"),
         NodeSpec("bench-b1", zone="zone-b"))
TIMEOUT = 300.0


def dev_round(agent: NodeAgent, dns: ClusterDns, job_jar: Path) -> dict[str, float]:
    api, objects = agent.api, stack_objects("dev")
    deployment = the_one(objects, "Deployment", "jobmanager")
    namespace = deployment["metadata"]["namespace"]
    cluster = deployment["metadata"]["labels"]["app.kubernetes.io/instance"]
    explain = agent.diagnostics(namespace)
    started = time.monotonic()
    with apply_all(api, objects):
        applied = time.monotonic() - started
        for name in (f"{cluster}-jobmanager", f"{cluster}-taskmanager"):
            wait_for(f"{name} rolled out", lambda n=name: rolled_out(api, namespace, n), TIMEOUT, explain)
        ready = time.monotonic() - started
        rest_name = f"{cluster}-rest.{namespace}.svc.cluster.local"
        address = wait_for("the REST Service", lambda: dns.lookup(rest_name, "A").addresses or None,
                           TIMEOUT, explain)[0]
        rest = FlinkRest(f"http://{address}:8081", explain)
        rest.wait("REST answering", rest.answers, TIMEOUT)
        answering = time.monotonic() - started
        job_id = rest.run_jar(job_jar, 2, ["--checkpoint-interval-ms", "1000"])
        rest.wait("the job running", lambda: rest.running(job_id), TIMEOUT)
        running_at = time.monotonic() - started
        rest.call("PATCH", f"/jobs/{job_id}", params={"mode": "cancel"})
    return {"applied": applied, "rolled out": ready, "REST answering": answering, "job RUNNING": running_at}


def kubernetes_ha(agent: NodeAgent, job_jar: Path, kills: int, folder: Path) -> dict[str, Any]:
    api = agent.api
    objects, ha = prod_orders(agent, job_jar)
    deployment = the_one(objects, "Deployment", "jobmanager")["metadata"]["name"]
    explain = agent.diagnostics(NAMESPACE)
    make_namespace(api, NAMESPACE)
    with static_claim(api, NAMESPACE, CLAIM, folder / "ha-storage", ha.pod_security), apply_all(api, objects):
        wait_for("a leader", ha.leader_pod, TIMEOUT, explain)
        rest = ha.rest()
        rest.wait("the job running", lambda: rest.running(ha.job_id), TIMEOUT)
        effective = {e["key"]: e["value"] for e in rest.call("GET", "/jobmanager/config")}
        leases = {key.rsplit(".", 1)[1]: effective.get(key, "Flink's default") for key in LEASE_KEYS}
        seconds = []
        for _ in range(kills):
            wait_for("both JobManagers ready", lambda: rolled_out(api, NAMESPACE, deployment), TIMEOUT,
                     explain)
            ha.rest().wait("a checkpoint", ha.latest_completed, TIMEOUT)
            failover = kill_leader(ha, TIMEOUT)
            assert failover.restored >= failover.checkpoint_before
            seconds.append(failover.seconds)
    return {"failover seconds": seconds, "median": statistics.median(seconds), "lease timings": leases}


def zookeeper_ha(agent: NodeAgent, job_jar: Path, kills: int, folder: Path) -> dict[str, Any]:
    spec = ha_spec(flink_versions()[1])
    with deployed(agent, spec, folder / "zookeeper-volumes", TIMEOUT) as ha:
        found = ha.leader(agent.api)
        assert found is not None
        rest = ha.rest_at(agent, found)
        slots = int(ha.config["taskmanager.numberOfTaskSlots"]) * spec["taskManager"]["replicas"]
        rest.wait(f"{slots} slots", lambda: rest.call("GET", "/overview")["slots-total"] == slots, TIMEOUT)
        job_id = rest.run_jar(job_jar, spec["parallelism"], ["--checkpoint-interval-ms", "1000"])
        rest.wait("the job running", lambda: rest.running(job_id), TIMEOUT)
        running_s, elected_s = [], []
        for _ in range(kills):
            found = ha.leader(agent.api)
            assert found is not None
            leading = ha.rest_at(agent, found)
            leading.wait("a checkpoint", lambda r=leading: r.latest_checkpoint(job_id), TIMEOUT)
            failover = kill_the_leader(ha, agent, job_id, TIMEOUT)
            assert failover.restored >= failover.completed_before
            running_s.append(failover.running_s)
            elected_s.append(failover.elected_s)
        session_s = session_timeout_ms(ha.config, ha.zoo_cfg) / 1000
    return {"failover seconds": running_s, "median": statistics.median(running_s),
            "leader elected seconds": elected_s, "session timeout seconds": session_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="dev stack rounds (default 2)")
    parser.add_argument("--kills", type=int, default=3, help="leader kills per HA store (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    java = find_java()
    v120 = flink_versions()[0]
    build, build_23 = compile_sources(java, v120), compile_sources(java, flink_versions()[1])
    figures: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="pulumi-flink-bench-") as work, \
                node_network(session_tag("bn")) as network, \
                running(Path(work) / "plane", network=network) as plane:
            assert plane.api is not None
            with ClusterDns(plane.api, network.gateway) as dns, \
                    running_agent(plane.api, network, dns, NODES) as agent:
                figures["dev"] = [dev_round(agent, dns, build.job_jar) for _ in range(options.rounds)]
                figures["kubernetes HA"] = kubernetes_ha(agent, build.job_jar, options.kills, Path(work))
                figures["ZooKeeper HA"] = zookeeper_ha(agent, build_23.job_jar, options.kills, Path(work))
    finally:
        shutil.rmtree(build.root, ignore_errors=True)
        shutil.rmtree(build_23.root, ignore_errors=True)
    if options.json:
        print(json.dumps(figures, indent=2))
        return 0
    for number, timings in enumerate(figures["dev"], 1):
        print(f"dev round {number}: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    ha = figures["kubernetes HA"]
    print("Kubernetes HA failover: " + ", ".join(f"{s:.1f}s" for s in ha["failover seconds"])
          + f" (median {ha['median']:.1f}s); lease timings {ha['lease timings']}")
    zk = figures["ZooKeeper HA"]
    pairs = zip(zk["failover seconds"], zk["leader elected seconds"], strict=True)
    print("ZooKeeper HA failover: " + ", ".join(f"{s:.1f}s (leader after {e:.1f}s)" for s, e in pairs)
          + f" (median {zk['median']:.1f}s); session timeout {zk['session timeout seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

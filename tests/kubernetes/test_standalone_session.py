"""The dev stack, as shipped, on the real control plane: its render is applied server-side,
the Deployments roll out and their pods become Ready (the rendered probes, run by the
agent), the TaskManagers register through the JobManager Service's name, a checkpointing
job submitted through the REST Service runs, and scaling ``taskManager.replicas`` changes
the slot count."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import pytest

from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.program import parse_stack_config
from tests.support.cluster_dns import ClusterDns
from tests.support.flink_rest import FlinkRest
from tests.support.kubernetes_cluster import apply_all, is_ready, pods_of, rolled_out, stack_objects, wait_for
from tests.support.node.agent import NodeAgent
from tests.support.paths import ROOT
from tests.support.toolchain import JavaBuild, flink_versions

pytestmark = pytest.mark.kubernetes

ROLLOUT_SECONDS = 180.0
CHECKPOINT_INTERVAL_MS = 1000


def test_the_dev_stack_runs_a_checkpointing_job_and_scales(
    node_agent: NodeAgent, cluster_dns: ClusterDns, java_build: Callable[[str], JavaBuild],
) -> None:
    api = node_agent.api
    stack = parse_stack_config(load_stack_file(ROOT / "stacks" / "Pulumi.dev.yaml"))
    (spec,) = stack.clusters
    build = java_build(flink_versions()[0])
    assert spec.version.minor_key == (1, 20)
    namespace, name = spec.namespace, spec.name
    explain = node_agent.diagnostics(namespace)
    started = time.monotonic()
    with apply_all(api, stack_objects("dev")):
        for deployment in (f"{name}-jobmanager", f"{name}-taskmanager"):
            wait_for(f"{deployment} rolled out", functools.partial(rolled_out, api, namespace, deployment),
                     ROLLOUT_SECONDS, explain)
        rolled = time.monotonic() - started
        for component in ("jobmanager", "taskmanager"):
            for pod_name, pod in pods_of(api, namespace, component).items():
                assert is_ready(pod), pod_name

        (rest_ip,) = cluster_dns.lookup(f"{name}-rest.{namespace}.svc.cluster.local", "A").addresses
        rest = FlinkRest(f"http://{rest_ip}:{spec.ports.rest}", explain)
        replicas, slots = spec.task_manager.replicas, spec.task_manager.slots
        def registered() -> bool:
            overview = rest.call("GET", "/overview")
            return bool(overview["taskmanagers"] == replicas and overview["slots-total"] == replicas * slots)

        rest.wait(f"{replicas} TaskManagers", registered, ROLLOUT_SECONDS)
        # They found the JobManager by its Service's name (the rendered jobmanager.rpc.address).
        for pod_name in pods_of(api, namespace, "taskmanager"):
            log = node_agent.worker(namespace, pod_name).log("taskmanager")
            assert f"flink@{name}-jobmanager:{spec.ports.rpc}" in log, log[-3000:]

        job_id = rest.run_jar(build.job_jar, spec.parallelism,
                              ["--checkpoint-interval-ms", str(CHECKPOINT_INTERVAL_MS)])
        job = rest.wait("the job running", lambda: rest.running(job_id), ROLLOUT_SECONDS)
        running = time.monotonic() - started
        assert {v["parallelism"] for v in job["vertices"]} == {spec.parallelism}
        rest.wait("2 completed checkpoints", lambda: rest.completed_checkpoints(job_id) >= 2, 60)

        scaled = replicas + 1
        answer = api.request(
            "PATCH", f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}-taskmanager/scale",
            json={"spec": {"replicas": scaled}}, headers={"Content-Type": "application/merge-patch+json"})
        assert answer.ok, answer.message
        rest.wait(f"{scaled * slots} slots",
                  lambda: rest.call("GET", "/overview")["slots-total"] == scaled * slots, ROLLOUT_SECONDS)
        assert rest.running(job_id), "scaling up keeps the job running"
        rest.call("PATCH", f"/jobs/{job_id}", params={"mode": "cancel"})
        rest.wait("the job cancelled", lambda: rest.call("GET", f"/jobs/{job_id}")["state"] == "CANCELED", 60)
    print(f"dev stack: rolled out in {rolled:.1f}s, job RUNNING {running:.1f}s after apply")

"""Application and per-job mode on the real control plane, from the stack files with the
test's jobs in place of the stacks' (and memory for a 2-core machine):

- mode-application: ``orders`` (Flink 1.20, a JobManager Deployment, its jar fetched by the
  rendered init container from a jar server) runs its streaming job and checkpoints into
  RocksDB; ``nightly`` (Flink 2.3, its jar baked into its image, a JobManager Job) runs its
  bounded job to the end, and its JobManager Job completes with exit code 0.
- mode-per-job: each submitter Job completes, and each job runs on its own cluster only.
- mode-native-application: the JobManager starts its TaskManagers through the API and runs
  its job.

The jar server runs on the node network's gateway under a name the cluster DNS's upstream
stand-in publishes (``jars.example.test``), as a company's artifact repository would be.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.cluster_dns import ClusterDns
from tests.support.clusters import FAST_START_JVM_OPTIONS
from tests.support.flink_rest import FlinkRest
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import apply_all, stack_objects, wait_for
from tests.support.node.agent import NodeAgent
from tests.support.node_network import NodeNetwork
from tests.support.pods.file_server import FileServer
from tests.support.toolchain import BOUNDED_JOB_CLASS, JOB_CLASS, JavaBuild, flink_versions

pytestmark = pytest.mark.kubernetes

V120, V23 = flink_versions()
JAR_HOST = "jars.example.test"
STARTUP_SECONDS = 240.0
SMALL = {
    "jobManager": {"cpu": "1", "memory": "1024Mi"},
    "taskManager": {"cpu": "1", "memory": "1280Mi", "replicas": 1, "slots": 2},
    "jvmOptions": FAST_START_JVM_OPTIONS,
}
STREAMING_ARGS = ["--checkpoint-interval-ms", "1000"]


@pytest.fixture(scope="module")
def jar_urls(
    node_network: NodeNetwork, cluster_dns: ClusterDns, java_build: Callable[[str], JavaBuild],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, str]]:
    """Flink version -> the URL of the test's job jar built against it, served on the gateway."""
    with socket.socket() as probe:
        probe.bind((node_network.gateway, 0))
        port = probe.getsockname()[1]
    urls = {v: f"http://{JAR_HOST}:{port}/jobs/pulumi-flink-jobs-{v}.jar" for v in (V120, V23)}
    files = {url: java_build(version).job_jar for version, url in urls.items()}
    cluster_dns.publish(JAR_HOST, node_network.gateway)
    try:
        with FileServer(files, tmp_path_factory.mktemp("jars"), node_network.gateway, port):
            yield urls
    finally:
        cluster_dns.unpublish(JAR_HOST)


def rest_of(dns: ClusterDns, agent: NodeAgent, namespace: str, cluster: str) -> FlinkRest:
    (address,) = dns.lookup(f"{cluster}-rest.{namespace}.svc.cluster.local", "A").addresses
    return FlinkRest(f"http://{address}:8081", agent.diagnostics(namespace))


def rest_when_ready(dns: ClusterDns, agent: NodeAgent, namespace: str, cluster: str) -> FlinkRest:
    def found() -> FlinkRest | None:
        addresses = dns.lookup(f"{cluster}-rest.{namespace}.svc.cluster.local", "A").addresses
        return rest_of(dns, agent, namespace, cluster) if addresses else None

    return wait_for(f"{cluster}'s REST Service ready", found, STARTUP_SECONDS, agent.diagnostics(namespace))


def jobs_of(rest: FlinkRest) -> list[dict[str, Any]]:
    return list(rest.call("GET", "/jobs/overview")["jobs"])


def job_condition(api: KubernetesApi, namespace: str, name: str) -> str | None:
    conditions = api.get("batch/v1", "Job", name, namespace).body.get("status", {}).get("conditions", [])
    done = [c["type"] for c in conditions if c["status"] == "True" and c["type"] in ("Complete", "Failed")]
    return done[0] if done else None


def test_application_clusters_run_their_rendered_jobs(
    node_agent: NodeAgent, cluster_dns: ClusterDns, jar_urls: dict[str, str],
    java_build: Callable[[str], JavaBuild],
) -> None:
    assert node_agent.runtime is not None
    nightly_image = "registry.example.com/data/nightly-report:2.3-java17"
    nightly_jar = "/opt/flink/usrlib/nightly-report.jar"
    node_agent.runtime.images.add_job_image(
        nightly_image, "flink:2.3-java17", {nightly_jar: java_build(V23).job_jar})
    objects = stack_objects("mode-application", {
        "orders": {**SMALL, "job": {"jar": jar_urls[V120], "entryClass": JOB_CLASS, "args": STREAMING_ARGS,
                                    "parallelism": 2},
                   "jobManager": {**SMALL["jobManager"], "workload": "Deployment"}},
        "nightly": {**SMALL, "job": {"jar": nightly_jar, "entryClass": BOUNDED_JOB_CLASS,
                                     "args": ["--name", "nightly", "--count", "5000"]}},
    })
    api, namespace = node_agent.api, "flink-apps"
    with apply_all(api, objects):
        orders = rest_when_ready(cluster_dns, node_agent, namespace, "orders")
        (job,) = orders.wait("orders' job listed", lambda: jobs_of(orders), STARTUP_SECONDS)
        running = orders.wait("orders' job running", lambda: orders.running(job["jid"]), STARTUP_SECONDS)
        assert {v["parallelism"] for v in running["vertices"]} == {2}
        orders.wait("a completed checkpoint", lambda: orders.completed_checkpoints(job["jid"]) >= 1, 120)
        # The bounded job ends; application mode then ends the JobManager, and its Job completes.
        condition = wait_for(
            "nightly's JobManager Job done", lambda: job_condition(api, namespace, "nightly-jobmanager"),
            STARTUP_SECONDS, node_agent.diagnostics(namespace))
        assert condition == "Complete", node_agent.diagnostics(namespace)()
        pods = api.request("GET", f"/api/v1/namespaces/{namespace}/pods",
                           params={"labelSelector": "job-name=nightly-jobmanager"}).body["items"]
        (pod,) = pods
        (status,) = pod["status"]["containerStatuses"]
        assert status["state"]["terminated"]["exitCode"] == 0
        log = node_agent.worker(namespace, pod["metadata"]["name"]).log(status["name"])
        assert "FINISHED" in log, log[-3000:]


def test_per_job_clusters_each_run_only_their_own_job(
    node_agent: NodeAgent, cluster_dns: ClusterDns, jar_urls: dict[str, str],
) -> None:
    objects = stack_objects("mode-per-job", {"etl": {**SMALL, "jobs": [
        {"name": "orders", "jar": jar_urls[V120], "entryClass": JOB_CLASS, "args": STREAMING_ARGS,
         "parallelism": 2},
        {"name": "clicks", "jar": jar_urls[V120], "entryClass": BOUNDED_JOB_CLASS, "parallelism": 2,
         "args": ["--name", "clicks", "--count", "5000"]},
    ]}})
    api, namespace = node_agent.api, "flink-jobs"
    with apply_all(api, objects):
        for submitter in ("etl-orders-submit", "etl-clicks-submit"):
            condition = wait_for(f"{submitter} done", lambda s=submitter: job_condition(api, namespace, s),
                                 STARTUP_SECONDS, node_agent.diagnostics(namespace))
            assert condition == "Complete", node_agent.diagnostics(namespace)()
        orders = rest_of(cluster_dns, node_agent, namespace, "etl-orders")
        clicks = rest_of(cluster_dns, node_agent, namespace, "etl-clicks")
        (streaming,) = jobs_of(orders)
        orders.wait("the orders job running", lambda: orders.running(streaming["jid"]), STARTUP_SECONDS)
        (bounded,) = clicks.wait(
            "the clicks job finished", lambda: [j for j in jobs_of(clicks) if j["state"] == "FINISHED"],
            STARTUP_SECONDS)
        assert [j["jid"] for j in jobs_of(clicks)] == [bounded["jid"]]
        assert [j["jid"] for j in jobs_of(orders)] == [streaming["jid"]]


def test_native_application_starts_its_taskmanagers_and_runs_its_job(
    node_agent: NodeAgent, cluster_dns: ClusterDns, jar_urls: dict[str, str],
) -> None:
    native_task_managers = {k: v for k, v in SMALL["taskManager"].items() if k != "replicas"}  # Flink decides
    job = {"jar": jar_urls[V120], "entryClass": JOB_CLASS, "args": STREAMING_ARGS, "parallelism": 2}
    objects = stack_objects("mode-native-application", {"fraud": {
        **SMALL, "taskManager": native_task_managers, "job": job}})
    api, namespace = node_agent.api, "flink-apps"
    with apply_all(api, objects):
        fraud = rest_when_ready(cluster_dns, node_agent, namespace, "fraud")
        (job,) = fraud.wait("the job listed", lambda: jobs_of(fraud), STARTUP_SECONDS)
        fraud.wait("the job running", lambda: fraud.running(job["jid"]), STARTUP_SECONDS)
        pods = api.request("GET", f"/api/v1/namespaces/{namespace}/pods",
                           params={"labelSelector": "app.kubernetes.io/component=taskmanager"}).body["items"]
        assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
        assert pods[0]["metadata"]["ownerReferences"][0]["name"] == "fraud"

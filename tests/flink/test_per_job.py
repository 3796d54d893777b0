"""Real per-job clusters from the render: one cluster per job, each submitted by its client.

Two jobs in one per-job render become two complete session clusters, each on its own
loopback block, and two client pods. Each client's init container fetches the jar, and
the client runs the rendered ``flink run --detached ...``: it finds its own cluster's
JobManager through the ``rest.address`` of the configuration it mounts, with no ``-m``.
Every Service name resolves in every pod (one namespace), so what keeps the jobs apart is
the rendered configuration alone. Each cluster's REST API then lists exactly its own job (the
streaming one under the fixed jobId its client submitted it with);
the bounded one finishes, the streaming one runs, and both clients exit 0. The
TaskManagers have no jar at all: the client ships it through the JobManager's blob server.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.clusters import FAST_START_JVM_OPTIONS
from tests.support.loopback import LoopbackCluster
from tests.support.pods.errors import ClusterError
from tests.support.pods.file_server import FileServer
from tests.support.toolchain import BOUNDED_JOB_CLASS, JOB_CLASS, JavaBuild, flink_versions

pytestmark = pytest.mark.flink

_, V23 = flink_versions()
JAR_URL = "https://jars.example.com/jobs/pulumi-flink-jobs-1.0.jar"
USRLIB_JAR = "/opt/flink/usrlib/pulumi-flink-jobs-1.0.jar"
JOB_NAMES = {"analytics-bounded": "per-job bounded sum", "analytics-streaming": "per-job streaming"}
SUBMITTED = re.compile(r"Job has been submitted with JobID ([0-9a-f]{32})")
STREAMING_JOB_ID = "00000000000000000000000000c0ffee"
"""The streaming job's fixed ``jobId``: ``flink run`` submits it, so Flink runs the job under it."""


def per_job_spec(version: str) -> FlinkClusterSpec:
    return FlinkClusterSpec.parse({
        "name": "analytics",
        "flinkVersion": version,
        "namespace": "flink",
        "mode": "per-job",
        "jobs": [
            {"name": "bounded", "jar": JAR_URL, "entryClass": BOUNDED_JOB_CLASS, "parallelism": 2,
             "args": ["--name", JOB_NAMES["analytics-bounded"], "--count", "5000"]},
            {"name": "streaming", "jar": JAR_URL, "entryClass": JOB_CLASS, "jobId": STREAMING_JOB_ID,
             "args": ["--name", JOB_NAMES["analytics-streaming"]]},
        ],
        "jobManager": {"cpu": "1", "memory": "1024Mi"},
        "taskManager": {"cpu": "1", "memory": "1280Mi", "replicas": 1, "slots": 2},
        "flinkConfiguration": {"restart-strategy.type": "none"},
        "jvmOptions": FAST_START_JVM_OPTIONS,
    })


# One version: six JVMs on a 2-core machine cost half a minute; the client and the clusters
# run the same way on 1.20 (the application tests cover both versions).
@pytest.mark.parametrize("version", [V23], ids=["flink-2.3"])
def test_each_job_gets_its_own_cluster_and_only_its_own_job(
    version: str,
    java_build: Callable[[str], JavaBuild],
    loopback_cluster: Callable[..., LoopbackCluster],
    file_server: Callable[[Mapping[str, Path]], FileServer],
) -> None:
    started = time.monotonic()
    build = java_build(version)
    spec = per_job_spec(version)
    objects = render_stack(StackConfig((spec,))).kubernetes_objects()
    server = file_server({JAR_URL: build.job_jar})
    cluster = loopback_cluster(objects, build.flink_home, servers=[server])
    names = dict(JOB_NAMES)  # instance (the job's cluster) -> the job's name in Flink
    assert cluster.instances == list(names)
    assert len(set(cluster.blocks.values())) == 2
    for pod in cluster.pods:  # each cluster on its own block
        assert pod.ip.startswith(f"127.0.{cluster.blocks[pod.plan.instance]}.")
    cluster.prepare()
    for client in cluster.pods_of("submitter"):  # the jar path, the fetch: each a listed rewrite
        (jar_arg,) = [r for r in client.rewrites if r.kind == "argument"]
        assert (jar_arg.rendered, jar_arg.value) == (USRLIB_JAR, str(client.usrlib / Path(USRLIB_JAR).name))
        (fetch,) = client.init
        arguments = [r for r in fetch.rewrites if r.kind == "argument"]
        assert [r.rendered for r in arguments if r.key.startswith("command[")] == [USRLIB_JAR]
        assert sorted(r.key for r in arguments if not r.key.startswith("command[")) == [
            "--connect-to", "--interface",
        ]
    cluster.start()

    clients = {pod.plan.instance: pod for pod in cluster.pods_of("submitter")}
    assert sorted(clients) == sorted(names)
    submitted: dict[str, str] = {}
    for instance, client in clients.items():
        code = cluster.wait_for_exit(client, timeout=120)
        output = client.output.read_text(errors="replace")
        assert code == 0, f"{client.name} exited {code}:\n{output[-5000:]}\n{cluster.diagnostics()}"
        (submitted[instance],) = SUBMITTED.findall(output)
        assert client.plan.args[:3] == ("flink", "run", "--detached")
        assert "-m" not in client.plan.args and "--jobmanager" not in client.plan.args
        assert server.fetched_by(client.ip) == [JAR_URL]
    # A fixed jobId is the id Flink runs the job under; without one, Flink picks it.
    assert submitted["analytics-streaming"] == STREAMING_JOB_ID
    assert submitted["analytics-bounded"] != STREAMING_JOB_ID
    # Only the clients fetched the jar; the JobManagers and TaskManagers have none.
    assert len(server.requests) == 2
    for pod in cluster.pods:
        if pod.plan.component != "submitter":
            assert not pod.usrlib.exists() and not pod.init, pod.name

    def job_of(instance: str, states: tuple[str, ...]) -> dict[str, Any] | None:
        jobs = cluster.rest("GET", "/jobs/overview", instance=instance)["jobs"]
        assert [(j["jid"], j["name"]) for j in jobs] == [(submitted[instance], names[instance])], jobs
        job: dict[str, Any] = jobs[0]
        if job["state"] in states:
            return job
        if job["state"] in ("FAILED", "CANCELED", "FINISHED"):
            raise ClusterError(f"{instance}: job is {job['state']}\n{cluster.diagnostics()}")
        return None

    finished = cluster.wait_for(
        "finished bounded job", lambda: job_of("analytics-bounded", ("FINISHED",)), timeout=60
    )
    details = cluster.rest("GET", f"/jobs/{finished['jid']}", instance="analytics-bounded")
    assert {v["parallelism"] for v in details["vertices"]} == {2}
    cluster.wait_for(
        "running streaming job", lambda: job_of("analytics-streaming", ("RUNNING",)), timeout=60
    )
    details = cluster.rest("GET", f"/jobs/{submitted['analytics-streaming']}", instance="analytics-streaming")
    assert {v["parallelism"] for v in details["vertices"]} == {spec.parallelism}
    # Both clusters still list exactly their own job.
    for instance in names:
        assert [j["name"] for j in cluster.rest("GET", "/jobs/overview", instance=instance)["jobs"]] == [
            names[instance]
        ]
    print(f"Flink {version}: 2 per-job clusters, each ran its own job, in {time.monotonic() - started:.1f}s")

"""Real standalone application clusters from the render run their job.

The stack is rendered in application mode and its pods are started as local processes
the way the official image starts them (see ``harness``): the JobManager runs
``standalone-job`` with the rendered arguments, finds the job's class in
``/opt/flink/usrlib`` and runs it on the rendered TaskManagers, which load the job's
classes from their own ``usrlib``.

- A bounded job whose jar the init containers fetch from a URL finishes, and the
  JobManager (a Kubernetes Job) exits 0, as a completed Job's pod does.
- A streaming job whose jar is in the image runs under a JobManager Deployment with the
  rendered parallelism and job id, and checkpoints.
- A TaskManager without the jar in its usrlib cannot run the job: Flink names the user
  jars by their path, so every TaskManager needs them (the render mounts them on both).
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.render.flink_config import render_config
from pulumi_flink.render.pods import WRITABLE_DIRS
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.clusters import FAST_START_JVM_OPTIONS
from tests.support.loopback import LoopbackCluster
from tests.support.pods.errors import ClusterError
from tests.support.pods.file_server import FileServer
from tests.support.toolchain import BOUNDED_JOB_CLASS, JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
JAR_URL = "https://jars.example.com/jobs/pulumi-flink-jobs-1.0.jar"
USRLIB_JAR = "/opt/flink/usrlib/pulumi-flink-jobs-1.0.jar"
JOB_IMAGE = "registry.example.com/analytics/flink-jobs:1.0"
SCRATCH = dict(WRITABLE_DIRS)
"""The emptyDirs every Flink container writes to (/tmp, the log dir), whatever the mode."""
"""A custom image: the official one with the job jar at USRLIB_JAR."""
JOB_ID = "0000000000000000000000000000c0de"
CHECKPOINT_INTERVAL_MS = 1000

Build = Callable[..., LoopbackCluster]


def application_spec(version: str, job: Mapping[str, Any], **overrides: Any) -> FlinkClusterSpec:
    """Modest memory for a 2-core CI machine; a failing job fails at once (no restarts)."""
    data: dict[str, Any] = {
        "name": "orders",
        "flinkVersion": version,
        "namespace": "flink",
        "mode": "application",
        "job": dict(job),
        "jobManager": {"cpu": "1", "memory": "1024Mi"},
        "taskManager": {"cpu": "1", "memory": "1280Mi", "replicas": 1, "slots": 2},
        "flinkConfiguration": {
            "execution.checkpointing.interval": "1 s",
            "state.backend.type": "hashmap",
            "restart-strategy.type": "none",
        },
        "jvmOptions": FAST_START_JVM_OPTIONS,
    }
    data.update(overrides)
    return FlinkClusterSpec.parse(data)


def normalised(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value).strip()


def workload(objects: Sequence[Mapping[str, Any]], kind: str, name: str) -> Mapping[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def transitions(text: str, job_id: str) -> list[str]:
    """The job's states in the JobManager's log, in order."""
    return re.findall(rf"\({job_id}\) switched from state \w+ to (\w+)\.", text)


@pytest.mark.parametrize("version", [V120, V23], ids=["flink-1.20", "flink-2.3"])
def test_fetched_jar_bounded_job_finishes_and_the_jobmanager_job_completes(
    version: str,
    java_build: Callable[[str], JavaBuild],
    loopback_cluster: Build,
    file_server: Callable[[Mapping[str, Path]], FileServer],
) -> None:
    started = time.monotonic()
    build = java_build(version)
    job_name = f"orders-bounded-{version}"
    spec = application_spec(version, {
        "jar": JAR_URL, "entryClass": BOUNDED_JOB_CLASS, "parallelism": 2,
        "args": ["--name", job_name, "--count", "5000"],
    })
    objects = render_stack(StackConfig((spec,))).kubernetes_objects()
    job = workload(objects, "Job", "orders-jobmanager")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    server = file_server({JAR_URL: build.job_jar})

    cluster = loopback_cluster(objects, build.flink_home, servers=[server])
    cluster.prepare()
    cluster.start()
    jm = cluster.jobmanager
    (tm,) = cluster.pods_of("taskmanager")
    code = cluster.wait_for_exit(jm, timeout=120)
    cluster.check_alive()  # the TaskManager is still up: only the Job's pod completed
    output = jm.output.read_text(errors="replace")

    # Each pod's init container fetched the jar from the pod's own address, into its usrlib.
    for pod in (jm, tm):
        assert server.fetched_by(pod.ip) == [JAR_URL]
        assert (pod.usrlib / Path(USRLIB_JAR).name).read_bytes() == build.job_jar.read_bytes()
        assert pod.plan.mounts == {"/opt/flink/usrlib": "usrlib", **SCRATCH}
    assert len(server.requests) == 2
    assert spec.job is not None
    assert jm.command[-len(spec.job.args) - 2:] == ["--job-classname", BOUNDED_JOB_CLASS, *spec.job.args]

    # The job ran with the rendered parallelism and finished; then the JobManager exited 0.
    (job_id,) = set(re.findall(rf"Job {re.escape(job_name)} \(([0-9a-f]{{32}})\) switched", output))
    assert transitions(output, job_id)[-1] == "FINISHED", output[-20000:]
    assert "Application completed SUCCESSFULLY" in output, output[-20000:]
    tm_output = tm.output.read_text(errors="replace")
    assert re.search(r"sum .*\(2/2\)", tm_output), tm_output[-5000:]
    assert code == 0, output[-20000:]
    print(f"Flink {version}: fetched jar, bounded job finished, JobManager exited 0 "
          f"in {time.monotonic() - started:.1f}s")


@pytest.mark.parametrize("version", [V120, V23], ids=["flink-1.20", "flink-2.3"])
def test_jar_in_image_streaming_job_runs_with_rendered_parallelism_and_job_id(
    version: str, java_build: Callable[[str], JavaBuild], loopback_cluster: Build,
) -> None:
    started = time.monotonic()
    build = java_build(version)
    job_name = f"orders-streaming-{version}"
    spec = application_spec(
        version,
        {"jar": USRLIB_JAR, "parallelism": 2, "jobId": JOB_ID, "args": ["--name", job_name]},
        image=JOB_IMAGE,
        jobManager={"cpu": "1", "memory": "1024Mi", "workload": "Deployment"},
    )
    assert render_config(spec).values["parallelism.default"] == 2
    objects = render_stack(StackConfig((spec,))).kubernetes_objects()
    deployment = workload(objects, "Deployment", "orders-jobmanager")
    # No entry class: the JobManager takes the jar manifest's Main-Class (CheckpointedJob).
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "standalone-job", "--job-id", JOB_ID, "--name", job_name,
    ]
    cluster = loopback_cluster(objects, build.flink_home, images={JOB_IMAGE: {USRLIB_JAR: build.job_jar}})
    cluster.prepare()
    for pod in cluster.pods:  # the image's jar: no usrlib volume, no init container
        assert not pod.plan.init_containers and pod.plan.mounts == SCRATCH
        image_files = [r.key for r in pod.rewrites if r.kind == "filesystem" and r.key not in SCRATCH]
        assert image_files == [USRLIB_JAR]
    cluster.start()

    def running() -> dict[str, Any] | None:
        jobs = cluster.rest("GET", "/jobs/overview")["jobs"]
        if not jobs:
            return None
        (job,) = jobs
        if job["state"] in ("FAILED", "CANCELED", "FINISHED"):
            raise ClusterError(f"job is {job['state']}\n{cluster.diagnostics()}")
        details = cluster.rest("GET", f"/jobs/{job['jid']}")
        vertices_running = all(v["status"] == "RUNNING" for v in details["vertices"])
        return details if details["state"] == "RUNNING" and vertices_running else None

    job = cluster.wait_for("running job", running, timeout=120)
    assert job["jid"] == JOB_ID
    assert job["name"] == job_name
    assert {v["parallelism"] for v in job["vertices"]} == {2}
    checkpoints = cluster.wait_for(
        "2 completed checkpoints",
        lambda: (c := cluster.rest("GET", f"/jobs/{JOB_ID}/checkpoints"))["counts"]["completed"] >= 2 and c,
        timeout=60,
    )
    assert checkpoints["latest"]["completed"]["status"] == "COMPLETED"
    interval = cluster.rest("GET", f"/jobs/{JOB_ID}/checkpoints/config")["interval"]
    assert interval == CHECKPOINT_INTERVAL_MS
    # The JobManager's configuration is the rendered one but for the listed rewrites.
    rendered = render_config(spec).values
    effective = {e["key"]: e["value"] for e in cluster.rest("GET", "/jobmanager/config")}
    changed = {key for key, meant in rendered.items() if normalised(effective.get(key)) != normalised(meant)}
    rewrites = cluster.jobmanager.config_rewrites()
    assert changed == set(rewrites), (changed, rewrites)
    assert all(effective[key] == value for key, value in rewrites.items()), (effective, rewrites)
    # The job's classpath names the usrlib jar relative to the working directory ($FLINK_HOME):
    # each TaskManager loads it from its own /opt/flink/usrlib, nothing ships it to them.
    job_config = {e["key"]: e["value"] for e in cluster.rest("GET", f"/jobs/{JOB_ID}/jobmanager/config")}
    classpath = f"file:usrlib/{Path(USRLIB_JAR).name}"
    assert job_config["pipeline.classpaths"] in (classpath, f"['{classpath}']")  # 1.20, 2.x list syntax
    assert ".jar" not in job_config.get("pipeline.jars", ""), job_config["pipeline.jars"]  # nothing shipped
    print(f"Flink {version}: jar in image, job {JOB_ID} running, 2 checkpoints "
          f"in {time.monotonic() - started:.1f}s")


def without_usrlib(pod_spec: dict[str, Any]) -> None:
    """Drop the jar's volume, its mount and the init container that fills it from a pod spec."""
    del pod_spec["initContainers"]
    pod_spec["volumes"] = [v for v in pod_spec["volumes"] if v["name"] != "usrlib"]
    for container in pod_spec["containers"]:
        container["volumeMounts"] = [m for m in container["volumeMounts"] if m["name"] != "usrlib"]


def test_a_taskmanager_without_the_jar_in_its_usrlib_fails_the_job(
    java_build: Callable[[str], JavaBuild],
    loopback_cluster: Build,
    file_server: Callable[[Mapping[str, Path]], FileServer],
) -> None:
    """Why the render gives the TaskManagers the jar too: without it the job cannot run.

    The rendered objects with the TaskManager's usrlib taken away by hand (one version: the
    mechanism is the same in 1.20 and 2.3)."""
    version = V120
    build = java_build(version)
    spec = application_spec(version, {
        "jar": JAR_URL, "entryClass": BOUNDED_JOB_CLASS, "parallelism": 2, "args": ["--name", "no-jar"],
    })
    objects = copy.deepcopy(render_stack(StackConfig((spec,))).kubernetes_objects())
    without_usrlib(workload(objects, "Deployment", "orders-taskmanager")["spec"]["template"]["spec"])
    server = file_server({JAR_URL: build.job_jar})

    cluster = loopback_cluster(objects, build.flink_home, servers=[server])
    cluster.prepare()
    (tm,) = cluster.pods_of("taskmanager")
    assert tm.plan.mounts == SCRATCH and not tm.init
    cluster.start()
    code = cluster.wait_for_exit(cluster.jobmanager, timeout=120)
    output = cluster.jobmanager.output.read_text(errors="replace")
    tm_output = tm.output.read_text(errors="replace")
    assert code != 0  # a Kubernetes Job would run the pod again, up to backoffLimit times
    (job_id,) = set(re.findall(r"Job no-jar \(([0-9a-f]{32})\) switched", output))
    assert transitions(output, job_id)[-1] == "FAILED"
    assert "ClassNotFoundException: BoundedJob$Remainder" in output
    # The TaskManager's own task failed for want of the class (which of its code paths hits
    # the class first, and so whether the message lists the missing usrlib jar, is a race).
    assert "switched from DEPLOYING to FAILED" in tm_output, tm_output[-3000:]
    assert "Caused by: java.lang.ClassNotFoundException: BoundedJob" in tm_output, tm_output[-3000:]
    assert not tm.usrlib.exists() and server.fetched_by(tm.ip) == []

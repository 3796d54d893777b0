"""The rendered probes, evaluated as the kubelet evaluates them, against real Flink processes.

Clusters are rendered and booted from the render (see ``harness``) on Flink 1.20 and 2.3;
``kubelet.Kubelet`` then runs each rendered probe against the pod standing for the container,
as the kubelet's probers do (see ``kubelet`` for how, and the one difference from a pod).

Startup probes are polled from the moment the processes start, and readiness and liveness
are evaluated only after startup succeeded, as the kubelet does. What is proven:

1. session cluster: the startup probes fail before the processes listen and succeed once
   they do, well inside the rendered budget (``failureThreshold`` x ``periodSeconds``, at
   least 3 times the measured start); readiness (GET /config) answers 2xx; the liveness
   probes connect to the JobManager's and the TaskManager's RPC ports; the JobManager stays
   ready when the TaskManager is gone, and the TaskManager's liveness fails once it is.
2. the job check of the same cluster as an application cluster (same ports; a session
   cluster lets the test decide when a job runs): fails with no job, succeeds with the
   CheckpointedJob RUNNING (submitted over REST), for "any job" and for the fixed job id,
   fails for another job id, and fails again once the job is cancelled.
3. application cluster with ``probes.jobCheck``: every rendered probe of the JobManager,
   the exec job check included, passes against the running job.
4. ZooKeeper HA with two JobManagers (2.3): the standby passes startup and readiness too
   (its REST API answers through the leader), so a rollout completes and the disruption
   budget counts it.
5. native mode: the TaskManager pod Flink's JobManager builds from our template keeps our
   probes, spread, priority class and grace period (Flink's own factory, no API server);
   Flink's own client adds no probes to the JobManager (a named difference of
   ``test_native_factories``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.render.flink_config import TASKMANAGER_POD_TEMPLATE_FILE
from pulumi_flink.spec import FlinkClusterSpec, JobSpec, ProbesSpec
from tests.support.clusters import FAST_START_JVM_OPTIONS, small_cluster
from tests.support.kubelet import KUBELET
from tests.support.loopback import LoopbackCluster
from tests.support.native_factories import flink_native_specs
from tests.support.pods.errors import ClusterError
from tests.support.pods.plans import flat_config
from tests.support.pods.process import Pod
from tests.support.pods.zookeeper import ZooKeeperError, flink_leader_information
from tests.support.rendering import objects_by_kind_name, render_specs
from tests.support.toolchain import JOB_CLASS, Java, JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
JOB_IMAGE = "registry.example.com/analytics/flink-jobs:1.0"
USRLIB_JAR = "/opt/flink/usrlib/pulumi-flink-jobs-1.0.jar"
JOB_ID = "0000000000000000000000000000beef"
OTHER_JOB_ID = "0000000000000000000000000000f00d"
START_MARGIN = 3
"""The startup budget must exceed the measured start-up by this factor (a busy node, a CPU limit)."""

Build = Callable[..., LoopbackCluster]
Objects = Sequence[Mapping[str, Any]]


def spec_of(version: str, **overrides: Any) -> FlinkClusterSpec:
    return FlinkClusterSpec.parse(small_cluster(
        version,
        flinkConfiguration={"execution.checkpointing.interval": "1 s", "state.backend.type": "hashmap"},
        jvmOptions=FAST_START_JVM_OPTIONS,
        **overrides,
    ))


def container_of(objects: Objects, pod: Pod) -> Mapping[str, Any]:
    """The rendered container the pod runs."""
    (workload,) = [
        o for o in objects
        if o["kind"] in ("Deployment", "Job", "StatefulSet") and o["metadata"]["name"] == pod.plan.workload
    ]
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return dict(container)


def assert_started_in_budget(
    cluster: LoopbackCluster, objects: Objects, pod: Pod, since: float
) -> float:
    startup = container_of(objects, pod)["startupProbe"]
    elapsed, failures = KUBELET.wait_started(cluster, pod, startup, since)
    budget = startup["periodSeconds"] * startup["failureThreshold"]
    assert failures < startup["failureThreshold"], (pod.name, elapsed, startup)
    assert budget >= START_MARGIN * elapsed, f"{pod.name} started in {elapsed:.1f}s; budget {budget}s"
    return elapsed


def submit_job(cluster: LoopbackCluster, build: JavaBuild, job_id: str | None = None) -> str:
    with build.job_jar.open("rb") as jar:
        upload = cluster.rest(
            "POST", "/jars/upload", files={"jarfile": (build.job_jar.name, jar, "application/x-java-archive")}
        )
    run: dict[str, Any] = {"entryClass": JOB_CLASS, "parallelism": 2}
    if job_id is not None:
        run["jobId"] = job_id
    submitted: str = cluster.rest("POST", f"/jars/{Path(upload['filename']).name}/run", json=run)["jobid"]
    return submitted


def wait_running(cluster: LoopbackCluster, job_id: str) -> None:
    def running() -> bool:
        job = cluster.rest("GET", f"/jobs/{job_id}")
        if job["state"] in ("FAILED", "CANCELED", "FINISHED"):
            raise ClusterError(f"job {job_id} is {job['state']}\n{cluster.diagnostics()}")
        return bool(job["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in job["vertices"]))

    cluster.wait_for("the job running on every vertex", running, timeout=120)


def job_check_of(spec: FlinkClusterSpec, job_id: str | None) -> Mapping[str, Any]:
    """The JobManager liveness probe ``spec`` renders as an application cluster with the job
    check (the same ports and Flink version), for any job or for ``job_id``."""
    application = spec.model_copy(update={
        "mode": "application",
        "job": JobSpec(jar=USRLIB_JAR, job_id=job_id),
        "probes": ProbesSpec(job_check=True),
    })
    objects = objects_by_kind_name(render_specs(application))
    (container,) = objects[("Job", "analytics-jobmanager")]["spec"]["template"]["spec"]["containers"]
    probe: Mapping[str, Any] = container["livenessProbe"]
    assert "exec" in probe
    return probe


@pytest.mark.parametrize("version", [V120, V23], ids=["flink-1.20", "flink-2.3"])
def test_session_cluster_probes_and_the_job_check_against_real_processes(
    version: str, java_build: Callable[[str], JavaBuild], loopback_cluster: Build
) -> None:
    build = java_build(version)
    spec = spec_of(version)
    objects = render_stack(StackConfig((spec,))).kubernetes_objects()
    cluster = loopback_cluster(objects, build.flink_home)
    cluster.prepare()
    jm = cluster.jobmanager
    (tm,) = cluster.pods_of("taskmanager")
    jm_container, tm_container = container_of(objects, jm), container_of(objects, tm)
    assert set(jm_container) >= {"startupProbe", "readinessProbe", "livenessProbe"}
    assert set(tm_container) >= {"startupProbe", "livenessProbe"}

    since = time.monotonic()
    cluster.start()
    # Nothing listens yet: a JVM needs seconds to open its ports.
    assert not KUBELET.probe(jm, jm_container["startupProbe"])
    assert not KUBELET.probe(tm, tm_container["startupProbe"])
    jm_start = assert_started_in_budget(cluster, objects, jm, since)
    tm_start = assert_started_in_budget(cluster, objects, tm, since)

    # After start-up, as the kubelet goes on: readiness, liveness.
    assert KUBELET.probe(jm, jm_container["readinessProbe"])
    assert KUBELET.probe(jm, jm_container["livenessProbe"])
    assert KUBELET.probe(tm, tm_container["livenessProbe"])
    readiness = jm_container["readinessProbe"]["httpGet"]
    response = requests.get(f"http://{jm.ip}:{readiness['port']}{readiness['path']}", timeout=5)
    assert response.status_code == 200 and "flink-version" in response.json()

    # The job check of this cluster as an application cluster, against the real REST API.
    any_job, this_job = job_check_of(spec, None), job_check_of(spec, JOB_ID)
    other_job = job_check_of(spec, OTHER_JOB_ID)
    assert cluster.rest("GET", "/jobs") == {"jobs": []}
    assert not KUBELET.probe(jm, any_job) and not KUBELET.probe(jm, this_job)
    cluster.wait_for(
        "the TaskManager's slots", lambda: cluster.rest("GET", "/overview")["slots-total"] == 2, timeout=120
    )
    assert submit_job(cluster, build, JOB_ID) == JOB_ID
    wait_running(cluster, JOB_ID)
    assert KUBELET.probe(jm, any_job)
    assert KUBELET.probe(jm, this_job)
    assert not KUBELET.probe(jm, other_job)
    cluster.rest("PATCH", f"/jobs/{JOB_ID}", params={"mode": "cancel"})
    cluster.wait_for(
        "the job cancelled", lambda: cluster.rest("GET", f"/jobs/{JOB_ID}")["state"] == "CANCELED", timeout=60
    )
    assert cluster.rest("GET", "/jobs") == {"jobs": [{"id": JOB_ID, "status": "CANCELED"}]}
    assert not KUBELET.probe(jm, any_job) and not KUBELET.probe(jm, this_job)

    # Readiness does not depend on the TaskManagers; the TaskManager's liveness sees it gone.
    cluster.stop_pods([tm])
    assert not KUBELET.probe(tm, tm_container["livenessProbe"])
    assert KUBELET.probe(jm, jm_container["readinessProbe"])
    assert KUBELET.probe(jm, jm_container["livenessProbe"])
    startup = jm_container["startupProbe"]
    print(f"Flink {version}: JobManager started in {jm_start:.1f}s, TaskManager in {tm_start:.1f}s "
          f"(startup budget {startup['periodSeconds'] * startup['failureThreshold']}s)")


@pytest.mark.parametrize("version", [V120, V23], ids=["flink-1.20", "flink-2.3"])
def test_application_jobmanager_passes_every_rendered_probe_with_its_job_running(
    version: str, java_build: Callable[[str], JavaBuild], loopback_cluster: Build
) -> None:
    build = java_build(version)
    spec = spec_of(
        version,
        mode="application",
        image=JOB_IMAGE,
        jobManager={"cpu": "1", "memory": "1024Mi", "workload": "Deployment"},
        job={"jar": USRLIB_JAR, "parallelism": 2, "jobId": JOB_ID},
        probes={"jobCheck": True, "jobCheckGraceSeconds": 120},
    )
    objects = render_stack(StackConfig((spec,))).kubernetes_objects()
    cluster = loopback_cluster(objects, build.flink_home, images={JOB_IMAGE: {USRLIB_JAR: build.job_jar}})
    cluster.prepare()
    jm = cluster.jobmanager
    container = container_of(objects, jm)
    assert container["livenessProbe"]["exec"]["command"][:2] == ["bash", "-c"]
    assert container["livenessProbe"]["periodSeconds"] * container["livenessProbe"]["failureThreshold"] == 120

    since = time.monotonic()
    cluster.start()
    assert_started_in_budget(cluster, objects, jm, since)
    for pod in cluster.pods_of("taskmanager"):
        assert_started_in_budget(cluster, objects, pod, since)
    assert KUBELET.probe(jm, container["readinessProbe"])
    wait_running(cluster, JOB_ID)
    assert cluster.rest("GET", "/jobs") == {"jobs": [{"id": JOB_ID, "status": "RUNNING"}]}
    assert KUBELET.probe(jm, container["livenessProbe"])
    for pod in cluster.pods_of("taskmanager"):
        assert KUBELET.probe(pod, container_of(objects, pod)["livenessProbe"])


def test_a_standby_jobmanager_starts_and_is_ready(
    java_build: Callable[[str], JavaBuild], loopback_cluster: Build
) -> None:
    """ZooKeeper HA, two JobManagers: both pass startup and readiness (the standby's REST API
    answers /config once it knows the leader), so the rollout completes and the budget counts
    both. One ZooKeeper server keeps the machine's load low; the mechanism is Flink's."""
    version = V23
    build = java_build(version)
    spec = spec_of(
        version,
        jobManager={"cpu": "1", "memory": "1024Mi", "replicas": 2},
        highAvailability={
            "type": "zookeeper",
            "storageDir": "file:///flink-ha",
            "volumeClaim": "flink-ha",
            "zookeeper": {"replicas": 1, "memory": "512Mi"},
        },
    )
    objects = render_stack(StackConfig((spec,))).kubernetes_objects()
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("PodDisruptionBudget", "analytics-jobmanager") in kinds
    cluster = loopback_cluster(objects, build.flink_home)
    cluster.prepare()
    jobmanagers = cluster.pods_of("jobmanager")
    assert len(jobmanagers) == 2
    since = time.monotonic()
    cluster.start()
    for jm in jobmanagers:
        assert_started_in_budget(cluster, objects, jm, since)

    # One of them leads (ZooKeeper names it), the other is the standby.
    config = flat_config(jobmanagers[0].plan.conf_files)
    path_root = config["high-availability.zookeeper.path.root"].rstrip("/")
    root = f"{path_root}/{config['high-availability.cluster-id']}"

    def leader_ip() -> str | None:
        try:
            with cluster.zookeeper_client() as zookeeper:
                data = zookeeper.get(f"{root}/leader/dispatcher/connection_info")
        except (ZooKeeperError, OSError, ClusterError):
            return None
        match = re.search(r"(?:@|//)([\d.]+):", flink_leader_information(data)[0]) if data else None
        return match[1] if match else None

    leader = cluster.wait_for("a leading JobManager", leader_ip, timeout=60)
    (standby,) = [jm for jm in jobmanagers if jm.ip != leader]
    for jm in jobmanagers:
        container = container_of(objects, jm)
        assert KUBELET.probe(jm, container["readinessProbe"]), jm.name
        assert KUBELET.probe(jm, container["livenessProbe"]), jm.name
    # The standby's REST API answers through the leader.
    overview = requests.get(f"http://{standby.ip}:{spec.ports.rest}/overview", timeout=5)
    assert overview.status_code == 200 and overview.json()["taskmanagers"] >= 0


@pytest.mark.parametrize("version", [V120, V23], ids=["1.20", "2.3"])
def test_flinks_native_taskmanager_pods_keep_our_health_settings(
    version: str, java: Java, java_build: Callable[[str], JavaBuild], tmp_path: Path
) -> None:
    spec = spec_of(
        version,
        native=True,
        taskManager={"cpu": "1", "memory": "1280Mi", "slots": 2},
        spread={"topology": "zone"},
        pod={"priorityClassName": "flink-streaming", "terminationGracePeriodSeconds": 90},
    )
    ours = objects_by_kind_name(render_specs(spec))
    conf_files = ours[("ConfigMap", "flink-config-analytics")]["data"]
    template_text = ours[("ConfigMap", "pod-template-analytics")]["data"][TASKMANAGER_POD_TEMPLATE_FILE]
    template = yaml.safe_load(template_text)
    flink = flink_native_specs(java, java_build(version), version, conf_files, template, tmp_path)

    pod = flink["taskManagerPod"]["spec"]
    (main,) = [c for c in pod["containers"] if c["name"] == "flink-main-container"]
    (template_main,) = template["spec"]["containers"]
    for probe in ("startupProbe", "livenessProbe"):
        assert main[probe] == template_main[probe], probe
    assert main["livenessProbe"]["tcpSocket"] == {"port": spec.ports.task_manager_rpc}
    # The port the probes connect to is the one Flink declares for the TaskManager's RPC.
    assert {"containerPort": spec.ports.task_manager_rpc, "name": "taskmanager-rpc"} in main["ports"]
    assert pod["topologySpreadConstraints"] == template["spec"]["topologySpreadConstraints"]
    assert pod["priorityClassName"] == "flink-streaming"
    assert pod["terminationGracePeriodSeconds"] == 90
    # The spread selector selects the pod Flink builds, by the labels it keeps from the template.
    labels = flink["taskManagerPod"]["metadata"]["labels"]
    for constraint in pod["topologySpreadConstraints"]:
        assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()

    # Flink's own client puts no probes on the JobManager; ours does (a named difference).
    (flink_jm,) = [
        c for c in flink["deployment"]["spec"]["template"]["spec"]["containers"]
        if c["name"] == "flink-main-container"
    ]
    (our_jm,) = ours[("Deployment", "analytics")]["spec"]["template"]["spec"]["containers"]
    assert not {"startupProbe", "readinessProbe", "livenessProbe"} & set(flink_jm)
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(our_jm)
    assert {p["containerPort"] for p in flink_jm["ports"]} >= {
        our_jm["readinessProbe"]["httpGet"]["port"], our_jm["livenessProbe"]["tcpSocket"]["port"]
    }

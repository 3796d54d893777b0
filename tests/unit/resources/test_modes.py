"""Deployment modes: standalone application and per-job (native modes: test_native.py).

What each mode validates, registers and renders; that one job's change touches only
its own cluster; and that a change Flink cannot make in place shows as a replacement.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from pulumi_flink.model.naming import DEPLOYMENT_MODE_ANNOTATION, JOB_CHECKSUM_ANNOTATION, PART_OF_LABEL
from pulumi_flink.offline.renderer import RecordedResource, Render
from pulumi_flink.render.flink_config import render_config
from pulumi_flink.resources.collisions import cluster_claims
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import cluster_warnings
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

JAR_URL = "https://jars.example.com/jobs/orders-1.4.jar"
IMAGE_JAR = "/opt/flink/usrlib/orders.jar"


def application(**job: Any) -> FlinkClusterSpec:
    return make_spec(mode="application", job={"jar": IMAGE_JAR, "entryClass": "com.example.Orders", **job})


def per_job(*names: str, **overrides: Any) -> FlinkClusterSpec:
    jobs = [{"name": n, "jar": JAR_URL, "entryClass": f"com.example.{n.title()}"} for n in names]
    return make_spec(mode="per-job", jobs=jobs, **overrides)


def problems(**data: Any) -> list[tuple[str, str]]:
    with pytest.raises(FlinkSpecError) as info:
        render_specs(make_spec(**data))
    return [(p.path, str(p)) for p in info.value.problems]


def pod(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def property_at(inputs: dict[str, Any], path: str) -> Any:
    """The value at a Pulumi property path such as ``metadata.annotations["a/b"]``."""
    value: Any = inputs
    for dotted, quoted in re.findall(r'([^.\[\]"]+)|\["([^"]+)"\]', path):
        value = value.get(dotted or quoted) if isinstance(value, dict) else None
    return value


def replaced(before: RecordedResource, after: RecordedResource) -> bool:
    """Whether the engine would replace the resource: a replaceOnChanges path's value changed."""
    return any(
        property_at(before.inputs, p) != property_at(after.inputs, p) for p in after.replace_on_changes
    )


def by_urn(render: Render) -> dict[str, RecordedResource]:
    return {r.urn: r for r in render.kubernetes_resources()}


# --- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"mode": "application"}, "job", "add job"),
        ({"job": {"jar": IMAGE_JAR}}, "job", "mode: application"),
        ({"mode": "per-job"}, "jobs", "at least one job"),
        ({"jobs": [{"name": "a", "jar": IMAGE_JAR}]}, "jobs", "mode: per-job"),
        ({"mode": "per-job", "native": True, "jobs": [{"name": "a", "jar": IMAGE_JAR}]}, "native",
         "mode: application with native: true"),
        ({"jobManager": {"workload": "Job"}}, "jobManager.workload", "remove jobManager.workload"),
        ({"mode": "application", "job": {"jar": IMAGE_JAR}, "jobManager": {"replicas": 2},
          "highAvailability": {"type": "kubernetes", "storageDir": "hdfs://namenode:8020/flink"}},
         "jobManager.replicas", "jobManager.workload: Deployment"),
        ({"mode": "application", "job": {"jar": "/opt/jobs/orders.jar"}}, "job.jar", "/opt/flink/usrlib/"),
        ({"mode": "application", "job": {"jar": IMAGE_JAR, "allowNonRestoredState": True}},
         "job.allowNonRestoredState", "set savepoint"),
        ({"mode": "per-job", "jobs": [{"name": "a" * 31, "jar": IMAGE_JAR}]}, "jobs[0].name", "shorten"),
        ({"mode": "per-job", "jobs": [{"name": "a", "jar": IMAGE_JAR, "taskManager": {"memory": "300Mi"}}]},
         "jobs[0].taskManager.memory", "raise taskManager.memory"),
    ],
)
def test_mode_rules_name_the_field_and_the_fix(data: dict[str, Any], path: str, words: str) -> None:
    found = problems(**data)
    assert [p for p, _ in found] == [path], found
    assert words in found[0][1]


@pytest.mark.parametrize(
    ("job", "path", "words"),
    [
        ({"jar": "orders.jar"}, "job.jar", "absolute path"),
        ({"jar": "https://jars.example.com/latest"}, "job.jar", ".jar file name"),
        ({"jar": IMAGE_JAR, "entryClass": "com.example.Orders()"}, "job.entryClass", "fully qualified"),
        ({"jar": IMAGE_JAR, "jobId": "1234"}, "job.jobId", "32 lowercase hex"),
        ({"jar": IMAGE_JAR, "parallelism": 0}, "job.parallelism", "raise it"),
        ({"jar": IMAGE_JAR, "savepoint": "s3://b/sp 1"}, "job.savepoint", "savepoint path"),
        ({"jar": IMAGE_JAR, "jarFetchImage": ""}, "job.jarFetchImage", "image reference"),
        ({"jar": IMAGE_JAR, "entry": "x"}, "job.entry", "unknown key"),
    ],
)
def test_job_fields_are_checked(job: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        FlinkClusterSpec.parse({"name": "a", "flinkVersion": "1.20", "mode": "application", "job": job})
    assert info.value.paths == [path]
    assert words in str(info.value)


def test_duplicate_job_names_are_refused() -> None:
    with pytest.raises(FlinkSpecError) as info:
        per_job("orders", "orders")
    assert info.value.paths == ["jobs"]
    assert "own name" in str(info.value)


def test_nothing_is_registered_for_a_bad_mode() -> None:
    with pytest.raises(FlinkSpecError):
        render = render_specs(make_spec(mode="application"))
        assert not render.resources


# --- standalone application --------------------------------------------------------------------

def test_application_jobmanager_is_a_kubernetes_job_running_standalone_job_by_default() -> None:
    spec = application(args=["--topic", "orders"], parallelism=3)
    objects = objects_by_kind_name(render_specs(spec))
    assert sorted(objects) == [
        ("ConfigMap", "analytics-config"),
        ("Deployment", "analytics-taskmanager"),
        ("Job", "analytics-jobmanager"),
        ("NetworkPolicy", "analytics-jobmanager"),
        ("NetworkPolicy", "analytics-taskmanager"),
        ("PodDisruptionBudget", "analytics-taskmanager"),
        ("Service", "analytics-jobmanager"),
        ("Service", "analytics-rest"),
        ("ServiceAccount", "analytics-flink"),
    ]
    job = objects[("Job", "analytics-jobmanager")]
    assert job["apiVersion"] == "batch/v1"
    assert pod(job)["restartPolicy"] == "OnFailure"
    (container,) = pod(job)["containers"]
    assert container["args"] == [
        "standalone-job", "--job-classname", "com.example.Orders", "--topic", "orders",
    ]
    # The Services select the Job's pod like a Deployment's.
    labels = job["spec"]["template"]["metadata"]["labels"]
    for service in ("analytics-jobmanager", "analytics-rest"):
        selector = objects[("Service", service)]["spec"]["selector"]
        assert selector.items() <= labels.items()
    assert render_config(spec).values["parallelism.default"] == 3


def test_application_jobmanager_as_a_deployment() -> None:
    objects = objects_by_kind_name(render_specs(make_spec(
        mode="application", job={"jar": IMAGE_JAR}, jobManager={"workload": "Deployment"},
    )))
    deployment = objects[("Deployment", "analytics-jobmanager")]
    assert ("Job", "analytics-jobmanager") not in objects
    assert "restartPolicy" not in pod(deployment)  # a Deployment's pods always restart
    assert pod(deployment)["containers"][0]["args"] == ["standalone-job"]  # Main-Class from the manifest


def test_savepoint_and_fixed_job_id_reach_the_entrypoint() -> None:
    spec = application(savepoint="s3://b/sp-7", allowNonRestoredState=True, jobId="0" * 31 + "7", args=["x"])
    objects = objects_by_kind_name(render_specs(spec))
    (container,) = pod(objects[("Job", "analytics-jobmanager")])["containers"]
    assert container["args"] == [
        "standalone-job", "--job-classname", "com.example.Orders", "--job-id", "0" * 31 + "7",
        "--fromSavepoint", "s3://b/sp-7", "--allowNonRestoredState", "x",
    ]


def test_high_availability_fixes_the_job_id_and_it_is_stable() -> None:
    ha = {"type": "kubernetes", "storageDir": "hdfs://namenode:8020/flink"}

    def job_id(spec: FlinkClusterSpec) -> str | None:
        objects = objects_by_kind_name(render_specs(spec))
        args = pod(objects[("Job", spec.names.jobmanager)])["containers"][0]["args"]
        return args[args.index("--job-id") + 1] if "--job-id" in args else None

    def spec(name: str = "analytics", **overrides: Any) -> FlinkClusterSpec:
        return make_spec(name=name, mode="application", job={"jar": IMAGE_JAR}, **overrides)

    first = job_id(spec(highAvailability=ha))
    assert first is not None and re.fullmatch(r"[0-9a-f]{32}", first)
    assert job_id(spec(highAvailability=ha, taskManager={"replicas": 3})) == first
    assert job_id(spec("other", highAvailability=ha)) != first
    assert job_id(spec()) is None  # without HA Flink picks a fresh id, as documented
    assert job_id(spec(highAvailability={"type": "none"})) is None


def test_a_fetched_jar_reaches_jobmanager_and_taskmanagers_through_an_init_container() -> None:
    objects = objects_by_kind_name(render_specs(application(jar=JAR_URL)))
    for key in (("Job", "analytics-jobmanager"), ("Deployment", "analytics-taskmanager")):
        spec = pod(objects[key])
        (fetch,) = spec["initContainers"]
        assert fetch["name"] == "fetch-jar"
        assert fetch["command"][-3:] == ["--output", "/opt/flink/usrlib/orders-1.4.jar", JAR_URL]
        assert "--fail" in fetch["command"]
        assert {"name": "usrlib", "emptyDir": {}} in spec["volumes"]
        for container in (fetch, *spec["containers"]):
            assert {"name": "usrlib", "mountPath": "/opt/flink/usrlib"} in container["volumeMounts"]
        assert fetch["resources"]["limits"] == fetch["resources"]["requests"]
        assert fetch["imagePullPolicy"] == "IfNotPresent"
    always = objects_by_kind_name(render_specs(make_spec(
        mode="application", job={"jar": JAR_URL}, imagePullPolicy="Always")))
    assert pod(always[("Job", "analytics-jobmanager")])["initContainers"][0]["imagePullPolicy"] == "Always"


def test_a_jar_in_the_image_needs_no_init_container() -> None:
    objects = objects_by_kind_name(render_specs(application()))
    for obj in objects.values():
        if obj["kind"] in ("Job", "Deployment"):
            assert "initContainers" not in pod(obj)
            assert all(v["name"] != "usrlib" for v in pod(obj)["volumes"])


def test_application_warns_when_the_job_cannot_get_its_slots() -> None:
    (warning,) = cluster_warnings(application(parallelism=4))
    assert "parallelism 4 is above the 1 task slots" in warning and "the job" in warning
    assert cluster_warnings(make_spec(mode="application", job={"jar": IMAGE_JAR, "parallelism": 2},
                                      taskManager={"replicas": 2})) == []


# --- per-job -----------------------------------------------------------------------------------

def test_every_job_gets_its_own_cluster_and_client() -> None:
    render = render_specs(per_job("orders", "clicks"))
    objects = objects_by_kind_name(render)
    for job in ("orders", "clicks"):
        cluster = f"analytics-{job}"
        assert {name for kind, name in objects if name.startswith(cluster)} == {
            f"{cluster}-config", f"{cluster}-jobmanager", f"{cluster}-taskmanager", f"{cluster}-rest",
            f"{cluster}-flink", f"{cluster}-submit",
        }
        for obj in objects.values():
            if obj["metadata"]["name"].startswith(cluster):
                assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == cluster
                assert obj["metadata"]["labels"][PART_OF_LABEL] == "analytics"
    assert len(objects) == 22  # each cluster: 8 names, 11 objects (the NetworkPolicies share names)


def test_the_client_submits_with_flink_run_to_its_own_cluster_only() -> None:
    spec = make_spec(mode="per-job", parallelism=2, jobs=[
        {"name": "orders", "jar": IMAGE_JAR, "entryClass": "com.example.Orders", "args": ["--in", "k"],
         "savepoint": "s3://b/sp", "allowNonRestoredState": True},
        {"name": "clicks", "jar": JAR_URL, "parallelism": 4, "taskManager": {"replicas": 2, "slots": 2}},
    ])
    objects = objects_by_kind_name(render_specs(spec))
    orders = objects[("Job", "analytics-orders-submit")]
    (client,) = pod(orders)["containers"]
    assert client["args"] == [
        "flink", "run", "--detached", "--class", "com.example.Orders", "--parallelism", "2",
        "--fromSavepoint", "s3://b/sp", "--allowNonRestoredState", IMAGE_JAR, "--in", "k",
    ]
    assert "ports" not in client
    assert pod(orders)["restartPolicy"] == "OnFailure"
    assert orders["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "submitter"
    # The client finds its JobManager through the configuration it mounts: its own cluster's.
    (config_volume,) = [v for v in pod(orders)["volumes"] if "configMap" in v]
    assert config_volume["configMap"]["name"] == "analytics-orders-config"
    for job in ("orders", "clicks"):
        config = render_config(spec.job_cluster(spec.jobs[["orders", "clicks"].index(job)]))
        assert config.values["rest.address"] == f"analytics-{job}-rest"
        assert config.values["jobmanager.rpc.address"] == f"analytics-{job}-jobmanager"
    clicks = objects[("Job", "analytics-clicks-submit")]
    assert pod(clicks)["containers"][0]["args"] == [
        "flink", "run", "--detached", "--parallelism", "4", "/opt/flink/usrlib/orders-1.4.jar",
    ]
    assert pod(clicks)["initContainers"][0]["command"][-1] == JAR_URL
    # A job's own TaskManagers; the per-job TaskManagers need no jar (the client ships it).
    assert objects[("Deployment", "analytics-clicks-taskmanager")]["spec"]["replicas"] == 2
    assert objects[("Deployment", "analytics-orders-taskmanager")]["spec"]["replicas"] == 1
    assert "initContainers" not in pod(objects[("Deployment", "analytics-clicks-taskmanager")])



def test_a_per_job_job_id_reaches_its_flink_run() -> None:
    """``jobs[].jobId`` is the id ``flink run`` gives the job graph (``-D``, the option Flink's
    executors read); the job cluster's own configuration stays a plain session's."""
    job_id = "0" * 31 + "9"
    spec = make_spec(mode="per-job", jobs=[
        {"name": "orders", "jar": IMAGE_JAR, "jobId": job_id, "entryClass": "com.example.Orders"},
        {"name": "clicks", "jar": IMAGE_JAR},
    ])
    objects = objects_by_kind_name(render_specs(spec))
    (orders,) = pod(objects[("Job", "analytics-orders-submit")])["containers"]
    assert orders["args"] == [
        "flink", "run", "--detached", f"-D$internal.pipeline.job-id={job_id}",
        "--class", "com.example.Orders", "--parallelism", "1", IMAGE_JAR,
    ]
    (clicks,) = pod(objects[("Job", "analytics-clicks-submit")])["containers"]
    assert not [arg for arg in clicks["args"] if arg.startswith("-D")]
    for job in spec.jobs:
        assert "$internal.pipeline.job-id" not in render_config(spec.job_cluster(job)).values
    # A different id is a different submission: the client runs again.
    other = make_spec(mode="per-job", jobs=[{**spec.jobs[0].model_dump(by_alias=True, exclude_unset=True),
                                             "jobId": "0" * 31 + "a"}, {"name": "clicks", "jar": IMAGE_JAR}])
    changed = objects_by_kind_name(render_specs(other))
    assert changed[("Job", "analytics-orders-submit")] != objects[("Job", "analytics-orders-submit")]
    assert changed[("Job", "analytics-clicks-submit")] == objects[("Job", "analytics-clicks-submit")]

def test_the_client_waits_for_its_jobmanager() -> None:
    render = render_specs(per_job("orders", "clicks"))
    resources = {r.name: r for r in render.resources}
    waits = {r.name for r in render.waits_of(resources["analytics-orders-submitter-job"])}
    assert waits == {"analytics-orders-jobmanager-deployment", "analytics-orders-configuration-config"}
    # The workloads still wait only for what their pods need.
    tm_waits = {r.name for r in render.waits_of(resources["analytics-orders-taskmanager-deployment"])}
    assert tm_waits == {"analytics-orders-configuration-config", "analytics-orders-rbac-service-account"}


def test_removing_a_job_removes_only_its_cluster() -> None:
    both, one = by_urn(render_specs(per_job("orders", "clicks"))), by_urn(render_specs(per_job("orders")))
    assert set(one) < set(both)
    gone = [both[urn].inputs["metadata"]["name"] for urn in set(both) - set(one)]
    assert all(name.startswith("analytics-clicks-") for name in gone) and len(gone) == 11
    assert all(one[urn].inputs == both[urn].inputs for urn in one)


def test_a_changed_job_restarts_only_its_own_jobmanager_and_replaces_its_client() -> None:
    before = objects_by_kind_name(render_specs(per_job("orders", "clicks")))
    spec = per_job("orders", "clicks")
    changed_jobs = [spec.jobs[0].model_copy(update={"args": ["--v2"]}), spec.jobs[1]]
    after = objects_by_kind_name(render_specs(spec.model_copy(update={"jobs": changed_jobs})))
    differing = sorted(key for key in before if before[key] != after[key])
    assert differing == [("Deployment", "analytics-orders-jobmanager"), ("Job", "analytics-orders-submit")]

    def checksum(objects: dict[tuple[str, str], dict[str, Any]]) -> str:
        deployment = objects[("Deployment", "analytics-orders-jobmanager")]
        return str(deployment["spec"]["template"]["metadata"]["annotations"][JOB_CHECKSUM_ANNOTATION])

    assert checksum(before) != checksum(after)


def test_per_job_warns_per_job_cluster() -> None:
    spec = make_spec(mode="per-job", jobs=[{"name": "a", "jar": IMAGE_JAR, "parallelism": 3},
                                           {"name": "b", "jar": IMAGE_JAR}])
    (warning,) = cluster_warnings(spec)
    assert warning.startswith("analytics-a: parallelism 3")


# --- what every standalone mode shares ---------------------------------------------------------

@pytest.mark.parametrize(
    "spec", [make_spec(), application(), per_job("orders")], ids=["session", "application", "per-job"]
)
def test_standalone_without_ha_has_no_role_and_mounts_no_token(spec: FlinkClusterSpec) -> None:
    objects = objects_by_kind_name(render_specs(spec))
    assert not [key for key in objects if key[0] in ("Role", "RoleBinding", "ClusterRole")]
    for obj in objects.values():
        if obj["kind"] == "ServiceAccount":
            assert obj["automountServiceAccountToken"] is False
        if obj["kind"] in ("Deployment", "Job"):
            assert pod(obj)["automountServiceAccountToken"] is False


def test_switching_session_and_application_replaces_the_jobmanager() -> None:
    session = by_urn(render_specs(make_spec()))
    as_deployment = by_urn(render_specs(make_spec(
        mode="application", job={"jar": IMAGE_JAR}, jobManager={"workload": "Deployment"})))
    (jm_urn,) = [u for u in session if u.endswith("::analytics-jobmanager-deployment")]
    before, after = session[jm_urn], as_deployment[jm_urn]
    assert after.replace_on_changes == (f'metadata.annotations["{DEPLOYMENT_MODE_ANNOTATION}"]',)
    assert property_at(before.inputs, after.replace_on_changes[0]) == "standalone session"
    assert property_at(after.inputs, after.replace_on_changes[0]) == "standalone application"
    assert replaced(before, after)
    # An ordinary change rolls the JobManager in place.
    bigger = by_urn(render_specs(make_spec(jobManager={"memory": "2Gi"})))
    assert bigger[jm_urn].inputs != before.inputs and not replaced(before, bigger[jm_urn])
    # The default application JobManager is a Kubernetes Job: another resource altogether.
    as_job = by_urn(render_specs(application()))
    assert jm_urn not in as_job
    job_types = [r.type for r in as_job.values() if r.name == "analytics-jobmanager-job"]
    assert job_types == ["kubernetes:batch/v1:Job"]


def test_renaming_a_cluster_replaces_every_object() -> None:
    before = by_urn(render_specs(make_spec()))
    after = by_urn(render_specs(make_spec(name="analytics2")))
    assert not set(before) & set(after)
    assert not {r.inputs["metadata"]["name"] for r in before.values()} & {
        r.inputs["metadata"]["name"] for r in after.values()
    }


ZK_HA = {"type": "zookeeper", "storageDir": "file:///flink-ha", "volumeClaim": "flink-ha"}
PLANNED = {
    "session": make_spec(),
    "session-own-account": make_spec(pod={"serviceAccountName": "shared"}),
    "application-job": application(jar=JAR_URL),
    "application-deployment": make_spec(mode="application", job={"jar": IMAGE_JAR},
                                        jobManager={"workload": "Deployment"}),
    "per-job": per_job("orders", "clicks"),
    "zookeeper-ha": make_spec(jobManager={"replicas": 2}, highAvailability=ZK_HA),
    "zookeeper-ha-existing-quorum": make_spec(
        highAvailability={**ZK_HA, "zookeeper": {"existingQuorum": "zk-0.zk:2181,zk-1.zk:2181,zk-2.zk:2181"}}
    ),
    "per-job-zookeeper-ha": per_job("orders", "clicks", highAvailability=ZK_HA),
    "zetcd-ha": make_spec(flinkVersion="1.14", highAvailability={"type": "zetcd", "storageDir": "hdfs://nn/f"}),
    "per-job-zetcd-ha": per_job("orders", flinkVersion="1.14",
                                highAvailability={"type": "zetcd", "storageDir": "hdfs://nn/f"}),
    "kubernetes-ha": make_spec(highAvailability={"type": "kubernetes", "storageDir": "hdfs://nn:8020/flink"}),
    "native-kubernetes-ha": make_spec(native=True, highAvailability={"type": "kubernetes",
                                                                      "storageDir": "hdfs://nn:8020/flink"}),
}


@pytest.mark.parametrize("name", sorted(PLANNED))
def test_the_collision_check_claims_exactly_the_rendered_objects(name: str) -> None:
    spec = PLANNED[name]
    claimed = [claim.key[1:] for claim in cluster_claims(spec) if claim.key[0] == "object"]
    rendered = [(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"])
                for o in render_specs(spec).kubernetes_objects()]
    assert sorted(claimed) == sorted(rendered)


def test_pulumi_up_does_not_wait_for_a_jobmanager_job_but_waits_for_a_submission() -> None:
    """pulumi-kubernetes awaits a Job's completion: right for a submission, wrong for a
    JobManager that runs as long as its (possibly endless) job."""
    objects = objects_by_kind_name(render_specs(application()))
    annotations = objects[("Job", "analytics-jobmanager")]["metadata"]["annotations"]
    assert annotations["pulumi.com/skipAwait"] == "true"
    submit = objects_by_kind_name(render_specs(per_job("orders")))[("Job", "analytics-orders-submit")]
    assert "pulumi.com/skipAwait" not in submit["metadata"].get("annotations", {})

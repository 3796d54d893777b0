"""Workload health and disruption: probes, spreading, disruption budgets, priority and grace.

Under mocks, from the render: every default, every override and every refusal of
``probes``, ``spread``, ``pod.priorityClassName`` and ``pod.terminationGracePeriodSeconds``,
and the PodDisruptionBudgets, whose selectors are checked against the rendered pod labels.
The job check's bash script runs for real against a local HTTP server standing for the
REST API (``tests/flink/test_probes.py`` runs every probe against real Flink processes).
"""

from __future__ import annotations

import http.server
import math
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import yaml

from pulumi_flink.render.pods import (
    JOB_CHECK_PERIOD_SECONDS,
    LIVENESS_PERIOD_SECONDS,
    READINESS_PERIOD_SECONDS,
    STARTUP_PERIOD_SECONDS,
    job_check_script,
)
from pulumi_flink.resources.meta import ensure_valid
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import cluster_warnings
from tests.support.kubernetes_schema import validate_all
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

Obj = dict[str, Any]
JAR = "/opt/flink/usrlib/orders.jar"
JOB_ID = "0000000000000000000000000000002a"
K8S_HA = {"type": "kubernetes", "storageDir": "hdfs://namenode:8020/flink"}
APPLICATION: Obj = {"mode": "application", "job": {"jar": JAR}}
NATIVE: Obj = {"native": True, "flinkVersion": "2.3"}


def render(**overrides: Any) -> dict[tuple[str, str], Obj]:
    return objects_by_kind_name(render_specs(make_spec(**overrides)))


def pod_of(obj: Obj) -> Obj:
    if obj["kind"] == "ConfigMap":  # the native TaskManager pod template
        (text,) = obj["data"].values()
        pod: Obj = yaml.safe_load(text)["spec"]
        return pod
    template: Obj = obj["spec"]["template"]["spec"]
    return template


def labels_of(obj: Obj) -> dict[str, str]:
    if obj["kind"] == "ConfigMap":
        (text,) = obj["data"].values()
        labels: dict[str, str] = yaml.safe_load(text)["metadata"]["labels"]
        return labels
    pod_labels: dict[str, str] = obj["spec"]["template"]["metadata"]["labels"]
    return pod_labels


def container_of(obj: Obj) -> Obj:
    (container, *_) = pod_of(obj)["containers"]
    return dict(container)


def workloads(objects: dict[tuple[str, str], Obj], cluster: str = "analytics") -> dict[str, Obj]:
    """component -> the object carrying its pods (Deployment, Job, or native pod template)."""
    found = {}
    for (kind, name), obj in objects.items():
        own = (cluster, f"{cluster}-jobmanager", f"{cluster}-taskmanager")
        if kind in ("Deployment", "Job") and name in own:
            found[labels_of(obj)["app.kubernetes.io/component"]] = obj
        if (kind, name) == ("ConfigMap", f"pod-template-{cluster}"):
            found["taskmanager"] = obj
    return found


def problems_of(**overrides: Any) -> dict[str, str]:
    """path -> message + fix of every problem the spec has."""
    with pytest.raises(FlinkSpecError) as caught:
        ensure_valid(make_spec(**overrides))
    return {p.path: f"{p.message} Fix: {p.fix}" for p in caught.value.problems}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


# --- probes: defaults ---------------------------------------------------------------------


@pytest.mark.parametrize("variant", [{}, NATIVE], ids=["standalone", "native"])
def test_jobmanager_probes_by_default(variant: Obj) -> None:
    jm = container_of(workloads(render(**variant))["jobmanager"])
    startup, readiness, liveness = jm["startupProbe"], jm["readinessProbe"], jm["livenessProbe"]
    for probe in (startup, readiness):
        assert probe["httpGet"] == {"path": "/config", "port": 8081, "scheme": "HTTP"}
    assert liveness["tcpSocket"] == {"port": 6123}
    assert (startup["periodSeconds"], startup["failureThreshold"]) == (STARTUP_PERIOD_SECONDS, 36)
    assert startup["periodSeconds"] * startup["failureThreshold"] == 180  # probes.startupTimeoutSeconds
    assert (readiness["periodSeconds"], readiness["failureThreshold"]) == (READINESS_PERIOD_SECONDS, 3)
    assert (liveness["periodSeconds"], liveness["failureThreshold"]) == (LIVENESS_PERIOD_SECONDS, 3)
    for probe in (startup, readiness, liveness):
        assert probe["timeoutSeconds"] == 5 <= probe["periodSeconds"]


@pytest.mark.parametrize("variant", [{}, NATIVE], ids=["standalone-deployment", "native-pod-template"])
def test_taskmanager_probes_by_default(variant: Obj) -> None:
    tm = container_of(workloads(render(**variant))["taskmanager"])
    assert tm["startupProbe"]["tcpSocket"] == tm["livenessProbe"]["tcpSocket"] == {"port": 6122}
    assert tm["startupProbe"]["periodSeconds"] * tm["startupProbe"]["failureThreshold"] == 180
    assert (tm["livenessProbe"]["periodSeconds"], tm["livenessProbe"]["failureThreshold"]) == (10, 3)
    assert "readinessProbe" not in tm  # no Service routes to TaskManagers


def test_probes_follow_the_ports() -> None:
    objects = workloads(render(ports={"rpc": 7123, "rest": 9081, "taskManagerRpc": 7122}))
    jm, tm = container_of(objects["jobmanager"]), container_of(objects["taskmanager"])
    assert jm["startupProbe"]["httpGet"]["port"] == jm["readinessProbe"]["httpGet"]["port"] == 9081
    assert jm["livenessProbe"]["tcpSocket"]["port"] == 7123
    assert tm["startupProbe"]["tcpSocket"]["port"] == tm["livenessProbe"]["tcpSocket"]["port"] == 7122
    # Each probed port is one the container declares.
    declared = {p["containerPort"] for p in jm["ports"]}
    assert {9081, 7123} <= declared
    assert 7122 in {p["containerPort"] for p in tm["ports"]}


def test_the_application_jobmanager_job_and_per_job_clusters_are_probed_but_not_the_client() -> None:
    job = container_of(render(**APPLICATION)[("Job", "analytics-jobmanager")])
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(job)
    objects = render(mode="per-job", jobs=[{"name": "clicks", "jar": JAR}])
    assert "startupProbe" in container_of(objects[("Deployment", "analytics-clicks-jobmanager")])
    assert "livenessProbe" in container_of(objects[("Deployment", "analytics-clicks-taskmanager")])
    submitter = container_of(objects[("Job", "analytics-clicks-submit")])
    assert not {"startupProbe", "readinessProbe", "livenessProbe"} & set(submitter)


# --- probes: overrides --------------------------------------------------------------------


@pytest.mark.parametrize(("timeout", "failures"), [(10, 2), (61, 13), (600, 120)])
def test_startup_timeout_sets_the_startup_budget(timeout: int, failures: int) -> None:
    for variant in ({}, NATIVE):
        for obj in workloads(render(probes={"startupTimeoutSeconds": timeout}, **variant)).values():
            startup = container_of(obj)["startupProbe"]
            assert startup["failureThreshold"] == failures
            assert startup["periodSeconds"] * failures >= timeout > startup["periodSeconds"] * (failures - 1)


@pytest.mark.parametrize("variant", [{}, NATIVE, APPLICATION], ids=["session", "native", "application"])
def test_probes_off_renders_none(variant: Obj) -> None:
    for obj in workloads(render(probes={"enabled": False}, **variant)).values():
        assert not {"startupProbe", "readinessProbe", "livenessProbe"} & set(container_of(obj))


def test_rest_ssl_probes_over_https() -> None:
    config = {"security.ssl.rest.enabled": "true", "security.ssl.rest.keystore": "/certs/rest.jks"}
    jm = container_of(workloads(render(flinkConfiguration=config))["jobmanager"])
    assert jm["startupProbe"]["httpGet"]["scheme"] == jm["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    plain = render(flinkConfiguration={"security.ssl.rest.enabled": False})
    jm = container_of(workloads(plain)["jobmanager"])
    assert jm["startupProbe"]["httpGet"]["scheme"] == "HTTP"


def test_job_check_is_the_jobmanager_liveness_in_application_mode() -> None:
    objects = workloads(render(probes={"jobCheck": True}, **APPLICATION))
    liveness = container_of(objects["jobmanager"])["livenessProbe"]
    assert set(liveness) == {"exec", "periodSeconds", "timeoutSeconds", "failureThreshold"}
    program, flag, script = liveness["exec"]["command"]
    assert (program, flag) == ("bash", "-c")
    assert "/dev/tcp/localhost/6123" in script and "/dev/tcp/localhost/8081" in script
    assert "GET /jobs HTTP/1.0" in script and "curl" not in script
    # probes.jobCheckGraceSeconds: 300 by default, in checks every 10 s.
    assert (liveness["periodSeconds"], liveness["failureThreshold"]) == (JOB_CHECK_PERIOD_SECONDS, 30)
    # The readiness and the TaskManagers' probes stay as they are.
    assert container_of(objects["jobmanager"])["readinessProbe"]["httpGet"]["path"] == "/config"
    assert container_of(objects["taskmanager"])["livenessProbe"]["tcpSocket"] == {"port": 6122}


@pytest.mark.parametrize(("grace", "failures"), [(10, 1), (95, 10), (900, 90)])
def test_job_check_grace_sets_the_liveness_budget(grace: int, failures: int) -> None:
    probes = {"jobCheck": True, "jobCheckGraceSeconds": grace}
    liveness = container_of(workloads(render(probes=probes, **APPLICATION))["jobmanager"])["livenessProbe"]
    assert liveness["failureThreshold"] == failures == math.ceil(grace / JOB_CHECK_PERIOD_SECONDS)


def test_job_check_checks_the_fixed_job_id_when_there_is_one() -> None:
    def script(**overrides: Any) -> str:
        return job_check_script(make_spec(probes={"jobCheck": True}, **overrides))

    assert '"status":"RUNNING"' in script(**APPLICATION) and '"id":"' not in script(**APPLICATION)
    given = script(mode="application", job={"jar": JAR, "jobId": JOB_ID})
    assert f'"id":"{JOB_ID}"' in given
    derived = make_spec(mode="application", job={"jar": JAR}, highAvailability=K8S_HA)
    from pulumi_flink.render.flink_config import fixed_job_id

    assert derived.job is not None
    job_id = fixed_job_id(derived, derived.job)
    assert job_id
    assert f'"id":"{job_id}"' in script(mode="application", job={"jar": JAR}, highAvailability=K8S_HA)


def test_native_application_jobmanager_gets_the_job_check() -> None:
    objects = render(probes={"jobCheck": True}, mode="application", job={"jar": JAR}, **NATIVE)
    liveness = container_of(objects[("Deployment", "analytics")])["livenessProbe"]
    assert liveness["exec"]["command"][:2] == ["bash", "-c"]
    assert "exec" not in container_of(objects[("ConfigMap", "pod-template-analytics")])["livenessProbe"]


# --- the job check's script, run by bash against a stand-in REST API ------------------------


@contextmanager
def rest_stand_in(status: int, body: str) -> Iterator[tuple[int, int]]:
    """(rpc port, rest port) on 127.0.0.1: a listening socket, and an HTTP server answering
    every GET with ``status`` and ``body``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rpc = socket.socket()
    rpc.bind(("127.0.0.1", 0))
    rpc.listen()
    try:
        yield rpc.getsockname()[1], server.server_address[1]
    finally:
        rpc.close()
        server.shutdown()
        server.server_close()


def run_check(spec: FlinkClusterSpec, rpc: int, rest: int) -> int:
    """The rendered script, with localhost and the ports pointed at the stand-in."""
    script = job_check_script(spec)
    script = script.replace(f"/dev/tcp/localhost/{spec.ports.rpc}", f"/dev/tcp/127.0.0.1/{rpc}")
    script = script.replace(f"/dev/tcp/localhost/{spec.ports.rest}", f"/dev/tcp/127.0.0.1/{rest}")
    return subprocess.run(["bash", "-c", script], capture_output=True, timeout=30, check=False).returncode


ANY_JOB = make_spec(probes={"jobCheck": True}, **APPLICATION)
FIXED_JOB = make_spec(probes={"jobCheck": True}, mode="application", job={"jar": JAR, "jobId": JOB_ID})
OTHER = "00000000000000000000000000000001"
JOBS = '{{"jobs":[{{"id":"{a}","status":"{x}"}},{{"id":"{b}","status":"{y}"}}]}}'


@pytest.mark.parametrize(
    ("spec", "status", "body", "healthy"),
    [
        (ANY_JOB, 200, '{"jobs":[]}', False),
        (ANY_JOB, 200, f'{{"jobs":[{{"id":"{OTHER}","status":"RESTARTING"}}]}}', False),
        (ANY_JOB, 200, f'{{"jobs":[{{"id":"{OTHER}","status":"RUNNING"}}]}}', True),
        (ANY_JOB, 503, '{"errors":["Service temporarily unavailable due to an ongoing leader election."]}',
         False),
        (FIXED_JOB, 200, f'{{"jobs":[{{"id":"{OTHER}","status":"RUNNING"}}]}}', False),
        (FIXED_JOB, 200, JOBS.format(a=JOB_ID, x="FAILED", b=OTHER, y="RUNNING"), False),
        (FIXED_JOB, 200, JOBS.format(a=OTHER, x="FAILED", b=JOB_ID, y="RUNNING"), True),
        (FIXED_JOB, 200, f'{{"jobs":[{{"status":"RUNNING","id":"{JOB_ID}"}}]}}', True),
    ],
    ids=["no-job", "restarting", "running", "leader-election", "other-job-running", "fixed-job-failed",
         "fixed-job-running", "any-field-order"],
)
def test_job_check_script_against_a_stand_in(
    spec: FlinkClusterSpec, status: int, body: str, healthy: bool
) -> None:
    with rest_stand_in(status, body) as (rpc, rest):
        assert (run_check(spec, rpc, rest) == 0) is healthy


def test_job_check_script_fails_when_a_port_is_closed() -> None:
    running = f'{{"jobs":[{{"id":"{OTHER}","status":"RUNNING"}}]}}'
    with rest_stand_in(200, running) as (rpc, rest):
        assert run_check(ANY_JOB, rpc, rest) == 0
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        free = closed.getsockname()[1]
        closed.close()
        assert run_check(ANY_JOB, free, rest) != 0  # the RPC port
        assert run_check(ANY_JOB, rpc, free) != 0  # the REST port


# --- probes: refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [{}, {"mode": "per-job", "jobs": [{"name": "a", "jar": JAR}]}, NATIVE],
    ids=["session", "per-job", "native-session"],
)
def test_job_check_is_refused_outside_application_mode(variant: Obj) -> None:
    problems = problems_of(probes={"jobCheck": True}, **variant)
    assert "runs no job of its own" in problems["probes.jobCheck"]
    assert "Fix: remove probes.jobCheck, or use mode: application" in problems["probes.jobCheck"]


@pytest.mark.parametrize(
    ("probes", "path"),
    [
        ({"enabled": False, "jobCheck": True}, "probes.jobCheck"),
        ({"enabled": False, "startupTimeoutSeconds": 60}, "probes.startupTimeoutSeconds"),
        ({"enabled": False, "jobCheckGraceSeconds": 60}, "probes.jobCheckGraceSeconds"),
    ],
)
def test_probe_settings_without_probes_are_refused(probes: Obj, path: str) -> None:
    problems = problems_of(probes=probes, **APPLICATION)
    off = "probes are off (probes.enabled: false). Fix: remove this field, or turn probes on"
    assert problems[path] == off


def test_job_check_grace_without_the_job_check_is_refused() -> None:
    problems = problems_of(probes={"jobCheckGraceSeconds": 60}, **APPLICATION)
    assert problems == {
        "probes.jobCheckGraceSeconds":
            "the job check is off. Fix: set probes.jobCheck: true, or remove this field"
    }


def test_rest_client_certificates_refuse_probes_and_ssl_refuses_the_job_check() -> None:
    mutual = {"security.ssl.rest.enabled": True, "security.ssl.rest.authentication-enabled": "true"}
    problems = problems_of(flinkConfiguration=mutual)
    assert "client certificates" in problems["probes.enabled"]
    fix = "Fix: set probes.enabled: false, or turn off REST client authentication"
    assert problems["probes.enabled"].endswith(fix)
    ensure_valid(make_spec(flinkConfiguration=mutual, probes={"enabled": False}))
    ssl = {"security.ssl.rest.enabled": "TRUE"}
    problems = problems_of(flinkConfiguration=ssl, probes={"jobCheck": True}, **APPLICATION)
    assert problems["probes.jobCheck"].endswith("Fix: remove probes.jobCheck, or turn off REST SSL")


@pytest.mark.parametrize(
    ("probes", "path", "fix"),
    [
        ({"startupTimeoutSeconds": 9}, "probes.startupTimeoutSeconds", "raise it"),
        ({"jobCheckGraceSeconds": 5, "jobCheck": True}, "probes.jobCheckGraceSeconds", "raise it"),
        ({"enabled": "yes"}, "probes.enabled", "write true or false without quotes"),
        ({"jobcheck": True}, "probes.jobcheck",
         "remove it, or check its spelling against the documented keys"),
    ],
)
def test_probe_fields_are_typed(probes: Obj, path: str, fix: str) -> None:
    with pytest.raises(FlinkSpecError) as caught:
        make_spec(probes=probes, **APPLICATION)
    assert [(p.path, p.fix) for p in caught.value.problems] == [(path, fix)]


def test_job_check_without_high_availability_warns() -> None:
    (warning,) = cluster_warnings(make_spec(probes={"jobCheck": True}, **APPLICATION))
    assert "analytics: probes.jobCheck restarts the JobManager without high availability" in warning
    with_ha = make_spec(probes={"jobCheck": True}, highAvailability=K8S_HA, **APPLICATION)
    assert cluster_warnings(with_ha) == []
    native = make_spec(probes={"jobCheck": True}, mode="application", job={"jar": JAR}, **NATIVE)
    assert len(cluster_warnings(native)) == 1
    assert cluster_warnings(make_spec(**APPLICATION)) == []


# --- spread -------------------------------------------------------------------------------


def spread_of(obj: Obj) -> list[Obj]:
    constraints: list[Obj] = pod_of(obj).get("topologySpreadConstraints", [])
    return constraints


@pytest.mark.parametrize("variant", [{}, NATIVE, APPLICATION], ids=["session", "native", "application"])
def test_no_spread_without_high_availability(variant: Obj) -> None:
    for obj in workloads(render(**variant)).values():
        assert "topologySpreadConstraints" not in pod_of(obj)


@pytest.mark.parametrize("variant", [{}, NATIVE], ids=["standalone", "native"])
def test_high_availability_spreads_each_component_over_nodes(variant: Obj) -> None:
    objects = workloads(render(highAvailability=K8S_HA, jobManager={"replicas": 2}, **variant))
    assert set(objects) == {"jobmanager", "taskmanager"}
    for component, obj in objects.items():
        (constraint,) = spread_of(obj)
        assert constraint == {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {
                "app.kubernetes.io/name": "flink",
                "app.kubernetes.io/instance": "analytics",
                "app.kubernetes.io/component": component,
            }},
            "matchLabelKeys": ["pod-template-hash"],
        }


def test_spread_selects_exactly_the_clusters_own_pods_of_its_component() -> None:
    objects = objects_by_kind_name(render_specs(
        make_spec(highAvailability=K8S_HA), make_spec(name="orders", highAvailability=K8S_HA)
    ))
    pods = {
        (cluster, component): labels_of(obj)
        for cluster in ("analytics", "orders")
        for component, obj in workloads(objects, cluster).items()
    }
    for cluster, component in pods:
        (constraint,) = spread_of(workloads(objects, cluster)[component])
        selector = constraint["labelSelector"]["matchLabels"]
        assert [key for key, other in pods.items() if selects(selector, other)] == [(cluster, component)]


@pytest.mark.parametrize(
    ("spread", "expected"),
    [
        ({"topology": "node"}, [("kubernetes.io/hostname", "ScheduleAnyway")]),
        ({"topology": "node", "required": True}, [("kubernetes.io/hostname", "DoNotSchedule")]),
        ({"topology": "zone"}, [("topology.kubernetes.io/zone", "ScheduleAnyway"),
                                ("kubernetes.io/hostname", "ScheduleAnyway")]),
        ({"topology": "zone", "required": True}, [("topology.kubernetes.io/zone", "DoNotSchedule"),
                                                  ("kubernetes.io/hostname", "ScheduleAnyway")]),
        ({"topology": "none"}, []),
        ({"required": True}, [("kubernetes.io/hostname", "DoNotSchedule")]),
    ],
    ids=["node", "node-required", "zone", "zone-required", "none", "auto-required"],
)
def test_spread_overrides(spread: Obj, expected: list[tuple[str, str]]) -> None:
    for high_availability in ({"highAvailability": K8S_HA}, {}):
        if spread.get("topology", "auto") == "auto" and not high_availability:
            continue  # auto without HA: no spreading (refused with required, below)
        expect = [] if spread.get("topology") == "none" else expected
        for obj in workloads(render(spread=spread, **high_availability)).values():
            assert [(c["topologyKey"], c["whenUnsatisfiable"]) for c in spread_of(obj)] == expect


def test_spread_combines_with_the_users_affinity() -> None:
    affinity = {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["flink"]}]}
        ]}},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100,
            "podAffinityTerm": {
                "topologyKey": "kubernetes.io/hostname",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": "analytics"}},
            },
        }]},
    }
    for variant in ({}, NATIVE):
        for obj in workloads(render(highAvailability=K8S_HA, pod={"affinity": affinity}, **variant)).values():
            pod = pod_of(obj)
            assert pod["affinity"] == affinity
            assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == ["kubernetes.io/hostname"]


def test_per_job_clusters_spread_their_own_pods() -> None:
    objects = render(mode="per-job", jobs=[{"name": "clicks", "jar": JAR}], highAvailability=K8S_HA)
    (constraint,) = spread_of(objects[("Deployment", "analytics-clicks-taskmanager")])
    assert constraint["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "analytics-clicks"
    assert "topologySpreadConstraints" not in pod_of(objects[("Job", "analytics-clicks-submit")])


@pytest.mark.parametrize(
    ("spread", "high_availability", "message"),
    [
        ({"required": True}, {}, "spread.topology is auto and high availability is off"),
        ({"topology": "none", "required": True}, {"highAvailability": K8S_HA}, "spread.topology is none"),
    ],
)
def test_required_spread_without_spreading_is_refused(
    spread: Obj, high_availability: Obj, message: str
) -> None:
    problems = problems_of(spread=spread, **high_availability)
    assert message in problems["spread.required"]
    fix = "Fix: set spread.topology: node or zone, or remove spread.required"
    assert problems["spread.required"].endswith(fix)


def test_spread_topology_is_one_of_the_documented_values() -> None:
    with pytest.raises(FlinkSpecError) as caught:
        make_spec(spread={"topology": "rack"})
    (problem,) = caught.value.problems
    assert (problem.path, problem.fix) == ("spread.topology", "use one of the values listed")


# --- disruption budgets -------------------------------------------------------------------


def budgets(objects: dict[tuple[str, str], Obj]) -> dict[str, Obj]:
    return {name: obj for (kind, name), obj in objects.items() if kind == "PodDisruptionBudget"}


def test_standalone_taskmanagers_get_a_budget_and_a_single_jobmanager_none() -> None:
    objects = render()
    (budget,) = budgets(objects).values()
    assert budget["apiVersion"] == "policy/v1"
    assert budget["metadata"]["name"] == "analytics-taskmanager"
    assert budget["metadata"]["namespace"] == "flink"
    assert budget["spec"] == {
        "maxUnavailable": 1,
        "selector": objects[("Deployment", "analytics-taskmanager")]["spec"]["selector"],
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }


def test_a_standby_jobmanager_gets_a_budget() -> None:
    objects = render(highAvailability=K8S_HA, jobManager={"replicas": 2})
    budget = budgets(objects)["analytics-jobmanager"]
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == objects[("Deployment", "analytics-jobmanager")]["spec"]["selector"]
    assert budget["metadata"]["labels"]["app.kubernetes.io/component"] == "jobmanager"
    assert set(budgets(render(highAvailability=K8S_HA))) == {"analytics-taskmanager"}  # no standby


def test_a_jobmanager_run_as_a_kubernetes_job_gets_no_budget() -> None:
    # A Job has no scale for Kubernetes to count a maxUnavailable against, and runs one pod
    # (more replicas are refused by validation: test_modes).
    spec: Obj = {**APPLICATION, "highAvailability": K8S_HA}
    assert set(budgets(render(**spec))) == {"analytics-taskmanager"}
    deployment = {**spec, "jobManager": {"replicas": 2, "workload": "Deployment"}}
    assert set(budgets(render(**deployment))) == {"analytics-jobmanager", "analytics-taskmanager"}


def test_native_taskmanagers_get_no_budget_and_a_native_standby_one() -> None:
    assert budgets(render(**NATIVE)) == {}
    objects = render(highAvailability=K8S_HA, jobManager={"replicas": 2}, **NATIVE)
    (budget,) = budgets(objects).values()
    assert budget["metadata"]["name"] == "analytics-jobmanager"
    pod_labels = labels_of(objects[("Deployment", "analytics")])
    assert selects(budget["spec"]["selector"]["matchLabels"], pod_labels)


def test_budgets_select_exactly_their_clusters_pods_of_their_component() -> None:
    ha = {"highAvailability": K8S_HA, "jobManager": {"replicas": 2}}
    objects = objects_by_kind_name(render_specs(
        make_spec(**ha), make_spec(name="orders", **ha), make_spec(name="native", **ha, **NATIVE)
    ))
    pods = {
        (cluster, component): labels_of(obj)
        for cluster in ("analytics", "orders", "native")
        for component, obj in workloads(objects, cluster).items()
    }
    found = budgets(objects)
    assert sorted(found) == [
        "analytics-jobmanager", "analytics-taskmanager", "native-jobmanager", "orders-jobmanager",
        "orders-taskmanager",
    ]
    for name, budget in found.items():
        cluster, component = name.rsplit("-", 1)
        selector = budget["spec"]["selector"]["matchLabels"]
        assert [key for key, labels in pods.items() if selects(selector, labels)] == [(cluster, component)]


def test_per_job_clusters_get_their_own_budgets() -> None:
    objects = render(mode="per-job", jobs=[{"name": "clicks", "jar": JAR}, {"name": "views", "jar": JAR}])
    assert sorted(budgets(objects)) == ["analytics-clicks-taskmanager", "analytics-views-taskmanager"]


def test_budgets_are_children_of_the_clusters_disruption_component() -> None:
    render_ = render_specs(make_spec(highAvailability=K8S_HA, jobManager={"replicas": 2}))
    by_name = {r.name: r for r in render_.resources}
    component = by_name["analytics-disruption"]
    assert component.type == "flink:index:FlinkDisruptionBudgets"
    assert component.parent == by_name["analytics"].urn
    assert by_name["analytics-disruption-jobmanager"].parent == component.urn
    assert by_name["analytics-disruption-taskmanager"].parent == component.urn


# --- priority class and termination grace period ------------------------------------------


def all_pods(objects: dict[tuple[str, str], Obj]) -> dict[tuple[str, str], Obj]:
    found = {}
    for key, obj in objects.items():
        carries_pods = key[0] in ("Deployment", "Job") or key[1].startswith("pod-template-")
        if carries_pods and labels_of(obj).get("app.kubernetes.io/name") == "flink":
            found[key] = pod_of(obj)
    return found


@pytest.mark.parametrize(
    "variant",
    [{}, NATIVE, APPLICATION, {"mode": "per-job", "jobs": [{"name": "a", "jar": JAR}]}],
    ids=["session", "native", "application", "per-job"],
)
def test_priority_class_and_grace_period_reach_every_flink_pod(variant: Obj) -> None:
    defaults = all_pods(render(**variant))
    assert defaults and all(
        "priorityClassName" not in p and "terminationGracePeriodSeconds" not in p for p in defaults.values()
    )
    pods = all_pods(render(pod={"priorityClassName": "flink-streaming", "terminationGracePeriodSeconds": 120},
                           **variant))
    assert set(pods) == set(defaults)
    for pod in pods.values():
        assert (pod["priorityClassName"], pod["terminationGracePeriodSeconds"]) == ("flink-streaming", 120)


def test_grace_period_zero_is_kept() -> None:
    for pod in all_pods(render(pod={"terminationGracePeriodSeconds": 0})).values():
        assert pod["terminationGracePeriodSeconds"] == 0


@pytest.mark.parametrize(
    ("pod", "path", "fix"),
    [
        ({"terminationGracePeriodSeconds": -1}, "pod.terminationGracePeriodSeconds", "raise it"),
        ({"terminationGracePeriodSeconds": "30"}, "pod.terminationGracePeriodSeconds",
         "write a whole number without quotes"),
        ({"priorityClassName": "High_Priority"}, "pod.priorityClassName",
         "write a lowercase DNS name such as 'flink-streaming'"),
        ({"priorityClassName": ""}, "pod.priorityClassName",
         "write a lowercase DNS name such as 'flink-streaming'"),
    ],
)
def test_pod_priority_and_grace_refusals(pod: Obj, path: str, fix: str) -> None:
    with pytest.raises(FlinkSpecError) as caught:
        make_spec(pod=pod)
    assert [(p.path, p.fix) for p in caught.value.problems] == [(path, fix)]


# --- every variant validates against the Kubernetes schema --------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"probes": {"jobCheck": True, "jobCheckGraceSeconds": 120}, "highAvailability": K8S_HA,
         "jobManager": {"replicas": 2, "workload": "Deployment"}, **APPLICATION},
        {"spread": {"topology": "zone", "required": True}, "pod": {"priorityClassName": "flink",
                                                                    "terminationGracePeriodSeconds": 90}},
        {"flinkConfiguration": {"security.ssl.rest.enabled": True}, "probes": {"startupTimeoutSeconds": 600}},
        {"probes": {"enabled": False}, "spread": {"topology": "none"}},
    ],
    ids=["job-check-standby", "zone-required-priority", "https-probes", "all-off"],
)
def test_health_variants_validate(overrides: Obj) -> None:
    validate_all(render_specs(make_spec(**overrides)).kubernetes_objects())


def test_native_pod_template_with_health_validates_as_a_pod() -> None:
    import kubernetes_validate

    from tests.support.kubernetes_schema import KUBERNETES_VERSION

    objects = render(highAvailability=K8S_HA, spread={"topology": "zone"},
                     pod={"priorityClassName": "flink", "terminationGracePeriodSeconds": 90}, **NATIVE)
    (text,) = objects[("ConfigMap", "pod-template-analytics")]["data"].values()
    pod = yaml.safe_load(text)
    pod["spec"]["containers"][0]["image"] = "flink:2.3-java17"  # Flink fills it in
    assert {"startupProbe", "livenessProbe"} <= set(pod["spec"]["containers"][0])
    kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)

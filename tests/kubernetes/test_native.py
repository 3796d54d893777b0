"""Native mode on the real control plane: the JobManager creates, watches and deletes its
TaskManager pods through the API, with its own ServiceAccount token, under the rendered
Role and nothing more (the API server's audit log lists every request it made); the
TaskManagers start from the rendered pod template and register; and a Role missing one
verb makes the same run fail (the mutation check).

The sessions run on Flink 2.3 (the mode-native-session stack); the application run is
the mode-native-application stack with its job image (Flink 1.20 plus the test's job jar).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import yaml

from tests.support.cluster_dns import ClusterDns
from tests.support.control_plane import ControlPlane
from tests.support.flink_rest import FlinkRest
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import apply_all, stack_objects, the_one, wait_for
from tests.support.node.agent import NodeAgent
from tests.support.rbac_audit import account_events, denied, outside, used
from tests.support.toolchain import JavaBuild, flink_versions

pytestmark = pytest.mark.kubernetes

STARTUP_SECONDS = 180.0


def without_verb(role: Mapping[str, Any], resource: str, verb: str) -> dict[str, Any]:
    changed = copy.deepcopy(dict(role))
    for rule in changed["rules"]:
        if resource in rule["resources"] and verb in rule["verbs"]:
            rule["verbs"].remove(verb)
            return changed
    raise AssertionError(f"the rendered Role has no {verb} on {resource}")


def taskmanager_pods(api: KubernetesApi, namespace: str, cluster: str) -> list[dict[str, Any]]:
    selector = f"app.kubernetes.io/component=taskmanager,app.kubernetes.io/instance={cluster}"
    answer = api.request("GET", f"/api/v1/namespaces/{namespace}/pods", params={"labelSelector": selector})
    return list(answer.body["items"])


def run_session(
    agent: NodeAgent, plane: ControlPlane, dns: ClusterDns, build: JavaBuild, objects: list[dict[str, Any]],
    timeout: float,
) -> dict[str, Any]:
    """Apply the native session, run a job on it, and return what the test checks."""
    api = agent.api
    deployment = the_one(objects, "Deployment")
    namespace, cluster = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
    account = the_one(objects, "ServiceAccount")["metadata"]["name"]
    since = plane.audit_position()
    with apply_all(api, objects):
        def ready() -> bool:
            status = api.get("apps/v1", "Deployment", cluster, namespace).body.get("status", {})
            return bool(status.get("readyReplicas") == 1)

        wait_for("the JobManager Ready", ready, timeout, agent.diagnostics(namespace))
        (rest_ip,) = dns.lookup(f"{cluster}-rest.{namespace}.svc.cluster.local", "A").addresses
        rest = FlinkRest(f"http://{rest_ip}:8081", agent.diagnostics(namespace))
        job_id = rest.run_jar(build.job_jar, 1, ["--checkpoint-interval-ms", "1000"])

        def running() -> dict[str, Any] | None:
            # A refused request ends the wait at once: Flink would only retry it until the timeout.
            refused = denied(account_events(plane.audit_events(since), namespace, account))
            if refused:
                raise AssertionError(f"the API server refused the JobManager: {refused}")
            return rest.running(job_id)

        rest.wait("the job running on a TaskManager Flink created", running, timeout)
        (pod,) = taskmanager_pods(api, namespace, cluster)
        rest.call("PATCH", f"/jobs/{job_id}", params={"mode": "cancel"})
        rest.wait("the job cancelled", lambda: rest.call("GET", f"/jobs/{job_id}")["state"] == "CANCELED", 60)
        # Idle TaskManagers are released (resourcemanager.taskmanager-timeout): Flink deletes the pod.
        wait_for("the idle TaskManager pod deleted by Flink",
                 lambda: not taskmanager_pods(api, namespace, cluster), timeout, agent.diagnostics(namespace))
    events = account_events(plane.audit_events(since), namespace, account)
    return {"pod": pod, "events": events, "deployment": deployment}


@pytest.fixture
def native_objects() -> list[dict[str, Any]]:
    """The stack as shipped, but for how long Flink keeps an idle TaskManager: 5 s instead
    of its default 30 s, so that the test sees Flink delete the pod sooner."""
    return stack_objects("mode-native-session", changes={
        "adhoc": {"flinkConfiguration": {"resourcemanager.taskmanager-timeout": "5 s"}}})


def test_native_session_runs_its_taskmanagers_under_the_rendered_role(
    node_agent: NodeAgent, control_plane: ControlPlane, cluster_dns: ClusterDns,
    java_build: Callable[[str], JavaBuild], native_objects: list[dict[str, Any]],
) -> None:
    build = java_build(flink_versions()[1])
    seen = run_session(node_agent, control_plane, cluster_dns, build, native_objects, STARTUP_SECONDS)
    pod, deployment = seen["pod"], seen["deployment"]
    # The TaskManager pod is the rendered template, as Flink completed it.
    (template_map,) = [o for o in native_objects
                       if o["kind"] == "ConfigMap" and "pod-template" in o["metadata"]["name"]]
    (template_text,) = template_map["data"].values()
    template = yaml.safe_load(template_text)
    (template_container,) = template["spec"]["containers"]
    (container,) = pod["spec"]["containers"]
    # (The API server adds the defaults the template leaves out, such as successThreshold.)
    assert template_container["startupProbe"].items() <= container["startupProbe"].items()
    assert template_container["securityContext"].items() <= container["securityContext"].items()
    assert {v["name"] for v in template["spec"]["volumes"]} <= {v["name"] for v in pod["spec"]["volumes"]}
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "taskmanager"
    assert pod["spec"]["securityContext"]["runAsUser"] == 9999
    assert pod["spec"]["automountServiceAccountToken"] is False
    (owner,) = pod["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"]) == ("Deployment", deployment["metadata"]["name"])
    # Every request the JobManager made was one the Role allows, and it used create, watch and delete.
    role = the_one(native_objects, "Role")
    events = seen["events"]
    assert events, "the JobManager made no request with its own token"
    assert not outside(role, events)
    # None was refused (Flink deletes an idle TaskManager's pod twice: the second is a 404).
    assert not denied(events)
    assert {("pods", "create"), ("pods", "watch"), ("pods", "delete")} <= used(events), used(events)


def test_native_session_fails_without_one_verb_of_its_role(
    node_agent: NodeAgent, control_plane: ControlPlane, cluster_dns: ClusterDns,
    java_build: Callable[[str], JavaBuild], native_objects: list[dict[str, Any]],
) -> None:
    """The mutation check: the same run, with ``create`` on pods taken from the Role, fails:
    the API server refuses the JobManager's pod, and no TaskManager ever starts."""
    build = java_build(flink_versions()[1])
    role = the_one(native_objects, "Role")
    mutated = [without_verb(o, "pods", "create") if o is role else o for o in native_objects]
    refusal = r"the API server refused the JobManager: \[\('create', \{[^}]*'resource': 'pods'"
    with pytest.raises(AssertionError, match=refusal):
        run_session(node_agent, control_plane, cluster_dns, build, mutated, STARTUP_SECONDS)

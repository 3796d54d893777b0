"""Every stack's render, applied to a real API server (server-side apply), is accepted: the
schema, semantic validation, RBAC and admission, with PodSecurity ``restricted`` enforced on
each Flink namespace. Then the controllers make the workloads' pods, so PodSecurity admitted the
pods themselves, not only their templates. No pod runs: the plane has no nodes.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.control_plane import ControlPlane
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import (
    STACK_FILES,
    apply_all,
    delete_namespace,
    make_namespace,
    stack_objects,
    where,
)

pytestmark = pytest.mark.kubernetes

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job"}
PODS_TIMEOUT_SECONDS = 60.0


def expected_pods(obj: dict[str, Any]) -> int:
    """The pods a workload's controller makes without any pod becoming Ready: a StatefulSet
    makes its first only (OrderedReady waits for it), a Job its parallelism."""
    spec = obj["spec"]
    if obj["kind"] == "StatefulSet":
        return 1 if spec.get("replicas", 1) else 0
    if obj["kind"] == "Job":
        return int(spec.get("parallelism", 1))
    return int(spec.get("replicas", 1))


def owned_pods(api: KubernetesApi, obj: dict[str, Any]) -> int:
    """Pods of ``obj``'s namespace that carry its pod template's labels."""
    labels = obj["spec"]["template"]["metadata"].get("labels", {})
    pods = api.list("v1", "Pod", obj["metadata"]["namespace"])
    return sum(
        all(pod["metadata"].get("labels", {}).get(k) == v for k, v in labels.items()) for pod in pods
    )


def why_no_pods(api: KubernetesApi, namespace_name: str) -> str:
    events = api.list("v1", "Event", namespace_name)
    return "\n".join(f"{e['involvedObject']['kind']}/{e['involvedObject']['name']}: {e.get('message')}"
                     for e in events if e.get("type") == "Warning") or "(no warning events)"


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.stem.removeprefix("Pulumi."))
def test_the_render_is_accepted_and_its_pods_admitted(control_plane: ControlPlane, stack_file: Path) -> None:
    api = control_plane.api
    assert api is not None
    objects = stack_objects(stack_file)
    with apply_all(api, objects) as answers:
        for obj, answer in zip(objects, answers, strict=True):
            assert answer.warnings == (), f"{where(obj)}: {answer.warnings}"
            assert answer.body["metadata"]["uid"] and answer.body["metadata"]["managedFields"]
        workloads = [o for o in objects if o["kind"] in WORKLOAD_KINDS]
        assert workloads, "every stack runs at least one workload"
        kinds = Counter(o["kind"] for o in workloads)
        deadline = time.monotonic() + PODS_TIMEOUT_SECONDS
        missing = workloads
        while missing and time.monotonic() < deadline:
            missing = [o for o in missing if owned_pods(api, o) < expected_pods(o)]
            time.sleep(0.3)
        namespaces = sorted({o["metadata"]["namespace"] for o in workloads})
        assert not missing, (
            f"no pods for {[o['metadata']['name'] for o in missing]} ({dict(kinds)}):\n"
            + "\n".join(why_no_pods(api, n) for n in namespaces)
        )


def test_a_pod_restricted_would_refuse_is_refused(control_plane: ControlPlane) -> None:
    """The check can fail: in the dev render, one container allowed to escalate privileges is
    warned about on apply, and its ReplicaSet cannot make the pod (the rest are as before)."""
    api = control_plane.api
    assert api is not None
    objects = stack_objects("dev")
    (taskmanager,) = [
        o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-taskmanager")
    ]
    container = taskmanager["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["allowPrivilegeEscalation"] = True
    name = taskmanager["metadata"]["namespace"]
    make_namespace(api, name)
    try:
        for obj in objects:
            answer = api.apply(obj)
            assert answer.ok, answer.message
            assert bool(answer.warnings) == (obj is taskmanager), (obj["metadata"]["name"], answer.warnings)
        assert any("allowPrivilegeEscalation" in w for w in api.apply(taskmanager).warnings)
        deadline = time.monotonic() + PODS_TIMEOUT_SECONDS
        refusals: list[str] = []
        while not refusals and time.monotonic() < deadline:
            refusals = [
                e["message"] for e in api.list("v1", "Event", name)
                if e.get("reason") == "FailedCreate" and "violates PodSecurity" in e.get("message", "")
            ]
            time.sleep(0.3)
        assert refusals, why_no_pods(api, name)
        assert owned_pods(api, taskmanager) == 0
    finally:
        delete_namespace(api, name)

"""What the control-plane tests do with a render: make its namespaces as a platform team
would (PodSecurity ``restricted`` enforced), apply every object server-side, and remove it all."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import PROJECT, parse_stack_config
from tests.support.kubernetes_api import Answer, KubernetesApi
from tests.support.paths import ROOT

STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
POD_SECURITY = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "warn", "audit")
}
DELETE_TIMEOUT_SECONDS = 60.0
T = TypeVar("T")


def stack_objects(
    stack: str | Path, changes: Mapping[str, Mapping[str, Any]] | None = None, only: Sequence[str] = (),
    keep_credentials: bool = True,
) -> list[dict[str, Any]]:
    """The render of a stack file (a path, or a name under stacks/), with ``changes``: per
    cluster name, top-level keys of its entry replaced (a test's jar, memory for 2 cores);
    ``only``: just these clusters (and their HA credentials, unless ``keep_credentials`` is
    False: a change that drops the object store drops their use)."""
    path = stack if isinstance(stack, Path) else ROOT / "stacks" / f"Pulumi.{stack}.yaml"
    config = load_stack_file(path)
    key, credentials = f"{PROJECT}:clusters", f"{PROJECT}:haCredentials"
    names = {c["name"] for c in config[key]}
    unknown = (set(changes or {}) | set(only)) - names
    assert not unknown, f"no such cluster in {path.name}: {sorted(unknown)}"
    kept = [c for c in config[key] if not only or c["name"] in only]
    config = {**config, key: [{**c, **(changes or {}).get(c["name"], {})} for c in kept]}
    if credentials in config:
        kept_names = {c["name"] for c in kept} if keep_credentials else set()
        config[credentials] = {k: v for k, v in config[credentials].items() if k in kept_names}
    return list(render_stack(parse_stack_config(config)).kubernetes_objects())


def namespaces_of(objects: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({o["metadata"]["namespace"] for o in objects if "namespace" in o["metadata"]})


def make_namespace(api: KubernetesApi, name: str, restricted: bool = True) -> None:
    labels = POD_SECURITY if restricted else {}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    answer = api.apply(namespace)
    assert answer.ok, answer.message


def delete_namespace(api: KubernetesApi, name: str) -> None:
    """Delete and wait until it is gone (the namespace controller empties it first)."""
    api.delete("v1", "Namespace", name)
    deadline = time.monotonic() + DELETE_TIMEOUT_SECONDS
    while api.exists("v1", "Namespace", name) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not api.exists("v1", "Namespace", name), f"namespace {name} was not deleted"


def the_one(objects: Sequence[dict[str, Any]], kind: str, suffix: str = "") -> dict[str, Any]:
    """The render's only object of ``kind`` whose name ends with ``suffix``."""
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)]
    return found


def where(obj: dict[str, Any]) -> str:
    return f"{obj['kind']} {obj['metadata'].get('namespace')}/{obj['metadata']['name']}"


@contextlib.contextmanager
def apply_all(api: KubernetesApi, objects: Sequence[dict[str, Any]]) -> Iterator[list[Answer]]:
    """Make the objects' namespaces, apply every object (each must be accepted), and delete
    the namespaces afterwards, whatever happened."""
    namespaces = namespaces_of(objects)
    for name in namespaces:
        make_namespace(api, name)
    try:
        answers = []
        for obj in objects:
            answer = api.apply(obj)
            assert answer.ok, f"{where(obj)}: {answer.status} {answer.message}"
            answers.append(answer)
        yield answers
    finally:
        for name in namespaces:
            delete_namespace(api, name)


def wait_for(
    what: str, probe: Callable[[], T | None], timeout: float, diagnostics: Callable[[], str] = str
) -> T:
    """``probe()``'s first value that is not None (or False), polled every 0.2 s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s\n{diagnostics()}")
        time.sleep(0.2)


def rolled_out(api: KubernetesApi, namespace: str, name: str, kind: str = "Deployment") -> bool:
    """Whether the Deployment's (or StatefulSet's) controller has seen its latest spec and
    every replica of it is updated and Ready."""
    workload = api.get("apps/v1", kind, name, namespace).body
    status = workload.get("status", {})
    wanted = workload["spec"]["replicas"]
    return bool(status.get("readyReplicas") == wanted == status.get("updatedReplicas")
                and status.get("observedGeneration") == workload["metadata"]["generation"])


def pods_of(api: KubernetesApi, namespace: str, component: str) -> dict[str, dict[str, Any]]:
    """Name -> pod, of the pods of one component (``app.kubernetes.io/component``) not being deleted."""
    answer = api.request("GET", f"/api/v1/namespaces/{namespace}/pods",
                         params={"labelSelector": f"app.kubernetes.io/component={component}"})
    assert answer.ok, answer.message
    pods = answer.body["items"]
    return {p["metadata"]["name"]: p for p in pods if not p["metadata"].get("deletionTimestamp")}


def is_ready(pod: Mapping[str, Any]) -> bool:
    conditions = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
    return conditions.get("Ready") == "True"

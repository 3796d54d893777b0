"""The render summary counts what the manifests hold: every pod of every workload, per cluster."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.model.quantities import MIB
from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.offline.summary import objects_requests, pod_requests, summarize
from pulumi_flink.program import parse_stack_config
from tests.support.paths import ROOT

STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))


def container(name: str, cpu: str, memory: str, **extra: Any) -> dict[str, Any]:
    limits = {"cpu": cpu, "memory": memory}
    return {"name": name, "resources": {"requests": limits, "limits": limits}, **extra}


# Kubernetes' rule (Pod "Resource sharing within containers"; KEP-753 for sidecars): per
# resource, the larger of the app containers plus every sidecar, and of each init container
# plus the sidecars started before it.
POD_CASES = {
    "containers-add-up": ({"containers": [container("a", "1", "1Gi"), container("b", "500m", "256Mi")]},
                          (1500, 1280)),
    "a-smaller-init-container-is-hidden": (
        {"initContainers": [container("fetch", "100m", "64Mi")], "containers": [container("a", "1", "1Gi")]},
        (1000, 1024),
    ),
    "a-larger-init-container-wins-per-resource": (
        {"initContainers": [container("i", "2", "64Mi")], "containers": [container("a", "1", "1Gi")]},
        (2000, 1024),
    ),
    "init-containers-run-one-at-a-time": (
        {"initContainers": [container("i", "2", "64Mi"), container("j", "3", "64Mi")],
         "containers": [container("a", "1", "1Gi")]},
        (3000, 1024),
    ),
    "sidecars-keep-running": (
        {"initContainers": [container("proxy", "500m", "128Mi", restartPolicy="Always"),
                            container("i", "2", "64Mi")],
         "containers": [container("a", "1", "1Gi")]},
        (2500, 1152),
    ),
    "requests-default-to-limits": (
        {"containers": [{"name": "a", "resources": {"limits": {"cpu": "250m", "memory": "1Gi"}}}]},
        (250, 1024),
    ),
}


@pytest.mark.parametrize("case", sorted(POD_CASES))
def test_a_pod_requests_what_the_scheduler_reserves(case: str) -> None:
    pod, (cpu, memory_mib) = POD_CASES[case]
    requests = pod_requests(pod)
    assert (requests.cpu, requests.memory) == (Decimal(cpu), Decimal(memory_mib * MIB))


def test_workloads_count_their_replicas_and_other_objects_nothing() -> None:
    pod = {"containers": [container("a", "1", "1Gi")]}
    objects = [
        {"kind": "Deployment", "spec": {"replicas": 3, "template": {"spec": pod}}},
        {"kind": "StatefulSet", "spec": {"template": {"spec": pod}}},  # replicas default to 1
        {"kind": "Job", "spec": {"parallelism": 2, "template": {"spec": pod}}},
        {"kind": "ConfigMap", "data": {"pod.yaml": "containers: []"}},
    ]
    assert objects_requests(objects).text() == "6 CPU, 6Gi memory"


def summary_of(stack_file: Path) -> str:
    stack = parse_stack_config(load_stack_file(stack_file))
    return summarize(stack, render_stack(stack).kubernetes_objects(), stack_file.stem)


def requests_of(line: str) -> tuple[Decimal, Decimal]:
    match = re.search(r"(\d+)(m?) CPU, (\d+)(Mi|Gi) memory", line)
    assert match, line
    cpu = Decimal(match[1]) * (1 if match[2] else 1000)
    memory = Decimal(match[3]) * (1024 if match[4] == "Gi" else 1)
    return cpu, memory


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.stem)
def test_the_clusters_add_up_to_the_totals_of_every_rendered_pod(stack_file: Path) -> None:
    text = summary_of(stack_file)
    clusters = [requests_of(line) for line in text.splitlines() if line.startswith("  Requests = limits:")]
    (totals,) = [requests_of(line) for line in text.splitlines() if line.startswith("Totals:")]
    assert len(clusters) == text.count(" (namespace ")
    assert (sum(c for c, _ in clusters), sum(m for _, m in clusters)) == totals


def test_the_zetcd_stack_counts_etcd_and_zetcd() -> None:
    (stack_file,) = [p for p in STACK_FILES if p.name == "Pulumi.ha-zetcd.yaml"]
    text = summary_of(stack_file)
    assert "  etcd: 3 x (500m CPU, 1Gi, 10Gi volume), StatefulSet reports-etcd" in text
    assert "  zetcd: 2 x (250m CPU, 256Mi), Deployment reports-zetcd, Flink's ZooKeeper quorum" in text
    # JobManagers 2 x (1, 1600Mi), TaskManagers 2 x (1, 1728Mi), etcd 3 x (500m, 1Gi),
    # zetcd 2 x (250m, 256Mi).
    assert "  Requests = limits: 6 CPU, 10Gi memory" in text
    assert "Totals: 4 slot(s), 6 CPU, 10Gi memory" in text
